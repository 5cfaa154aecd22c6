import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { test, expect, uniqueEmail, register } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

function cli(...args: string[]) {
  return execFileSync(keyportBin, args, { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

// Two sites on loopback: the portal on 127.0.0.1, the provider's page on localhost (another
// site to Chromium). The provider's server asks Keyport for a one-time link server-side and
// frames it; inside the frame the developer works without a second login.
test('the portal inside the provider\'s page: one-time link, a key made in the frame, messages to the parent, CSRF still refused', async ({ page, baseURL }) => {
  const portal = baseURL!;
  const token = cli('tokens', 'create', '--name', 'provider site (e2e)', '--scopes', 'embed').trim();
  const email = uniqueEmail();
  let lastUrl = '';
  const provider = http.createServer(async (req, res) => {
    if (req.url !== '/') { res.statusCode = 204; res.end(); return; }
    const r = await fetch(`${portal}/v1/embed/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email, external_id: `user-${email}`, team: { external_id: `acct-${email}`, name: 'Acme Corp' }, return_to: '/portal/keys' }),
    });
    const body = await r.json();
    lastUrl = body.url;
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><html><head><title>Provider</title></head><body><h1>Acme's dashboard</h1>
      <script src="${portal}/embed.js"></script>
      <script>window.__events = []; ['keyport:ready','keyport:resize','keyport:navigate','keyport:key-created','keyport:signed-out']
        .forEach(function (t) { document.addEventListener(t, function (e) { window.__events.push({ type: t, detail: e.detail }); }); });</script>
      <iframe id="kp" name="kp" title="Developer portal" src="${body.url.replace(/^https?:\/\/[^/]+/, portal)}" allow="clipboard-write" style="width:100%;border:0;height:200px"></iframe>
      <form id="forged" method="post" target="kp" action="${portal}/api/keys/create"><input name="name" value="forged"><input name="environment" value="test"><input name="expiry" value="never"></form>
      </body></html>`);
  });
  await new Promise<void>((ok) => provider.listen(0, 'localhost', () => ok()));
  const site = `http://localhost:${(provider.address() as AddressInfo).port}`;
  try {
    cli('settings', 'set', 'embed.allowed_origins', site);
    // In effect within a second on the portal.
    await expect.poll(async () => (await fetch(`${portal}/portal/login`)).headers.get('content-security-policy'), { timeout: 5_000 }).toContain(`frame-ancestors ${site}`);
    await page.goto(site);
    const frame = page.frameLocator('#kp');
    await expect(frame.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
    await expect(frame.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
    // The frame grows to its content and says where it is.
    await expect.poll(async () => parseInt(await page.locator('#kp').evaluate((f) => (f as HTMLElement).style.height), 10)).toBeGreaterThan(300);
    const events = () => page.evaluate(() => (window as any).__events as { type: string; detail: any }[]);
    await expect.poll(async () => (await events()).map((e) => e.type)).toContain('keyport:ready');
    expect((await events()).find((e) => e.type === 'keyport:navigate')?.detail.path).toBe('/portal/keys');

    // A key made inside the frame: the parent hears its id and name, never the key.
    await frame.getByRole('button', { name: 'Create your first key' }).click();
    const create = frame.getByRole('dialog', { name: 'Create an API key' });
    await create.getByLabel('Name').fill('Made in the frame');
    await create.getByRole('button', { name: 'Create key' }).click();
    const shown = frame.getByRole('dialog', { name: 'Your new API key' });
    await expect(shown).toBeVisible();
    await expect.poll(async () => (await events()).find((e) => e.type === 'keyport:key-created')?.detail.name).toBe('Made in the frame');
    expect(JSON.stringify(await events())).not.toMatch(/kp_(live|test)_[0-9A-Za-z]{20,}/);
    await page.screenshot({ path: test.info().outputPath('embedded-desktop.png'), fullPage: true });
    await shown.getByRole('button', { name: /Done/ }).click();

    // Meanwhile the portal at the top level knows nothing of the frame's session (its cookie
    // is partitioned under the provider's site) and works with its own: another developer
    // signs up in a second tab, and both stay signed in as themselves.
    const top = await page.context().newPage();
    await top.goto(`${portal}/portal`);
    await expect(top).toHaveURL(/\/portal\/login/);
    const other = await register(top);
    await expect(top.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
    await page.reload();
    await expect(frame.getByRole('row', { name: /Made in the frame/ })).toBeVisible();
    await top.goto(`${portal}/portal/settings`);
    await expect(top.getByText(other).first()).toBeVisible();
    await expect(top.getByText(email)).toHaveCount(0);
    await top.close();

    // A form on the provider's page posting into the frame carries the frame's cookie but is
    // cross-site: refused, and no key is made.
    const forged = page.waitForResponse((r) => r.url().endsWith('/api/keys/create'));
    await page.evaluate(() => (document.getElementById('forged') as HTMLFormElement).submit());
    expect((await forged).status()).toBe(403);

    // The link worked once.
    const again = await fetch(lastUrl.replace(/^https?:\/\/[^/]+/, portal), { redirect: 'manual' });
    expect(again.status).toBe(404);

    // Phone width: the provider's page and the frame in it.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(site);
    await expect(frame.getByRole('row', { name: /Made in the frame/ })).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('embedded-phone.png'), fullPage: true });

    // A site not on the list cannot show the portal.
    cli('settings', 'set', 'embed.allowed_origins', 'https://other.example');
    await expect.poll(async () => (await fetch(`${portal}/portal/login`)).headers.get('content-security-policy'), { timeout: 5_000 }).toContain('frame-ancestors https://other.example');
    await page.goto(site);
    await expect(frame.getByRole('heading', { name: 'API Keys', level: 1 })).toHaveCount(0);
  } finally {
    cli('settings', 'unset', 'embed.allowed_origins');
    provider.close();
  }
});
