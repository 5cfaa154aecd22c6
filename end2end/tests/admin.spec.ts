import { execFileSync } from 'node:child_process';
import { test, expect, register, hydrated, submit, follow, watch } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

function cli(...args: string[]) {
  return execFileSync(keyportBin, args, { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
}

// The provider's admin, made one with the CLI, finds a customer, creates a key for their team,
// suspends the team and reactivates it; the customer sees in their own audit trail that the
// provider did it. Anyone else finds no console at /admin.
test('an operator admin acts for a customer from the console, and nobody else sees it', async ({ page, browser }) => {
  const customer = await register(page);
  // Not an admin (yet): the console is a plain 404.
  const res = await page.goto('/admin/developers');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByText('Admin console')).toHaveCount(0);

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const adminProblems: string[] = [];
  watch(admin, adminProblems);
  const adminEmail = await register(admin);
  expect(cli('admin', 'grant', adminEmail)).toContain('is now an operator admin');
  await admin.goto('/portal');
  await hydrated(admin);
  await follow(admin, admin.getByRole('link', { name: 'Admin console' }));
  await expect(admin).toHaveURL(/\/admin$/);
  await expect(admin.getByRole('heading', { name: 'Developers' })).toBeVisible();

  // Find the customer by part of their address (the filter is sent on change).
  await admin.getByRole('searchbox', { name: 'Email' }).fill(customer.slice(0, 20));
  await admin.getByRole('searchbox', { name: 'Email' }).press('Enter');
  await admin.waitForURL(/\/admin\/developers\?q=/);
  await hydrated(admin);
  await expect(admin.getByRole('table', { name: 'Developers' }).getByRole('row')).toHaveCount(2);
  await follow(admin, admin.getByRole('link', { name: customer }));
  await expect(admin.getByRole('heading', { name: customer })).toBeVisible();
  await admin.screenshot({ path: test.info().outputPath('admin-developer.png'), fullPage: true });
  await follow(admin, admin.getByRole('region', { name: /Teams/ }).getByRole('link').first());
  await expect(admin.getByRole('heading', { name: /team/ }).first()).toBeVisible();

  // A key for the team, shown once to the admin.
  await admin.getByRole('button', { name: 'Create a key for this team' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Create a key for this team' });
  await dialog.getByLabel('Name').fill('Made by support');
  await submit(admin, dialog.getByRole('button', { name: 'Create key' }));
  const shown = admin.getByRole('dialog', { name: 'The new key for this team' });
  await expect(shown).toBeVisible();
  await expect(shown.getByText(/kp_test_/).first()).toBeVisible();
  await shown.getByRole('button', { name: /Done/ }).click();
  await expect(admin.getByRole('table', { name: 'Keys' }).getByRole('rowheader', { name: /Made by support/ })).toBeVisible();

  // Suspend: a reason is asked for in a dialog.
  await admin.getByRole('button', { name: 'Suspend team' }).click();
  const suspend = admin.getByRole('dialog', { name: /Suspend/ });
  await suspend.getByLabel('Reason (the team sees it)').fill('Abuse report 42');
  await submit(admin, suspend.getByRole('button', { name: 'Suspend team' }));
  await expect(admin.getByRole('status')).toContainText('TEAM_SUSPENDED');
  await expect(admin.getByRole('note')).toContainText('Abuse report 42');
  await admin.screenshot({ path: test.info().outputPath('admin-team-suspended.png'), fullPage: true });
  await admin.setViewportSize({ width: 390, height: 844 });
  await admin.screenshot({ path: test.info().outputPath('admin-team-phone.png'), fullPage: true });
  await admin.setViewportSize({ width: 1280, height: 800 });
  await submit(admin, admin.getByRole('button', { name: 'Reactivate team' }));
  await expect(admin.getByRole('status')).toContainText('Reactivated');

  // The customer's own trail says the provider did it.
  await page.goto('/portal/audit?action=team.suspended');
  await hydrated(page);
  const row = page.getByRole('row', { name: /Team suspended/ });
  await expect(row).toContainText(adminEmail);
  await expect(row.getByText('Provider')).toBeVisible();
  await page.goto('/portal/audit?action=key.created');
  await expect(page.getByRole('row', { name: /Key created/ }).filter({ hasText: 'Made by support' })).toContainText('Provider');

  expect(cli('admin', 'revoke', adminEmail)).toContain('no longer an operator admin');
  expect((await admin.goto('/admin/teams'))?.status()).toBe(404);
  expect(adminProblems, adminProblems.join('\n')).toEqual([]);
  await adminContext.close();
});

test('an operator admin imports an OpenAPI document from the console, is told why a bad one is refused, and puts a version back', async ({ page }) => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const email = await register(page);
  cli('admin', 'grant', email);
  await page.goto('/admin/docs');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Docs', level: 1 })).toBeVisible();
  const bad = path.join(test.info().outputPath(), 'broken.yaml');
  fs.mkdirSync(path.dirname(bad), { recursive: true });
  fs.writeFileSync(bad, "openapi: 3.0.3\ninfo: {title: Broken, version: '1'}\npaths:\n  /pets:\n    get: {summary: no responses}\n");
  await page.getByLabel('Document file').setInputFiles(bad);
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'at /paths/~1pets/get/responses' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('admin-docs-refused.png') });

  const dirs = [process.env.KEYPORT_FIXTURES, path.join(__dirname, '..', '..', '..', 'shared', 'fixtures'), '/work/shared/fixtures'].filter(Boolean) as string[];
  const fixtures = dirs.map((d) => path.join(d, 'openapi')).find((d) => fs.existsSync(d))!;
  await page.getByLabel('Document file').setInputFiles(path.join(fixtures, 'readme-v3.1-schema-types.yaml'));
  await page.getByRole('button', { name: 'Import' }).click();
  await page.waitForURL(/\/admin\/docs\?done=imported$/);
  await hydrated(page);
  await expect(page.getByRole('status').filter({ hasText: 'Imported: the new version is in effect on every node.' })).toBeVisible();
  const versions = page.getByRole('region', { name: 'Versions' });
  await expect(versions.getByRole('row').filter({ hasText: 'In effect' })).toContainText('schema types');
  await page.screenshot({ path: test.info().outputPath('admin-docs-desktop.png'), fullPage: true });
  const back = versions.getByRole('button', { name: /^Put version \d+ back in effect$/ }).first();
  if (await back.count()) {
    await back.click();
    await submit(page, page.getByRole('dialog').getByRole('button', { name: 'Put it back' }));
    await expect(page.getByRole('status').filter({ hasText: 'That version is in effect again on every node.' })).toBeVisible();
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath('admin-docs-phone.png'), fullPage: true });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
