import { execFileSync } from 'node:child_process';
import { test, expect, register, hydrated } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

// The provider brands the portal with the real CLI against the same database while the
// server runs; every page shows it within a second. Everything is unset afterwards, so the
// other tests see the default portal.
function settings(...args: string[]) {
  return execFileSync(keyportBin, ['settings', ...args], { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

const BRANDING: [string, string][] = [
  ['portal.app_name', 'Acme Developers'],
  ['custom.primary_color', '#0f766e'],
  ['custom.logo_url', '/favicon.svg'],
  ['custom.portal_welcome_html', '<h2>Welcome to Acme</h2><p>Start with the <a href="https://acme.example/docs">quick start</a>.</p><a href="javascript:window.__pwned=1">click</a><script>window.__pwned=2</script>'],
  // Last: each reload applies a prefix of these writes, so once this shows, all of them do.
  ['custom.support_email', 'help@acme.example'],
];

test('a branded portal shows the name, colour, logo, support address and a safe welcome everywhere', async ({ page }) => {
  try {
    for (const [k, v] of BRANDING) settings('set', k, v);
    await expect.poll(async () => { await page.goto('/portal/login'); return (await page.content()).includes('help@acme.example'); }, { timeout: 5_000 }).toBe(true);
    expect(await page.title()).toBe('Sign in · Acme Developers');
    await expect(page.locator('.auth-card .brand')).toContainText('Acme Developers');
    await expect(page.locator('.auth-card img.brand-logo')).toHaveAttribute('src', '/favicon.svg');
    await expect(page.getByRole('link', { name: 'help@acme.example' })).toBeVisible();

    await register(page);
    expect(await page.title()).toBe('Dashboard · Acme Developers');
    await expect(page.getByRole('banner')).toContainText('Acme Developers');
    const welcome = page.getByRole('region', { name: 'Welcome' });
    await expect(welcome.getByRole('heading', { name: 'Welcome to Acme' })).toBeVisible();
    await expect(welcome.getByRole('link', { name: 'quick start' })).toHaveAttribute('rel', 'noopener noreferrer nofollow');
    await expect(welcome.getByText('click')).not.toHaveAttribute('href', /javascript/);
    // The brand colour on the main button, with the text colour chosen for it.
    const button = page.getByRole('link', { name: 'Create your first key' });
    await expect(button).toHaveCSS('background-color', 'rgb(15, 118, 110)');
    await expect(button).toHaveCSS('color', 'rgb(255, 255, 255)');
    await hydrated(page);
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    await page.screenshot({ path: test.info().outputPath('branded-dashboard.png'), fullPage: true });

    // A bad value is refused by the CLI and changes nothing.
    expect(() => settings('set', 'custom.primary_color', 'teal')).toThrow(/custom\.primary_color: expected a colour/);
  } finally {
    for (const [k] of BRANDING) settings('unset', k);
  }
  await expect.poll(async () => { await page.goto('/portal'); return page.title(); }, { timeout: 5_000 }).toBe('Dashboard · Keyport');
});
