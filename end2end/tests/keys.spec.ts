import { test, expect, operatorToken, register, hydrated, nav, follow, submit } from './fixtures';

test('a developer creates a scoped key, copies a snippet, rotates it with a 1 h grace and revokes the old key', async ({ page, context, request, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL! });
  await register(page);
  await nav(page, 'API Keys');
  await page.getByRole('button', { name: 'Create your first key' }).click();
  const create = page.getByRole('dialog', { name: 'Create an API key' });
  await create.getByLabel('Name').fill('Checkout service');
  await create.getByLabel('Description (optional)').fill('Charges cards at checkout');
  await expect(create.getByRole('checkbox', { name: 'payments:read' })).toBeChecked();
  await create.getByRole('checkbox', { name: 'payments:write' }).check();
  await create.getByLabel('Requests per minute').fill('5000');
  await create.getByRole('button', { name: 'Create key' }).click();
  await expect(create.getByText('Enter a whole number from 1 to 1000.')).toBeVisible();
  await create.getByLabel('Requests per minute').fill('300');
  // A refused form comes back with what was typed: the name, the scope ticked, the rest.
  await expect(create.getByLabel('Name')).toHaveValue('Checkout service');
  await expect(create.getByRole('checkbox', { name: 'payments:write' })).toBeChecked();
  await submit(page, create.getByRole('button', { name: 'Create key' }));

  const shown = page.getByRole('dialog', { name: 'Your new API key' });
  await shown.getByRole('button', { name: 'JavaScript' }).click();
  await shown.getByRole('button', { name: 'Copy snippet' }).click();
  await expect(shown.getByRole('button', { name: 'Snippet copied' })).toBeVisible();
  const snippet = await page.evaluate(() => navigator.clipboard.readText());
  const oldKey = snippet.match(/kp_live_[0-9A-Za-z]{28}/)![0];
  expect(snippet).toContain('await fetch(');
  await shown.getByRole('button', { name: /Done/ }).click();
  const row = page.getByRole('row', { name: /Checkout service/ });
  await expect(row).toContainText('payments:write');

  // The key is used, so its last use shows up during the grace.
  const auth = { Authorization: `Bearer ${operatorToken()}` };
  const used = await request.post('/v1/keys/verify', { headers: auth, data: { key: oldKey, scopes: ['payments:write'] } });
  expect((await used.json()).code).toBe('VALID');

  await row.getByRole('link', { name: 'Checkout service' }).click();
  await expect(page).toHaveURL(/\/portal\/keys\/key_/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Rotate key' }).click();
  const rotate = page.getByRole('dialog', { name: 'Rotate this key' });
  await rotate.getByLabel('1 hour').check();
  await submit(page, rotate.getByRole('button', { name: 'Rotate key' }));
  const fresh = page.getByRole('dialog', { name: 'Your new key (rotated)' });
  await fresh.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(fresh.getByRole('status')).toHaveText('Key copied to the clipboard.');
  const newKey = await page.evaluate(() => navigator.clipboard.readText());
  expect(newKey).not.toBe(oldKey);
  await fresh.getByRole('button', { name: /Done/ }).click();

  // The old key: in grace, with its last use in view, and a way to end it now.
  const banner = page.getByRole('region', { name: 'This key was rotated' });
  await expect(banner).toContainText('keeps working until');
  await expect(banner).not.toContainText('Last used: never', { timeout: 10_000 });
  for (const k of [oldKey, newKey]) {
    const r = await request.post('/v1/keys/verify', { headers: auth, data: { key: k } });
    expect((await r.json()).code).toBe('VALID');
  }
  await follow(page, page.getByRole('link', { name: '← API keys' }));
  await expect(page.getByRole('row', { name: /Checkout service/ })).toHaveCount(2);
  const graceRow = page.getByRole('row', { name: /In grace/ });
  await expect(graceRow).toContainText('until');
  await graceRow.getByRole('button', { name: 'Revoke old key now: Checkout service' }).click();
  await page.getByRole('dialog', { name: 'Revoke “Checkout service”?' }).getByRole('button', { name: 'Revoke key' }).click();
  await expect(page.getByRole('row', { name: /Revoked/ })).toHaveCount(1);
  const after = await request.post('/v1/keys/verify', { headers: auth, data: { key: oldKey } });
  expect((await after.json()).code).toBe('REVOKED');
  const still = await request.post('/v1/keys/verify', { headers: auth, data: { key: newKey } });
  expect((await still.json()).code).toBe('VALID');
});

test('a key named to break out of the title stays text: no redirect, the tab shows the name', async ({ page }) => {
  const hostile = '</title><meta http-equiv=refresh content="0;url=//evil.example">';
  await register(page);
  await nav(page, 'API Keys');
  await hydrated(page);
  await page.getByRole('button', { name: 'Create your first key' }).click();
  const create = page.getByRole('dialog', { name: 'Create an API key' });
  await create.getByLabel('Name').fill(hostile);
  await create.getByLabel('Description (optional)').fill('<img src=x onerror="document.title=1">');
  await create.getByRole('button', { name: 'Create key' }).click();
  await page.getByRole('dialog', { name: 'Your new API key' }).getByRole('button', { name: /Done/ }).click();

  // The owner opens the key's page, served fresh from the server.
  const link = page.getByRole('row', { name: /evil\.example/ }).getByRole('link').first();
  const href = await link.getAttribute('href');
  await page.goto(href!);
  await hydrated(page);
  await page.waitForTimeout(1500); // a refresh of 0 s would have left by now
  await expect(page).toHaveURL(new RegExp(`${href!.replace(/[/]/g, '\\/')}$`));
  expect(await page.title()).toBe(`${hostile} · Keyport`);
  expect(await page.locator('head meta[http-equiv]').count()).toBe(0);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(hostile);
  await expect(page.getByText('<img src=x onerror="document.title=1">').first()).toBeVisible();
});
