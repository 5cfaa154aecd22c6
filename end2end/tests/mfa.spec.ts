import type { Page } from '@playwright/test';
import crypto from 'node:crypto';
import { test, expect, register, hydrated, nav, submit, PASSWORD } from './fixtures';

/** The bytes of a base32 secret (RFC 4648, no padding), as an authenticator app reads it. */
function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    // At most 12 bits are ever pending: keep only those.
    value = ((value << 5) | index) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The TOTP code (RFC 6238: HMAC-SHA1, 30 s, 6 digits) an app shows at `at` milliseconds. */
function totp(secret: Buffer, at = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = crypto.createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

const step = (at = Date.now()) => Math.floor(at / 1000 / 30);

/** Screenshots of the page at desktop and phone width, kept with the test's results. */
async function screenshots(page: Page, name: string) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: test.info().outputPath(`${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath(`${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('two-factor authentication is set up from settings and asked for at the next sign-in', async ({ page }) => {
  // Waits for a fresh 30-second step once: a code is accepted only once.
  test.setTimeout(150_000);
  const email = await register(page);
  await nav(page, 'Settings');
  const card = page.getByRole('region', { name: 'Two-factor authentication' });
  await expect(card.getByText('Off', { exact: true })).toBeVisible();
  await submit(page, card.getByRole('button', { name: 'Set up two-factor authentication' }));

  // The QR code and the key as text, for an app that cannot scan.
  await expect(card.getByRole('img', { name: /QR code to add .+ to an authenticator app/ })).toBeVisible();
  const key = (await card.getByLabel('Setup key').textContent()) ?? '';
  const secret = base32Decode(key);
  expect(secret.length).toBe(20);
  await screenshots(page, 'enrol');

  // A wrong code is refused beside its field; the right one turns it on.
  const codeField = card.getByLabel('Code from the app');
  const right = totp(secret);
  await codeField.fill(right === '000000' ? '111111' : '000000');
  await submit(page, card.getByRole('button', { name: 'Turn on two-factor authentication' }));
  await expect(card.getByText('That code is not right.', { exact: false })).toBeVisible();
  await expect(card.getByLabel('Setup key')).toHaveText(key);
  const confirmedAt = step();
  await card.getByLabel('Code from the app').fill(totp(secret));
  await submit(page, card.getByRole('button', { name: 'Turn on two-factor authentication' }));
  await expect(card.getByRole('status').filter({ hasText: 'Two-factor authentication is on.' })).toBeVisible();
  const codes = page.getByRole('region', { name: 'Your recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  await expect(codes.first()).toHaveText(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  // Shown once: not after a reload.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('region', { name: 'Your recovery codes' })).toHaveCount(0);
  await expect(card.getByText('Recovery codes left: 10 of 10.', { exact: false })).toBeVisible();

  // Sign out, then in: the password leads to the code page, not to the portal.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/portal\/login$/);
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/portal\/login\/verify$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Enter your code' })).toBeVisible();
  await screenshots(page, 'code-page');
  // Nothing of the portal before the code.
  await page.goto('/portal/keys');
  await expect(page).toHaveURL(/\/portal\/login/);
  await page.goto('/portal/login/verify');
  await hydrated(page);

  const field = page.getByLabel('Authentication code');
  await field.fill('12');
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expect(page.getByText('A code from the app has 6 digits.')).toBeVisible();
  // The code that turned it on is spent: wait for the app's next one.
  await expect.poll(() => step(), { timeout: 40_000, intervals: [500] }).toBeGreaterThan(confirmedAt);
  await page.getByLabel('Authentication code').fill(totp(secret));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await hydrated(page);
  await nav(page, 'Settings');
  await expect(page.getByRole('region', { name: 'Two-factor authentication' }).getByText('On', { exact: true })).toBeVisible();
});
