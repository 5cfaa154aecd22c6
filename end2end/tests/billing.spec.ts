import { execFileSync } from 'node:child_process';
import { test, expect, register, hydrated, nav, follow, submit, createKey } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

/** The operator's CLI against the server's database (plans reload within half a second). */
function keyport(...args: string[]): string {
  return execFileSync(keyportBin, args, { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

test.beforeAll(async () => {
  // A worker started again after a failure runs this again: the plans are there already.
  if (/^pro\s/m.test(keyport('plans', 'list'))) return;
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

test('the console creates a plan with its form, keeps a refused form as typed, changes it and archives it after asking', async ({ page }) => {
  const email = await register(page);
  keyport('admin', 'grant', email);
  const id = `scale-${Date.now().toString(36)}`;
  await page.goto('/admin/billing');
  await hydrated(page);
  await follow(page, page.getByRole('link', { name: 'New plan' }));
  await expect(page.getByRole('heading', { name: 'New plan', level: 1 })).toBeVisible();
  await page.getByLabel('Id').fill(id);
  await page.getByLabel('Name', { exact: true }).fill('Scale');
  await page.getByLabel('Price per month').fill('199.999');
  await page.getByLabel('Requests included per month').fill('5,000,000');
  await page.getByLabel('Past the included requests').fill('0.20');
  await page.getByRole('checkbox', { name: 'Live keys' }).check();
  await page.getByRole('checkbox', { name: 'Request log' }).check();
  await page.screenshot({ path: test.info().outputPath('admin-plan-new.png'), fullPage: true });
  await submit(page, page.getByRole('button', { name: 'Create plan' }));
  // Refused: the price names its field; everything typed is still there.
  await expect(page.getByRole('alert').filter({ hasText: 'decimal places' })).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Scale');
  await expect(page.getByRole('checkbox', { name: 'Request log' })).toBeChecked();
  await page.getByLabel('Price per month').fill('199');
  await submit(page, page.getByRole('button', { name: 'Create plan' }));
  await expect(page.getByRole('status').filter({ hasText: 'Plan saved' })).toBeVisible();
  const row = page.getByRole('region', { name: 'Plans' }).getByRole('row').filter({ hasText: id });
  await expect(row).toContainText('USD 199.00');
  await expect(row).toContainText('5,000,000');

  await follow(page, row.getByRole('link', { name: 'Edit plan Scale' }));
  await expect(page.getByLabel('Price per month')).toHaveValue('199.00');
  await page.getByLabel('Trial days').fill('14');
  await page.getByRole('checkbox', { name: 'Request log' }).uncheck();
  await submit(page, page.getByRole('button', { name: 'Save plan' }));
  await expect(page.getByRole('status').filter({ hasText: 'Plan saved' })).toBeVisible();
  expect(keyport('plans', 'list')).toMatch(new RegExp(`${id}.*trial\\s+14d.*features: live_keys\\s*$`, 'm'));

  await follow(page, page.getByRole('link', { name: 'Edit plan Scale' }));
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('admin-plan-edit-phone.png'), fullPage: true });
  await page.getByRole('button', { name: 'Archive plan' }).click();
  const ask = page.getByRole('dialog', { name: 'Archive Scale?' });
  await expect(ask).toContainText('stay on it');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toBeHidden();
  await page.getByRole('button', { name: 'Archive plan' }).click();
  await submit(page, ask.getByRole('button', { name: 'Archive plan' }));
  await expect(page.getByRole('status').filter({ hasText: 'Plan archived' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Plans' }).getByRole('row').filter({ hasText: id })).toContainText('archived');
});

test('the console voids a due invoice and issues its correction with a credit', async ({ page }) => {
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
  const invoices = page.getByRole('region', { name: 'Invoices' });
  await invoices.getByRole('button', { name: `Void ${number}` }).click();
  const ask = page.getByRole('dialog', { name: `Void ${number}?` });
  await ask.getByLabel('Reason (kept with the invoice)').fill('Billed before the contract started');
  await ask.getByRole('checkbox', { name: /Issue the correction now/ }).check();
  await ask.getByLabel(/Credit off it/).fill('1,000,000');
  await submit(page, ask.getByRole('button', { name: 'Void invoice' }));
  // Refused (more than the invoice): the dialog comes back open with the error and the input.
  const again = page.getByRole('dialog', { name: `Void ${number}?` });
  await expect(again.getByRole('alert').filter({ hasText: 'more than the invoice' })).toBeVisible();
  await expect(again.getByLabel('Reason (kept with the invoice)')).toHaveValue('Billed before the contract started');
  await again.getByLabel(/Credit off it/).fill('2.50');
  await again.getByLabel('What the credit is for').fill('Goodwill');
  await submit(page, again.getByRole('button', { name: 'Void invoice' }));
  await expect(page.getByRole('status').filter({ hasText: 'correction issued' })).toBeVisible();
  await expect(invoices.getByRole('row').filter({ hasText: number })).toContainText('Void');
  // The correction: the team's other invoice, due, with the next number and the credit off it.
  const lines = keyport('invoices', 'list', '--team', team).trim().split('\n');
  expect(lines.find((l) => l.startsWith(number))).toMatch(/\bvoid\b/);
  const correction = lines.find((l) => !l.startsWith(number))!;
  expect(correction).toMatch(/\bopen\b/);
  const next = correction.match(/INV-\d{6}/)![0];
  expect(keyport('invoices', 'show', next)).toContain('Goodwill');
  await expect(invoices.getByRole('row').filter({ hasText: next })).toContainText('Due');
});
