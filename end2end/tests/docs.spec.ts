import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test, expect, register, nav, submit, hydrated } from './fixtures';
import { keyportBin, serverEnv } from '../playwright.config';

/** The shared OpenAPI fixtures, read where they live (never copied into the repository). */
function fixture(name: string): string {
  const dirs = [process.env.KEYPORT_FIXTURES, path.join(__dirname, '..', '..', '..', 'shared', 'fixtures'), '/work/shared/fixtures'].filter(Boolean) as string[];
  const dir = dirs.map((d) => path.join(d, 'openapi')).find((d) => fs.existsSync(d));
  if (!dir) throw new Error('the shared OpenAPI fixtures (../shared/fixtures/openapi, or set KEYPORT_FIXTURES)');
  return path.join(dir, name);
}

test('the docs page draws the imported reference with contents and a link per operation', async ({ page }) => {
  const out = execFileSync(keyportBin, ['docs', 'import', fixture('readme-v3.0-petstore.yaml')], { env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
  expect(out).toContain('Imported version');
  await register(page);
  await page.goto('/portal/docs');
  const contents = page.getByRole('navigation', { name: 'API reference contents' });
  await expect(contents).toBeVisible();
  const first = contents.getByRole('link').first();
  const href = await first.getAttribute('href');
  await first.click();
  await expect(page).toHaveURL(new RegExp(`${href}$`));
  await expect(page.locator(href!)).toBeInViewport();
  await expect(page.getByRole('table').first()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('docs-desktop.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/portal/docs');
  await expect(contents).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('docs-phone.png'), fullPage: false });
});

test('samples carry the key made in this tab when copied, in the language picked; schemas draw as trees', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL! });
  try {
    execFileSync(keyportBin, ['docs', 'import', fixture('readme-v3.0-petstore.yaml')], { env: { ...process.env, ...serverEnv }, encoding: 'utf8', stdio: 'pipe' });
  } catch {
    // Already in effect (the test above imported it).
  }
  await register(page);
  await nav(page, 'API Keys');
  await page.getByRole('button', { name: 'Create your first key' }).click();
  const create = page.getByRole('dialog', { name: 'Create an API key' });
  await create.getByLabel('Name').fill('Docs try');
  await submit(page, create.getByRole('button', { name: 'Create key' }));
  const shown = page.getByRole('dialog', { name: 'Your new API key' });
  await shown.getByRole('button', { name: 'Copy', exact: true }).click();
  const key = await page.evaluate(() => navigator.clipboard.readText());
  expect(key).toMatch(/^kp_(live|test)_/);
  await shown.getByRole('button', { name: /Done/ }).click();

  await page.goto('/portal/docs');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Authentication' })).toBeVisible();
  await expect(page.getByLabel('Samples use')).toContainText('Docs try');
  const samples = page.getByRole('group', { name: /^Code samples:/ }).first();
  // On screen the key is masked; curl first.
  const curl = samples.getByLabel('curl sample');
  await expect(curl).toBeVisible();
  await expect(curl).not.toContainText(key);
  await samples.getByRole('button', { name: 'JavaScript' }).click();
  await expect(samples.getByLabel('JavaScript sample')).toBeVisible();
  await expect(curl).toBeHidden();
  await expect(samples.getByRole('button', { name: 'JavaScript' })).toHaveAttribute('aria-pressed', 'true');
  await samples.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Sample copied, with your key in it.' })).toBeAttached();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toContain(key);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain('await fetch(');
  // Schema trees and the schemas section.
  await expect(page.locator('.schema-row').first()).toBeVisible();
  await expect(page.getByRole('region', { name: 'Schemas' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('docs-samples-desktop.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await samples.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('docs-samples-phone.png') });
});
