import { test, expect, operatorToken, register, hydrated, PASSWORD, uniqueEmail, nav, follow, submit } from './fixtures';

test('a newcomer signs up, creates a key, copies it, uses it, watches usage rise and revokes it', async ({ page, context, request, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL! });
  await register(page);

  // Dashboard: the usage card is there and starts at zero.
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('month-requests')).toHaveText('0');
  await expect(page.getByText('/ 10,000')).toBeVisible();
  await expect(page.getByText('You have no active keys yet.')).toBeVisible();

  // Keys page: empty state invites the first key.
  await nav(page, 'API Keys');
  await expect(page).toHaveURL(/\/portal\/keys$/);
  await expect(page.getByRole('heading', { name: 'No API keys yet' })).toBeVisible();
  await page.getByRole('button', { name: 'Create your first key' }).click();

  const create = page.getByRole('dialog', { name: 'Create an API key' });
  await expect(create).toBeVisible();
  await expect(create.getByLabel('Name')).toBeFocused();
  // An empty name is refused with a field error, and nothing is created.
  await create.getByRole('button', { name: 'Create key' }).click();
  await expect(create.getByText('Give the key a name')).toBeVisible();
  await create.getByLabel('Name').fill('Production server');
  await create.getByLabel('Live').check();
  await create.getByLabel('Expires').selectOption('90');
  await submit(page, create.getByRole('button', { name: 'Create key' }));

  // The show-once dialog: masked by default, copy without revealing.
  const shown = page.getByRole('dialog', { name: 'Your new API key' });
  await expect(shown).toBeVisible();
  await expect(shown.getByText('This key will never be shown again.')).toBeVisible();
  const keyText = shown.getByLabel('API key');
  await expect(keyText).toContainText('…');
  await shown.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(shown.getByRole('status')).toHaveText('Key copied to the clipboard.');
  const key = await page.evaluate(() => navigator.clipboard.readText());
  expect(key).toMatch(/^kp_live_[0-9A-Za-z]{28}$/);
  await expect(keyText).not.toContainText(key);
  await shown.getByRole('button', { name: 'Reveal key' }).click();
  await expect(keyText).toHaveText(key);
  await shown.getByRole('button', { name: 'Hide key' }).click();
  await expect(keyText).not.toContainText(key);
  // A ready-to-paste snippet: shown masked, copied with the real key.
  await shown.getByRole('button', { name: 'Python' }).click();
  await expect(shown.getByLabel('Code snippet')).toContainText('requests.get(');
  await expect(shown.getByLabel('Code snippet')).not.toContainText(key);
  await shown.getByRole('button', { name: 'Copy snippet' }).click();
  await expect(shown.getByRole('button', { name: 'Snippet copied' })).toBeVisible();
  const snippet = await page.evaluate(() => navigator.clipboard.readText());
  expect(snippet).toContain(`"Authorization": "Bearer ${key}"`);
  await shown.getByRole('button', { name: /Done/ }).click();
  await expect(shown).toBeHidden();

  // The list shows the key masked, with its environment and status.
  const row = page.getByRole('row', { name: /Production server/ });
  await expect(row).toContainText(`${key.slice(0, 12)}…${key.slice(-4)}`);
  await expect(row).toContainText('live');
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Never');

  // Back on the dashboard, the usage count rises without a reload.
  await nav(page, 'Dashboard');
  await expect(page.getByTestId('month-requests')).toHaveText('0');
  await page.evaluate(() => ((window as any).__no_reload = true));
  const auth = { Authorization: `Bearer ${operatorToken()}` };
  const ok = await request.post('/v1/keys/verify', { headers: auth, data: { key } });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).code).toBe('VALID');
  await expect(page.getByTestId('month-requests')).toHaveText('1', { timeout: 15_000 });
  expect(await page.evaluate(() => (window as any).__no_reload)).toBe(true);

  // Revoke asks for confirmation, then the key is refused.
  await nav(page, 'API Keys');
  await page.getByRole('button', { name: 'Revoke Production server' }).click();
  const confirm = page.getByRole('dialog', { name: /Revoke “Production server”/ });
  await expect(confirm).toContainText('cannot be undone');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toBeHidden();
  await expect(row).toContainText('Active');
  await page.getByRole('button', { name: 'Revoke Production server' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
  await expect(row).toContainText('Revoked');
  const refused = await request.post('/v1/keys/verify', { headers: auth, data: { key } });
  expect((await refused.json()).code).toBe('REVOKED');
});

test('sign in shows one message for a wrong password, then signs in and out', async ({ page }) => {
  const email = await register(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/portal\/login$/);
  await hydrated(page);

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not my password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' })).toBeVisible();

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByText(email)).toBeVisible();

  // Signed out, the portal sends you to sign in.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/portal\/login$/);
  await page.goto('/portal/keys');
  await expect(page).toHaveURL(/\/portal\/login$/);
});

test('sign-up explains what is wrong with weak input', async ({ page }) => {
  await page.goto('/portal/register');
  await hydrated(page);
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Enter an email address like name@example.com.')).toBeVisible();
  await page.getByLabel('Email').fill(uniqueEmail());
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText(/too common/)).toBeVisible();
  // Still on the sign-up page (a plain form: the server sends it back with the error).
  await expect(page).toHaveURL(/\/portal\/register(\?.*)?$/);
  await expect(page.getByLabel('Email')).not.toHaveValue('');
});

test('the portal works on a phone-sized screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await register(page);
  const nav = page.getByRole('navigation', { name: 'Portal' });
  await expect(nav.getByRole('link', { name: 'API Keys' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Usage this month' })).toBeVisible();
  await follow(page, nav.getByRole('link', { name: 'API Keys' }));
  await page.getByRole('button', { name: 'Create your first key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create an API key' });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('every page renders on the server and hydrates when loaded directly', async ({ page }) => {
  for (const path of ['/portal/login', '/portal/register']) {
    await page.goto(path);
    await hydrated(page);
  }
  await register(page);
  for (const [path, heading] of [
    ['/portal', 'Dashboard'], ['/portal/keys', 'No API keys yet'], ['/portal/team', 'Team'],
    ['/portal/audit', 'Audit trail'], ['/portal/outbox', 'No emails yet'],
    ['/portal/usage', 'Usage'],
    // The docs page is titled by the API's document once one is imported (docs.spec does).
    ['/portal/docs', ''], ['/portal/billing', 'Billing'], ['/portal/settings', 'Settings'],
  ]) {
    await page.goto(path);
    await hydrated(page);
    const title = heading ? page.getByRole('heading', { name: heading, exact: true }) : page.getByRole('heading', { level: 1 });
    await expect(title).toBeVisible();
  }
  // Signed in, the sign-in page sends you to the dashboard.
  await page.goto('/portal/login');
  await expect(page).toHaveURL(/\/portal$/);
});

test('a developer creates a team, works in it, and switches back to the personal team', async ({ page }) => {
  await register(page);
  await page.getByRole('button', { name: 'New team' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a team' });
  await expect(dialog.getByLabel('Team name')).toBeFocused();
  await dialog.getByRole('button', { name: 'Create team' }).click();
  await expect(dialog.getByText('Give the team a name.')).toBeVisible();
  await dialog.getByLabel('Team name').fill('Acme Payments');
  await dialog.getByLabel('Description (optional)').fill('The billing squad');
  await dialog.getByRole('button', { name: 'Create team' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  const switcher = page.getByLabel('Active team');
  await expect(switcher.locator('option:checked')).toHaveText('Acme Payments');
  await hydrated(page);
  await expect(page.getByText('You have no active keys yet.')).toBeVisible();

  const personal = await switcher.locator('option', { hasText: '(personal)' }).getAttribute('value');
  await switcher.selectOption(personal!);
  await expect(switcher.locator('option:checked')).toContainText('(personal)');
  await hydrated(page);
  await expect(switcher.locator('option')).toHaveCount(2);
});
