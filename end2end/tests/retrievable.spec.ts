import { execFileSync } from 'node:child_process';
import { test, expect, operatorToken, register, hydrated, nav, PASSWORD, createKey } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

/** Changes a setting with the real CLI against the server's database (it reloads in 0.5 s). */
function setting(key: string, value: string) {
  execFileSync(keyportBin, ['settings', 'set', key, value], { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

test.beforeAll(() => setting('keys.retrievable', 'test'));
test.afterAll(() => setting('keys.retrievable', 'never'));

test('a retrievable test key is copied and revealed after the password; its request log fills live', async ({ page, context, request, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL! });
  await new Promise((r) => setTimeout(r, 700));
  await register(page);
  const key = await createKey(page, 'Sandbox', 'test');
  await page.goto(`/portal/keys/${key.id}`);
  await hydrated(page);
  const card = page.getByRole('region', { name: 'The key' });
  const shown = card.getByLabel('API key');
  await expect(shown).not.toContainText(key.secret);

  // Copying asks who it is first; a wrong password is refused.
  await card.getByRole('button', { name: 'Copy key' }).click();
  const proof = card.getByLabel('Your password');
  await expect(proof).toBeVisible();
  await expect(proof).toBeFocused();
  await proof.fill('not my password');
  await card.getByRole('button', { name: 'Confirm' }).click();
  await expect(card.getByRole('status')).toHaveText('That password is not right.');
  await proof.fill(PASSWORD);
  await card.getByRole('button', { name: 'Confirm' }).click();
  await expect(card.getByRole('status')).toHaveText('Key copied to the clipboard.');
  await expect(proof).toBeHidden();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key.secret);
  await expect(shown).not.toContainText(key.secret);

  // Revealing does not ask again within ten minutes; hiding drops it.
  await card.getByRole('button', { name: 'Reveal key' }).click();
  await expect(shown).toHaveText(key.secret);
  await expect(proof).toBeHidden();
  await card.getByRole('button', { name: 'Hide key' }).click();
  await expect(shown).not.toContainText(key.secret);

  // Requests show up in the log without a reload, with the client address sent.
  await page.evaluate(() => ((window as any).__no_reload = true));
  const log = page.getByRole('region', { name: 'Request log' });
  await expect(log).toContainText('No requests yet');
  const auth = { Authorization: `Bearer ${operatorToken()}` };
  const ok = await request.post('/v1/keys/verify', { headers: auth, data: { key: key.secret, endpoint: 'GET /payments', ip: '203.0.113.7' } });
  expect((await ok.json()).code).toBe('VALID');
  const served = await request.post('/v1/usage', { headers: auth, data: { events: [{ key_id: key.id, endpoint: 'GET /payments', status: 503, latency_ms: 240, ip: '2001:db8::1' }] } });
  expect(served.status()).toBe(202);
  await expect(log.getByRole('row', { name: /VALID/ })).toContainText('203.0.113.7', { timeout: 15_000 });
  await expect(log.getByRole('row', { name: /503/ })).toContainText('240 ms');
  expect(await page.evaluate(() => (window as any).__no_reload)).toBe(true);
  await page.screenshot({ path: test.info().outputPath('key-page-desktop.png'), fullPage: true });

  // Filtered to server errors, only the 503 is left.
  await log.getByLabel('Show').selectOption('5xx');
  await expect(page).toHaveURL(/log=5xx/);
  await expect(log.getByRole('row', { name: /503/ })).toBeVisible();
  await expect(log.getByRole('row', { name: /VALID/ })).toHaveCount(0);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath('key-page-phone.png'), fullPage: true });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1280, height: 800 });

  // Both retrievals are in the audit trail.
  await nav(page, 'Audit');
  await expect(page.getByRole('rowheader', { name: 'Key copied' })).toBeVisible();
  await expect(page.getByRole('rowheader', { name: 'Key revealed' })).toBeVisible();
});
