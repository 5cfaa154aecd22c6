import { test as base, expect } from '@playwright/test';
import { uniqueEmail, PASSWORD } from './fixtures';

// The account forms are plain HTML forms: with JavaScript turned off they post to the server,
// which answers with the next page or with the form and its errors.
const test = base.extend({});
test.use({ javaScriptEnabled: false });

test('without JavaScript, sign-up and sign-in work and show their errors from the server', async ({ page }) => {
  const email = uniqueEmail();
  await page.goto('/portal/register');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  // Back on the form, with the server's message under the field it concerns.
  await expect(page).toHaveURL(/\/portal\/register\?.*__err=/);
  await expect(page.getByText(/^Use at least \d+ characters\.$/)).toBeVisible();

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByRole('banner').getByText(email)).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/portal\/login/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Email or password is incorrect.');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/portal$/);
});

test('without JavaScript, the password can be changed from the settings page', async ({ page }) => {
  const email = uniqueEmail();
  await page.goto('/portal/register');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/portal$/);

  const next = 'a new passphrase without scripts';
  await page.goto('/portal/settings');
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Repeat the new password').fill('something else entirely');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page).toHaveURL(/\/portal\/settings\?.*__err=/);
  await expect(page.getByText('The two new passwords do not match.')).toBeVisible();

  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Repeat the new password').fill(next);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page).toHaveURL(/\/portal\/settings\?changed$/);
  await expect(page.getByRole('status').filter({ hasText: 'Password changed.' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(next);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/portal$/);
});
