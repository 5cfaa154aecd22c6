// Keyport's helper for the provider's page that frames the portal:
//   <script src="https://portal.example.com/embed.js" defer></script>
//   <iframe src="(the url from POST /v1/embed/sessions)" allow="clipboard-write" style="width:100%;border:0"></iframe>
// It sizes each portal frame to its content and re-emits the portal's messages as DOM events
// on the iframe (bubbling): keyport:ready, keyport:resize, keyport:navigate,
// keyport:key-created (key id and name, never the key) and keyport:signed-out.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var portal = new URL(script.src, location.href).origin;
  window.addEventListener('message', function (e) {
    var data = e.data;
    if (e.origin !== portal || !data || typeof data.type !== 'string' || data.type.indexOf('keyport:') !== 0) return;
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== e.source) continue;
      if (data.type === 'keyport:resize' && typeof data.height === 'number' && isFinite(data.height) && data.height > 0) {
        frame.style.height = Math.ceil(data.height) + 'px';
      }
      frame.dispatchEvent(new CustomEvent(data.type, { detail: data, bubbles: true }));
    }
  });
})();
