import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test, expect, register } from './fixtures';
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
