import { test as base, expect, Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { serverLog } from '../playwright.config';

/** Collects console errors and page errors of `page` into `problems`. */
export function watch(page: Page, problems: string[]) {
  page.on('console', (m) => {
    // An island whose code is missing from the bundle stays dead: the islands script warns.
    if (m.type() === 'warning' && m.text().includes('Could not find WASM function')) {
      problems.push(`island not hydrated: ${m.text()}`);
      return;
    }
    if (m.type() !== 'error') return;
    // A server function answering a refused form with 400/401/403/404/409/429 is the form
    // working, not the page failing; anything else (5xx, missing assets, script errors) fails.
    // The admin console answers 404 to everyone but operator admins, on purpose.
    const expectedRefusal = /status of 4(00|01|03|04|09|29)/.test(m.text()) && m.location().url.includes('/api/')
      || /status of 404/.test(m.text()) && new URL(m.location().url).pathname.startsWith('/admin')
      // A one-time link opened again (used, replaced or expired) answers 409 with its message.
      || /status of 409/.test(m.text()) && /^\/portal\/(invite|reset|verify-email|email-change)\//.test(new URL(m.location().url).pathname)
      // A site not in embed.allowed_origins framing the portal is refused by the CSP, on purpose.
      || m.text().includes('violates the following Content Security Policy directive: "frame-ancestors');
    if (!expectedRefusal) problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
}

/** Fails the test on any console error, page error or failed hydration. */
export const test = base.extend<{ guard: void }>({
  guard: [async ({ page }, use) => {
    const problems: string[] = [];
    watch(page, problems);
    await use();
    expect(problems, problems.join('\n')).toEqual([]);
  }, { auto: true }],
});
export { expect };

/**
 * The newest one-time link (`/portal/invite/…`, `/portal/reset/…`) emailed to `to`, read
 * from the server's log: without SMTP the log is the delivery, and nowhere else (not the
 * outbox page) holds the link.
 */
export async function linkFromLog(to: string, kind: 'invite' | 'reset' | 'verify-email' | 'email-change'): Promise<string> {
  let link = '';
  await expect.poll(() => {
    const chunks = fs.readFileSync(serverLog, 'utf8').split(`email to ${to} (`).slice(1);
    const pattern = new RegExp(`https?://\\S+/portal/${kind}/[A-Za-z0-9_-]+`, 'g');
    const links = chunks.map((c) => c.split('email to ')[0].match(pattern)?.[0] ?? '').filter(Boolean);
    link = links[links.length - 1] ?? '';
    return link;
  }, { timeout: 10_000 }).not.toBe('');
  return link;
}

export function operatorToken(): string {
  return fs.readFileSync(path.join(__dirname, '..', '.operator-token'), 'utf8').trim();
}

export function uniqueEmail(): string {
  return `dev-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits until every island of the page is hydrated (its buttons respond). */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__keyport_hydrated === true, null, { timeout: 20_000 });
}

export const PASSWORD = 'correct horse battery staple';

export async function register(page: Page, email = uniqueEmail()) {
  await page.goto('/portal/register');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await hydrated(page);
  return email;
}

/** Follows a link of the portal's navigation and waits until the new page's islands are live. */
export async function nav(page: Page, name: string) {
  const link = page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name, exact: true });
  await follow(page, link);
}

/**
 * Sends a plain form by clicking `button` and waits until the page it leads to (a fresh
 * document: the old one is marked) has its islands live.
 */
export async function submit(page: Page, button: import('@playwright/test').Locator) {
  await page.evaluate(() => ((window as any).__keyport_left = true));
  await button.click();
  await page.waitForFunction(() => !(window as any).__keyport_left && (window as any).__keyport_hydrated === true, null, { timeout: 20_000 });
}

/** Clicks a link (a plain page load) and waits until the new page's islands are live. */
export async function follow(page: Page, link: import('@playwright/test').Locator) {
  const href = await link.getAttribute('href');
  await link.click();
  await page.waitForURL((u) => u.pathname === href);
  await hydrated(page);
}

/** Creates a key through the portal's own API (same-origin fetch with the session). */
export async function createKey(page: Page, name: string, environment: string): Promise<{ id: string; secret: string }> {
  const created = await page.evaluate(async ([name, environment]) => {
    const res = await fetch('/api/keys/create', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name, environment, expiry: 'never' }),
    });
    return res.json();
  }, [name, environment]);
  return { id: created.key.id, secret: created.secret };
}
