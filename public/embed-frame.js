// The portal's side of embedding: inside a frame on one of the provider's sites (listed in
// the page's keyport-embed-origins meta, from the embed.allowed_origins setting) it tells the
// parent page about itself with postMessage, to that origin only. Nothing runs at top level.
(function () {
  'use strict';
  if (window.parent === window) return;
  var meta = document.querySelector('meta[name="keyport-embed-origins"]');
  if (!meta) return;
  var allowed = meta.content.split(/\s+/).filter(Boolean);
  var candidates = [];
  if (location.ancestorOrigins && location.ancestorOrigins.length) candidates.push(location.ancestorOrigins[0]);
  if (document.referrer) { try { candidates.push(new URL(document.referrer).origin); } catch (_) {} }
  var parentOrigin = null;
  for (var i = 0; i < candidates.length && !parentOrigin; i++) {
    if (allowed.indexOf(candidates[i]) >= 0) parentOrigin = candidates[i];
  }
  if (!parentOrigin) return;
  document.documentElement.classList.add('in-frame');
  function post(message) { window.parent.postMessage(message, parentOrigin); }
  // A modal dialog lives in the top layer, outside the page's height: the frame must fit it too.
  function height() {
    var h = document.documentElement.getBoundingClientRect().height;
    var open = document.querySelector('dialog[open]');
    if (open) h = Math.max(h, open.scrollHeight + 48);
    return Math.ceil(h);
  }
  function start() {
    post({ type: 'keyport:ready', path: location.pathname });
    post({ type: 'keyport:navigate', path: location.pathname + location.search });
    var created = document.querySelector('[data-keyport-key-created]');
    if (created) post({ type: 'keyport:key-created', key_id: created.getAttribute('data-key-id'), name: created.getAttribute('data-key-name') });
    if (document.querySelector('[data-keyport-signed-out]')) post({ type: 'keyport:signed-out' });
    var last = 0;
    function resize() { var h = height(); if (h !== last) { last = h; post({ type: 'keyport:resize', height: h }); } }
    resize();
    if (window.ResizeObserver) new ResizeObserver(resize).observe(document.documentElement);
    new MutationObserver(resize).observe(document.documentElement, { subtree: true, attributes: true, attributeFilter: ['open'] });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
