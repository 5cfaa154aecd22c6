import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

test("the operator's guides read beside the reference, and the search box finds them and operations", async ({ page }) => {
  const env = { ...process.env, ...serverEnv };
  const md = path.join(test.info().outputPath(), 'webhooks.md');
  fs.mkdirSync(path.dirname(md), { recursive: true });
  fs.writeFileSync(md, '## Receiving events\n\nWe `POST` a **signed** event to your endpoint when a pet is adopted.\n\n| Header | Meaning |\n|---|---|\n| `X-Signature` | HMAC-SHA256 of the body |\n\n```js\nverify(req.headers["x-signature"], body)\n```\n');
  const added = execFileSync(keyportBin, ['docs', 'page', 'add', '--title', 'Webhooks', '--file', md], { env, encoding: 'utf8' });
  expect(added).toContain('#guide-webhooks');
  try {
    execFileSync(keyportBin, ['docs', 'import', fixture('readme-v3.0-petstore.yaml')], { env, encoding: 'utf8', stdio: 'pipe' });
  } catch {
    // Already in effect (an earlier test imported it).
  }
  await register(page);
  await page.goto('/portal/docs');
  const contents = page.getByRole('navigation', { name: 'API reference contents' });
  await contents.getByRole('link', { name: 'Webhooks' }).click();
  const guide = page.getByRole('region', { name: 'Webhooks' });
  await expect(guide).toBeInViewport();
  await expect(guide.getByRole('heading', { name: 'Receiving events' })).toBeVisible();
  await expect(guide.getByRole('table')).toContainText('HMAC-SHA256');
  await page.screenshot({ path: test.info().outputPath('docs-guide-desktop.png') });

  // Search: the box, the results, a result's link.
  const box = page.getByRole('searchbox', { name: 'Search the docs' });
  await box.fill('adopted endpoint');
  await box.press('Enter');
  const results = page.getByRole('region', { name: 'Search results' });
  await expect(results.getByRole('status')).toHaveText('1 result for “adopted endpoint”');
  await expect(page.getByRole('searchbox', { name: 'Search the docs' })).toHaveValue('adopted endpoint');
  await results.getByRole('link', { name: 'Webhooks' }).click();
  await expect(page).toHaveURL(/#guide-webhooks$/);
  await page.getByRole('searchbox', { name: 'Search the docs' }).fill('pet');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(results.getByRole('link').first()).toBeVisible();
  expect(await results.getByRole('link').count()).toBeGreaterThan(3);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath('docs-search-phone.png') });
  await guide.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('docs-guide-phone.png') });
  // Nothing on the page is wider than the phone.
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(wide).toBeLessThanOrEqual(390);
});

test('Try it sends a call through the relay to a local API and shows its answer', async ({ page }) => {
  const env = { ...process.env, ...serverEnv };
  // The provider's API: answers a pet when the key header is there.
  const api = http.createServer((req, res) => {
    const id = Number((req.url ?? '').split('?')[0].split('/').pop());
    if (req.url?.startsWith('/v1/pets/') && String(req.headers['x-api-key'] ?? '').startsWith('kp_test_')) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': 'local-api' });
      res.end(JSON.stringify({ id, name: 'Rex', verbose: req.url.includes('verbose=true') }));
    } else {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error": "no key"}');
    }
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
  const port = (api.address() as AddressInfo).port;
  try {
    const doc = path.join(test.info().outputPath(), 'local-api.yaml');
    fs.mkdirSync(path.dirname(doc), { recursive: true });
    fs.writeFileSync(doc, [
      'openapi: 3.0.3',
      'info: {title: Local pets, version: "1"}',
      `servers: [{url: "http://127.0.0.1:${port}/v1"}]`,
      'components: {securitySchemes: {key: {type: apiKey, in: header, name: X-Api-Key}}}',
      'security: [{key: []}]',
      'paths:',
      '  /pets/{petId}:',
      '    get:',
      '      operationId: getPet',
      '      summary: Find a pet',
      '      parameters:',
      '        - {name: petId, in: path, required: true, schema: {type: integer, example: 7}}',
      '        - {name: verbose, in: query, schema: {type: boolean}}',
      "      responses: {'200': {description: the pet}}",
      '',
    ].join('\n'));
    // Loopback is a private address: the operator allows it for an API on the same network.
    execFileSync(keyportBin, ['settings', 'set', 'docs.try_it_private_networks', 'true'], { env, encoding: 'utf8' });
    execFileSync(keyportBin, ['docs', 'import', doc], { env, encoding: 'utf8' });
    await register(page);
    await page.goto('/portal/docs');
    await hydrated(page);
    const op = page.getByRole('article', { name: 'Find a pet' });
    await op.getByText('Try it', { exact: true }).click();
    await op.getByLabel('Your API key').fill('kp_test_from_the_browser');
    await expect(op.getByLabel('Your API key')).toHaveAttribute('type', 'password');
    await op.getByLabel('petId (path, required)').fill('42');
    await op.getByLabel('verbose (query)').fill('true');
    const answer = op.getByRole('status').filter({ hasText: /^\d{3} / });
    // The setting reaches the server within a second: send until it has.
    await expect(async () => {
      await op.getByRole('button', { name: 'Send GET' }).click();
      await expect(answer).toHaveText(/^200 OK · \d+ ms$/, { timeout: 2_000 });
    }).toPass({ timeout: 15_000 });
    await expect(op.getByLabel('Answer body')).toContainText('"id": 42');
    await expect(op.getByLabel('Answer body')).toContainText('"verbose": true');
    await op.getByText(/^Headers \(\d+\)$/).click();
    await expect(op.getByText('x-served-by: local-api', { exact: false })).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('docs-try-it-desktop.png') });
    // Without the key the API's own refusal comes back as it is.
    await op.getByLabel('Your API key').fill('');
    await op.getByRole('button', { name: 'Send GET' }).click();
    await expect(answer).toHaveText(/^401 Unauthorized/);
    await page.setViewportSize({ width: 390, height: 844 });
    await op.scrollIntoViewIfNeeded();
    await page.screenshot({ path: test.info().outputPath('docs-try-it-phone.png') });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  } finally {
    api.close();
  }
});

test('every shared OpenAPI document renders its reference in the browser without a console error', async ({ page }) => {
  // The guard fixture fails the test on any console or page error of any of these loads.
  const env = { ...process.env, ...serverEnv };
  const dir = path.dirname(fixture('readme-v3.0-petstore.yaml'));
  const files = fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  expect(files.length).toBeGreaterThanOrEqual(20);
  await register(page);
  for (const f of files) {
    let expected: number | undefined;
    try {
      const out = execFileSync(keyportBin, ['docs', 'import', path.join(dir, f)], { env, encoding: 'utf8', stdio: 'pipe' });
      expected = Number(/(\d+) operations\)/.exec(out)?.[1]);
    } catch (e) {
      // Only "already in effect" is acceptable (the same document imported just before).
      expect(String((e as { stderr?: string }).stderr ?? e)).toContain('already in effect');
    }
    const res = await page.goto('/portal/docs');
    expect(res?.status(), f).toBe(200);
    await hydrated(page);
    await expect(page.getByRole('navigation', { name: 'API reference contents' }), f).toBeVisible();
    const operations = await page.locator('article.docs-op[id^="op-"]').count();
    if (expected !== undefined) expect(operations, `${f}: every operation drawn`).toBe(expected);
  }
});
