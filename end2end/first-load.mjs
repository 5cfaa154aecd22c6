// The first visit as a phone sees it: for each portal page, a cold load (empty cache) in
// Debian's Chromium under Lighthouse's mobile profile (150 ms round trip, 1.6 Mbps down,
// 750 kbps up, 4x CPU slowdown, set through CDP), reporting
//   - the WASM and JS bytes the visit downloads: on the wire, and each file raw, gzip -9 and
//     brotli (q11) as computed here from the files the server sent;
//   - when the page painted (first contentful paint) and when it became interactive (every
//     island hydrated: `window.__keyport_hydrated`; a page without islands is interactive
//     once painted, its forms being plain HTML), from navigation start.
// Usage: node end2end/first-load.mjs http://127.0.0.1:PORT (scripts/first-load.sh runs it
// against a fresh release build).
import { chromium } from 'playwright-core';
import zlib from 'node:zlib';

const base = process.argv[2];
if (!base) throw new Error('usage: node first-load.mjs BASE_URL');

const PROFILE = { latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8, offline: false };
const PUBLIC_PAGES = ['/portal/login', '/portal/register', '/portal/forgot', '/portal/invite/a-link-from-an-email', '/portal/reset/a-link-from-an-email'];
const SIGNED_IN_PAGES = ['/portal', '/portal/keys', '/portal/usage', '/portal/team', '/portal/audit', '/portal/settings'];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// The account the signed-in pages are visited with.
const account = { email: `first-load-${Date.now()}@example.com`, password: 'correct horse battery staple' };
async function signUp() {
  const res = await fetch(`${base}/api/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams(account),
    redirect: 'manual',
  });
  if (res.status >= 400) throw new Error(`register failed: ${res.status}`);
}

function sizes(buf) {
  return {
    raw: buf.length,
    gzip: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

async function visit(path, signedIn) {
  const context = await browser.newContext({ viewport: { width: 412, height: 823 }, isMobile: true, hasTouch: true });
  if (signedIn) {
    // Signs in through the context, so its cookie jar holds the session (the page cache
    // stays cold: nothing but the API answer was loaded).
    const res = await context.request.post(`${base}/api/login`, { form: account, headers: { 'sec-fetch-site': 'same-origin' }, maxRedirects: 0 });
    if (res.status() >= 400) throw new Error(`sign-in failed: ${res.status()}`);
  }
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', PROFILE);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const urls = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, { url: e.response.url, encoding: e.response.headers['content-encoding'] ?? e.response.headers['Content-Encoding'] ?? 'identity' }));
  const wire = new Map();
  cdp.on('Network.loadingFinished', (e) => wire.set(e.requestId, e.encodedDataLength));
  const bodies = [];
  page.on('response', async (r) => {
    const u = r.url();
    if (/\.(wasm|js)(\?|$)/.test(u)) {
      try {
        bodies.push({ url: u, body: await r.body() });
      } catch {}
    }
  });
  await page.goto(base + path, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__keyport_hydrated === true, null, { timeout: 120_000, polling: 'raf' });
  const hydratedAt = await page.evaluate(() => performance.now());
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 60_000 });
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0].startTime);
  // A page without islands (plain forms) is live once it is painted: its flag is set before.
  const interactive = Math.max(hydratedAt, fcp);
  await page.waitForLoadState('networkidle').catch(() => {});
  let onWire = 0;
  for (const [id, info] of urls) {
    if (/\.(wasm|js)(\?|$)/.test(info.url)) onWire += wire.get(id) ?? 0;
  }
  const files = bodies.map((b) => ({ file: b.url.split('/').pop(), ...sizes(b.body), encoding: [...urls.values()].find((u) => u.url === b.url)?.encoding }));
  await context.close();
  return { path, fcp, interactive, onWire, files };
}

/** Creates a key for the account (through the portal's own server function), for its page. */
async function createKey() {
  const context = await browser.newContext();
  await context.request.post(`${base}/api/login`, { form: account, headers: { 'sec-fetch-site': 'same-origin' }, maxRedirects: 0 });
  const res = await context.request.post(`${base}/api/keys/create`, {
    form: { name: 'First load', environment: 'test', expiry: 'never' },
    headers: { 'sec-fetch-site': 'same-origin' },
  });
  if (!res.ok()) throw new Error(`key creation failed: ${res.status()}`);
  const created = await res.json();
  await context.close();
  return created.key.id;
}

const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
await signUp();
SIGNED_IN_PAGES.push(`/portal/keys/${await createKey()}`);
console.log('first load under Lighthouse mobile (150 ms RTT, 1.6 Mbps, 4x CPU), cold cache');
console.log('page                  painted  interactive  WASM+JS on the wire  files (raw / gzip / brotli, as sent)');
for (const [path, c] of [...PUBLIC_PAGES.map((p) => [p, false]), ...SIGNED_IN_PAGES.map((p) => [p, true])]) {
  const r = await visit(path, c);
  const total = r.files.reduce((a, f) => ({ raw: a.raw + f.raw, gzip: a.gzip + f.gzip, brotli: a.brotli + f.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  const list = r.files.map((f) => `${f.file} ${kb(f.raw)}/${kb(f.gzip)}/${kb(f.brotli)} (${f.encoding})`).join(', ');
  console.log(
    `${path.padEnd(20)} ${((r.fcp ?? 0) / 1000).toFixed(2).padStart(6)} s ${(r.interactive / 1000).toFixed(2).padStart(9)} s ${kb(r.onWire).padStart(12)}` +
      `   total ${kb(total.raw)} / ${kb(total.gzip)} / ${kb(total.brotli)}: ${list}`,
  );
}
await browser.close();
