import { execFileSync } from 'node:child_process';
import { test, expect, register, hydrated, nav, follow, submit, createKey } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

/** The operator's CLI against the server's database (plans reload within half a second). */
function keyport(...args: string[]): string {
  return execFileSync(keyportBin, args, { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

test.beforeAll(async () => {
  keyport('plans', 'create', 'pro', '--name', 'Pro', '--price', '49', '--included', '1,000,000', '--overage', '0.50',
    '--features', 'live_keys,request_log,usage_export', '--description', 'For production traffic.');
  keyport('plans', 'create', 'sandbox', '--name', 'Sandbox', '--included', '1000', '--visibility', 'hidden');
  await new Promise((r) => setTimeout(r, 700));
});

test('the billing page shows the plan, this month against it and the plans to compare', async ({ page }) => {
  await register(page);
  await nav(page, 'Billing');
  await expect(page.getByRole('heading', { name: 'Billing', level: 1 })).toBeVisible();
  const current = page.getByRole('region', { name: 'Current plan' });
  await expect(current.getByRole('heading', { name: 'Free' })).toBeVisible();
  await expect(current).toContainText('10,000 / month');
  await expect(current).toContainText('Requests past the included ones are refused');
  const period = page.getByRole('region', { name: 'This period' });
  await expect(period.getByRole('progressbar', { name: 'Included requests used' })).toBeVisible();
  await expect(period).toContainText('0 of 10,000 included requests');
  const plans = page.getByRole('region', { name: 'Plans' });
  const pro = plans.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Pro' }) });
  await expect(pro).toContainText('USD 49.00 / month');
  await expect(pro).toContainText('USD 49.00 more a month than Free');
  await expect(pro).toContainText('USD 0.50 per 1,000 requests past the included ones');
  await expect(plans).not.toContainText('Sandbox');
  await page.screenshot({ path: test.info().outputPath('billing-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await hydrated(page);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('billing-phone.png'), fullPage: true });
});

test('a feature the plan lacks shows what it is and the way to the plans', async ({ page }) => {
  await register(page);
  const team = await page.evaluate(async () => (await (await fetch('/api/session', { method: 'POST' })).json()).team.id as string);
  const key = await createKey(page, 'Sandbox key', 'test');
  keyport('plans', 'assign', '--team', team, 'sandbox');
  await new Promise((r) => setTimeout(r, 700));
  await page.goto(`/portal/keys/${key.id}`);
  await hydrated(page);
  const log = page.getByRole('region', { name: 'Request log' });
  await expect(log.getByRole('note')).toContainText('Your Sandbox plan does not include the request log.');
  await page.screenshot({ path: test.info().outputPath('locked-request-log.png'), fullPage: true });
  await follow(page, log.getByRole('link', { name: 'See plans' }));
  await expect(page.getByRole('region', { name: 'Current plan' }).getByRole('heading', { name: 'Sandbox' })).toBeVisible();
  // Creating a key: live is off, and the dialog says why.
  await nav(page, 'API Keys');
  await page.getByRole('button', { name: 'Create key' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create an API key' });
  await expect(dialog.getByRole('radio', { name: 'Live' })).toBeDisabled();
  await expect(dialog.getByRole('radio', { name: 'Test' })).toBeChecked();
  await expect(dialog.getByRole('note')).toContainText('Your Sandbox plan does not include live keys.');
});

test('an upgrade says what it costs before it is confirmed, and the charge is what it said', async ({ page }) => {
  await register(page);
  await nav(page, 'Billing');
  const pro = page.getByRole('region', { name: 'Plans' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Pro' }) });
  await pro.getByRole('button', { name: 'Switch to Pro' }).click();
  const dialog = page.getByRole('dialog', { name: 'Switch to Pro?' });
  await expect(dialog).toBeVisible();
  const said = (await dialog.getByRole('paragraph').first().textContent()) ?? '';
  const quoted = said.match(/You pay USD ([\d,]+\.\d\d) for the rest of this month, then USD 49\.00 a month/);
  expect(quoted, said).not.toBeNull();
  await page.screenshot({ path: test.info().outputPath('billing-upgrade-dialog.png') });
  await submit(page, dialog.getByRole('button', { name: 'Switch plan' }));
  const current = page.getByRole('region', { name: 'Current plan' });
  await expect(current.getByRole('heading', { name: 'Pro' })).toBeVisible();
  const charged = (await page.getByRole('region', { name: 'This period' }).textContent()) ?? '';
  const owed = charged.match(/Prorated charges this month: USD ([\d,]+\.\d\d)/);
  expect(owed, charged).not.toBeNull();
  // Seconds pass between the two: at most one cent apart.
  const cents = (s: string) => Math.round(parseFloat(s.replace(/,/g, '')) * 100);
  expect(Math.abs(cents(owed![1]) - cents(quoted![1]))).toBeLessThanOrEqual(1);
  // A cheaper plan now waits for the month's end, and can be called off.
  await expect(current.getByRole('button', { name: 'Cancel plan' })).toBeVisible();
});

test('an invoice is listed, shown as a printable page and downloaded as the PDF issued', async ({ page }) => {
  await register(page);
  const team = await page.evaluate(async () => (await (await fetch('/api/session', { method: 'POST' })).json()).team.id as string);
  // The billing contact first: a bad address is refused at the field and keeps what was typed.
  await nav(page, 'Billing');
  const contact = page.getByRole('region', { name: 'Billing contact' });
  await contact.getByLabel('Company').fill('Initech GmbH');
  await contact.getByLabel('Billing email').fill('not an address');
  await submit(page, page.getByRole('button', { name: 'Save billing contact' }));
  await expect(page.getByRole('region', { name: 'Billing contact' }).getByText('Enter an email address like billing@example.com.')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Billing contact' }).getByLabel('Company')).toHaveValue('Initech GmbH');
  await page.getByRole('region', { name: 'Billing contact' }).getByLabel('Billing email').fill('ap@initech.example');
  await page.getByRole('region', { name: 'Billing contact' }).getByLabel('Address').fill('Hauptstraße 1\n10115 Berlin');
  await submit(page, page.getByRole('button', { name: 'Save billing contact' }));
  await expect(page.getByRole('status').filter({ hasText: 'Billing contact saved' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Invoices' })).toContainText('No invoices yet');
  // Up to Pro (charged for the rest of the month), then the provider bills the month so far.
  const pro = page.getByRole('region', { name: 'Plans' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Pro' }) });
  await pro.getByRole('button', { name: 'Switch to Pro' }).click();
  await submit(page, page.getByRole('dialog', { name: 'Switch to Pro?' }).getByRole('button', { name: 'Switch plan' }));
  const issued = keyport('invoices', 'issue', '--team', team);
  const number = issued.match(/INV-\d{6}/)?.[0];
  expect(number, issued).toBeTruthy();
  await page.reload();
  await hydrated(page);
  const invoices = page.getByRole('region', { name: 'Invoices' });
  const row = invoices.getByRole('row').filter({ hasText: number! });
  await expect(row).toContainText('Due');
  await page.screenshot({ path: test.info().outputPath('billing-invoices.png'), fullPage: true });
  await follow(page, row.getByRole('link', { name: number!, exact: true }));
  const doc = page.getByRole('article', { name: new RegExp(`Invoice ${number}`) });
  await expect(doc).toContainText('Initech GmbH');
  await expect(doc).toContainText('Hauptstraße 1');
  await expect(doc.getByRole('row').filter({ hasText: 'Pro from' })).toContainText('USD');
  await expect(page.getByRole('button', { name: 'Print' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('invoice-desktop.png'), fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()]);
  expect(download.suggestedFilename()).toBe(`${number}.pdf`);
  const saved = test.info().outputPath(`${number}.pdf`);
  await download.saveAs(saved);
  const text = execFileSync('pdftotext', [saved, '-'], { encoding: 'utf8' });
  expect(text).toContain(number!);
  expect(text).toContain('Initech GmbH');
  expect(text).toContain('Total');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await hydrated(page);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('invoice-phone.png'), fullPage: true });
});

test('the console shows product requests, invoices and the plans, and marks a due invoice paid', async ({ page }) => {
  const email = await register(page);
  keyport('admin', 'grant', email);
  const team = await page.evaluate(async () => (await (await fetch('/api/session', { method: 'POST' })).json()).team.id as string);
  await nav(page, 'Billing');
  const pro = page.getByRole('region', { name: 'Plans' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Pro' }) });
  await pro.getByRole('button', { name: 'Switch to Pro' }).click();
  await submit(page, page.getByRole('dialog', { name: 'Switch to Pro?' }).getByRole('button', { name: 'Switch plan' }));
  const number = keyport('invoices', 'issue', '--team', team).match(/INV-\d{6}/)![0];
  await page.goto('/admin/billing');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Billing', level: 1 })).toBeVisible();
  const row = page.getByRole('region', { name: 'Invoices' }).getByRole('row').filter({ hasText: number });
  await expect(row).toContainText('Due');
  await expect(page.getByRole('region', { name: 'Plans' }).getByRole('row').filter({ hasText: 'Pro' })).toContainText('USD 49.00');
  await page.screenshot({ path: test.info().outputPath('admin-billing.png'), fullPage: true });
  await submit(page, row.getByRole('button', { name: `Mark ${number} paid` }));
  await expect(page.getByRole('status').filter({ hasText: 'Marked paid' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Invoices' }).getByRole('row').filter({ hasText: number })).toContainText('Paid');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await hydrated(page);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('admin-billing-phone.png'), fullPage: true });
});
