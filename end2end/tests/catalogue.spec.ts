import { execFileSync } from 'node:child_process';
import { test, expect, register, hydrated, nav, submit } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

function keyport(...args: string[]): string {
  return execFileSync(keyportBin, args, { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

test.beforeAll(async () => {
  keyport('products', 'create', 'invoicing', '--name', 'Invoicing API', '--scopes', 'invoices:read,invoices:write', '--visibility', 'on_request',
    '--description', 'Create and send invoices.', '--docs', '/portal/docs');
});

// The server is shared by every test file: leave its scopes open again.
test.afterAll(async () => {
  keyport('products', 'archive', 'invoicing');
});

test('a product on request is asked for with a reason and, once approved, its scopes are offered for keys', async ({ page }) => {
  await register(page);
  await nav(page, 'Catalogue');
  await expect(page.getByRole('heading', { name: 'API catalogue', level: 1 })).toBeVisible();
  const product = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Invoicing API' }) });
  await expect(product).toContainText('On request');
  await expect(product).toContainText('invoices:write');
  await page.screenshot({ path: test.info().outputPath('catalogue-desktop.png'), fullPage: true });
  await product.getByRole('button', { name: 'Ask for Invoicing API' }).click();
  const dialog = page.getByRole('dialog', { name: 'Ask for Invoicing API' });
  await dialog.getByLabel('What will you use it for?').fill('Sending our customers their monthly invoices');
  await submit(page, dialog.getByRole('button', { name: 'Send request' }));
  await expect(page.getByRole('status').filter({ hasText: 'Asked' })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Invoicing API' }) })).toContainText('waiting for the provider');
  // The operator approves it from the CLI.
  const waiting = keyport('products', 'requests');
  const id = waiting.split('\n').find((l) => l.includes('Sending our customers'))?.split(/\s+/)[0];
  expect(id, waiting).toBeTruthy();
  keyport('products', 'approve', id!, '--note', 'Welcome');
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Invoicing API' }) })).toContainText('Your team has it (approved)');
  await nav(page, 'API Keys');
  await page.getByRole('button', { name: 'Create key' }).first().click();
  await expect(page.getByRole('dialog', { name: 'Create an API key' }).getByRole('checkbox', { name: 'invoices:write' })).toBeVisible();
  await page.keyboard.press('Escape');
  await nav(page, 'Catalogue');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await hydrated(page);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('catalogue-phone.png'), fullPage: true });
});
