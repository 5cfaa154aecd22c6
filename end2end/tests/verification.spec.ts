import { execFileSync } from 'node:child_process';
import { test, expect, uniqueEmail, linkFromLog, hydrated, PASSWORD } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

function cli(...args: string[]) {
  return execFileSync(keyportBin, args, { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

// With address confirmation asked for: sign-up says "check your email", the emailed link asks
// before it confirms, and live keys wait until then.
test('sign-up with address confirmation: check your email, sign in, no live key, confirm by the link', async ({ page, baseURL }) => {
  cli('settings', 'set', 'signup.require_verification', 'true');
  try {
    // In effect on the server within a second: the form says a link will follow.
    await expect.poll(async () => { await page.goto('/portal/register'); return (await page.content()).includes('We will email you a link'); }, { timeout: 5_000 }).toBe(true);
    const email = uniqueEmail();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
    await expect(page.getByRole('status')).toContainText(email);
    await page.screenshot({ path: test.info().outputPath('check-email-desktop.png'), fullPage: true });

    // Signed in before confirming: a notice on every page, and a live key is refused.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/portal$/);
    const notice = page.getByRole('region', { name: 'Confirm your email address' });
    await expect(notice).toBeVisible();
    await expect(notice.getByRole('button', { name: 'Send a new link' })).toBeVisible();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: test.info().outputPath('unconfirmed-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/portal/keys');
    await hydrated(page);
    await page.getByRole('button', { name: 'Create your first key' }).click();
    const create = page.getByRole('dialog', { name: 'Create an API key' });
    await create.getByLabel('Name').fill('Production');
    await create.getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByRole('dialog', { name: 'Create an API key' }).getByRole('alert').filter({ hasText: 'Confirm your email address to create live keys' })).toBeVisible();

    // The link: a button, then the dashboard says it is done and the notice is gone.
    const link = await linkFromLog(email, 'verify-email');
    await page.goto(link.replace(/^https?:\/\/[^/]+/, baseURL!));
    await expect(page.getByText(email)).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('confirm-desktop.png'), fullPage: true });
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await expect(page).toHaveURL(/\/portal\?verified/);
    await expect(page.getByRole('status').filter({ hasText: 'Your email address is confirmed' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Confirm your email address' })).toHaveCount(0);

    // Used once.
    await page.goto(link.replace(/^https?:\/\/[^/]+/, baseURL!));
    await expect(page.getByRole('alert')).toContainText('expired or was already used');
  } finally {
    cli('settings', 'unset', 'signup.require_verification');
    // The tests after this one sign up and expect to be signed in at once.
    await expect.poll(async () => { await page.goto('/portal/register'); return (await page.content()).includes('We will email you a link'); }, { timeout: 5_000 }).toBe(false);
  }
});
