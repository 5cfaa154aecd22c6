import { test, expect, operatorToken, register, submit } from './fixtures';

/**
 * Seed 001's "signup-to-first-call": after the sign-up form, one click makes a working
 * test key, one click copies the first call with that key in it; running it (here the
 * provider's backend asking Keyport, as it would for the developer's request) turns the
 * dashboard's waiting line into "first call received" without a reload.
 */
test('from sign-up to a VALID first call in at most three actions, seen arriving live', async ({ page, context, baseURL, request }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL! });
  await register(page);
  let actions = 0;
  const quickstart = page.getByRole('region', { name: 'Quickstart' });
  const waiting = quickstart.getByRole('status').filter({ hasText: 'Waiting for your first call' });
  await expect(waiting).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('quickstart-start-desktop.png') });

  await submit(page, quickstart.getByRole('button', { name: 'Create a test key' }));
  actions++;
  await expect(quickstart).toContainText('Your test key “Quickstart test key” is ready.');
  await quickstart.getByRole('button', { name: 'Copy snippet' }).click();
  actions++;
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toMatch(/^curl /);
  const command = await page.evaluate(() => navigator.clipboard.readText());
  const key = command.match(/kp_test_[A-Za-z0-9]+/)![0];
  await expect(quickstart.getByLabel('Code snippet')).not.toContainText(key);
  await expect(quickstart.getByLabel('Code snippet')).toContainText('curl');
  await page.screenshot({ path: test.info().outputPath('quickstart-key-desktop.png') });

  // The developer runs the command: the provider's API asks Keyport about the key.
  const res = await request.post('/v1/keys/verify', { headers: { Authorization: `Bearer ${operatorToken()}` }, data: { key } });
  expect((await res.json()).code).toBe('VALID');
  const received = quickstart.getByRole('status').filter({ hasText: /First call received at \d\d:\d\d:\d\d/ });
  await expect(received).toBeVisible({ timeout: 20_000 });
  await expect(waiting).toHaveCount(0);
  expect(actions).toBeLessThanOrEqual(3);
  await page.screenshot({ path: test.info().outputPath('quickstart-received-desktop.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await quickstart.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('quickstart-received-phone.png') });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
