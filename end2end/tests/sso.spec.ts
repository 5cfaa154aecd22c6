import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { test, expect, hydrated } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

// Single sign-on in a real browser: a real OpenID Connect provider (oauth2-mock-server, whose
// authorize step signs in without a form) on loopback, configured with the real CLI while the
// server runs. Every setting is unset afterwards, so the other tests see no provider.
function settings(...args: string[]) {
  return execFileSync(keyportBin, ['settings', ...args], { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

const KEYS = ['oauth.enabled', 'oauth.oidc.enabled', 'oauth.oidc.name', 'oauth.oidc.issuer', 'oauth.oidc.client_id', 'oauth.oidc.client_secret'];
let provider: ChildProcess | undefined;
let control = '';

test.beforeAll(async () => {
  provider = spawn(process.execPath, [path.join(__dirname, '..', 'oidc', 'mock-provider.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line: string = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: provider!.stdout! });
    rl.once('line', resolve);
    provider!.once('exit', (code) => reject(new Error(`mock provider exited (${code})`)));
  });
  const urls = JSON.parse(line);
  control = urls.control;
  settings('set', 'oauth.oidc.issuer', urls.issuer);
  settings('set', 'oauth.oidc.name', 'Acme ID');
  settings('set', 'oauth.oidc.client_id', 'keyport-e2e');
  settings('set', 'oauth.oidc.client_secret', 'e2e-client-secret', '--encrypted');
  settings('set', 'oauth.oidc.enabled', 'true');
  // Last: once the button shows, every setting before it is in effect.
  settings('set', 'oauth.enabled', 'true');
});

test.afterAll(async () => {
  try {
    for (const k of KEYS) settings('unset', k);
  } finally {
    provider?.kill();
  }
});

test('the provider button on the sign-in page signs a new developer in, and settings list the identity', async ({ page }) => {
  const address = `sso-${Date.now()}@example.com`;
  await fetch(`${control}/__control/default`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: `e2e-${Date.now()}`, email: address, email_verified: true }),
  });
  await expect.poll(async () => {
    await page.goto('/portal/login');
    return await page.getByRole('link', { name: 'Continue with Acme ID' }).count();
  }, { timeout: 5_000 }).toBe(1);
  await hydrated(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: test.info().outputPath('login-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath('login-phone.png'), fullPage: true });
  // Reachable by keyboard like any link.
  const button = page.getByRole('link', { name: 'Continue with Acme ID' });
  await button.focus();
  await expect(button).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/portal$/);
  await hydrated(page);
  await expect(page.getByRole('banner')).toContainText(address);

  await page.goto('/portal/settings');
  await hydrated(page);
  const card = page.getByRole('region', { name: 'Sign-in providers' });
  await expect(card).toContainText('Acme ID');
  await expect(card).toContainText(address);
  await expect(card).toContainText('only way into your account');
  await expect(page.getByRole('region', { name: 'Change password' })).toHaveCount(0);
  await card.screenshot({ path: test.info().outputPath('identities-phone.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
  await card.screenshot({ path: test.info().outputPath('identities-desktop.png') });
});

test('a refused sign-in lands on the sign-in page with a sentence, not a stack trace', async ({ page }) => {
  await fetch(`${control}/__control/next`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: `e2e-unverified-${Date.now()}`, email: `unverified-${Date.now()}@example.com`, email_verified: false }),
  });
  await page.goto('/portal/login');
  await page.getByRole('link', { name: 'Continue with Acme ID' }).click();
  await expect(page).toHaveURL(/\/portal\/login\?sso_error=unverified$/);
  await expect(page.getByRole('alert').filter({ hasText: 'no verified email address' })).toBeVisible();
});
