import { test, expect, operatorToken, register, hydrated, createKey } from './fixtures';
import type { APIRequestContext } from '@playwright/test';

async function verify(request: APIRequestContext, key: string, times: number, endpoint?: string) {
  const headers = { Authorization: `Bearer ${operatorToken()}` };
  for (let i = 0; i < times; i++) {
    const res = await request.post('/v1/keys/verify', { headers, data: { key, endpoint } });
    expect((await res.json()).code).toBe('VALID');
  }
}

test('the usage page follows live traffic and redraws for each range and filter', async ({ page, request }) => {
  await register(page);
  const checkout = await createKey(page, 'Checkout', 'live');
  const staging = await createKey(page, 'Staging', 'test');

  await page.goto('/portal/usage');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Usage', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No traffic in this range' })).toBeVisible();
  await page.evaluate(() => ((window as any).__no_reload = true));

  // Traffic arrives while the page is open: verifications and served requests.
  await verify(request, checkout.secret, 5, 'GET /orders');
  await verify(request, staging.secret, 2);
  const events = Array.from({ length: 10 }, (_, i) => ({
    key_id: checkout.id, endpoint: 'GET /orders', status: i === 0 ? 500 : i < 3 ? 404 : 200, latency_ms: 20 * (i + 1),
  }));
  const served = await request.post('/v1/usage', { headers: { Authorization: `Bearer ${operatorToken()}` }, data: { events } });
  expect(served.status()).toBe(202);

  // The counters and the chart move without a reload.
  const total = page.getByTestId('total-verifications');
  await expect(total).toHaveText('7', { timeout: 20_000 });
  await expect(page.getByTestId('total-requests')).toHaveText('10');
  await expect(page.getByTestId('error-rate')).toHaveText('30.0%');
  await expect(page.getByRole('img', { name: 'Verifications per period over the last 24 hours: 7 valid, 0 refused' })).toBeVisible();
  await expect(page.locator('svg title', { hasText: 'Valid: 7' })).toHaveCount(1);
  await expect(page.getByRole('img', { name: /Latency percentiles/ })).toBeVisible();
  await expect(page.getByRole('row', { name: /GET \/orders/ })).toContainText('30.0%');
  await verify(request, checkout.secret, 3);
  await expect(total).toHaveText('10', { timeout: 20_000 });
  expect(await page.evaluate(() => (window as any).__no_reload)).toBe(true);

  // Per-minute granularity over the last 24 hours: 1440 periods, the traffic in the last.
  await page.getByLabel('Granularity').selectOption('minute');
  // (A choice sends the filter form: a new page, whose islands go live again.)
  await expect(page).toHaveURL(/granularity=minute/);
  await hydrated(page);
  await expect(page.getByText('Time (UTC), one point per minute').first()).toBeVisible();
  await expect(total).toHaveText('10');

  // Another range redraws the chart and resets the granularity to one that fits it.
  await page.getByLabel('Range', { exact: true }).selectOption('7d');
  await expect(page).toHaveURL(/range=7d&granularity=hour/);
  await hydrated(page);
  await expect(page.getByRole('img', { name: /over the last 7 days: 10 valid/ })).toBeVisible();
  await page.getByLabel('Granularity').selectOption('day');
  await expect(page).toHaveURL(/granularity=day/);
  await hydrated(page);
  await expect(page.getByText('Time (UTC), one point per day').first()).toBeVisible();

  // One key: only its traffic; it served nothing, so those charts explain themselves.
  await page.getByLabel('Key', { exact: true }).selectOption({ label: 'Staging (test)' });
  await expect(page).toHaveURL(new RegExp(`key=${staging.id}`));
  await hydrated(page);
  await expect(total).toHaveText('2');
  await expect(page.getByText('No served requests reported in this range.')).toHaveCount(2);

  // One environment.
  await page.getByLabel('Key', { exact: true }).selectOption({ label: 'All keys' });
  await expect(page).not.toHaveURL(/key=/);
  await hydrated(page);
  await page.getByLabel('Environment').selectOption('live');
  await expect(total).toHaveText('8');
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', /range=7d&granularity=day&env=live/);

  // The view is in the URL: loading it directly draws the same thing on the server.
  await page.reload();
  await hydrated(page);
  await expect(total).toHaveText('8');
  await expect(page.getByLabel('Environment')).toHaveValue('live');
});

test('a key page shows the same charts for that key', async ({ page, request }) => {
  await register(page);
  const k = await createKey(page, 'Mobile app', 'live');
  await verify(request, k.secret, 4, 'GET /profile');
  await page.goto(`/portal/keys/${k.id}`);
  await hydrated(page);
  const usage = page.getByRole('region', { name: 'Usage' });
  await expect(usage.getByTestId('total-verifications')).toHaveText('4', { timeout: 20_000 });
  await usage.getByLabel('Range', { exact: true }).selectOption('30d');
  await expect(usage.getByRole('img', { name: /over the last 30 days: 4 valid/ })).toBeVisible();
  await expect(usage.getByRole('row', { name: /GET \/profile/ })).toBeVisible();
});
