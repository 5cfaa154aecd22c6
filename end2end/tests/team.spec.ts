import { test, expect, register, hydrated, uniqueEmail, watch, linkFromLog, nav } from './fixtures';

test('an owner invites a viewer, who joins from a second browser, may only look, and is removed', async ({ page, browser }) => {
  const ownerEmail = await register(page);

  // Something for the viewer to look at: one key.
  await page.goto('/portal/keys');
  await hydrated(page);
  await page.getByRole('button', { name: 'Create your first key' }).click();
  const create = page.getByRole('dialog', { name: 'Create an API key' });
  await create.getByLabel('Name').fill('Shared key');
  await create.getByRole('button', { name: 'Create key' }).click();
  await page.getByRole('dialog', { name: 'Your new API key' }).getByRole('button', { name: /Done/ }).click();

  // Invite by email as a viewer, with a message.
  const viewerEmail = uniqueEmail();
  await nav(page, 'Team');
  await expect(page.getByRole('heading', { name: 'Invite people' })).toBeVisible();
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByText('Enter the address to send the invitation to.')).toBeVisible();
  await page.getByLabel('Email address').fill(viewerEmail);
  await page.getByLabel('Role', { exact: true }).selectOption('viewer');
  await page.getByLabel('Personal message (optional)').fill('Read-only access for the audit.');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByText(`Invitation sent to ${viewerEmail}.`)).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(viewerEmail) })).toContainText('Viewer');

  // No SMTP here: the outbox page shows the email without its link, which only the
  // recipient gets (here: the server's log, the delivery without SMTP).
  await page.getByRole('link', { name: 'Sent emails' }).click();
  await expect(page.getByRole('heading', { name: 'Sent emails' })).toBeVisible();
  await page.getByText(`Message to ${viewerEmail}`).click();
  const body = await page.locator('pre.email-body').first().innerText();
  expect(body).toContain('Read-only access for the audit.');
  expect(body).toContain('[one-time link: sent only to the recipient]');
  expect(body).not.toMatch(/\/portal\/invite\/[A-Za-z0-9_-]{20,}/);
  const link = await linkFromLog(viewerEmail, 'invite');

  // A second browser: the invitee follows the link, signs up and lands in the team.
  const other = await browser.newContext();
  const viewer = await other.newPage();
  const problems: string[] = [];
  watch(viewer, problems);
  await viewer.goto(link);
  await hydrated(viewer);
  await expect(viewer.getByText('invited you to join')).toBeVisible();
  await expect(viewer.getByLabel('Email')).toHaveValue(viewerEmail);
  await viewer.getByLabel('Choose a password').fill('a different long passphrase');
  await viewer.getByRole('button', { name: 'Create account and join' }).click();
  await expect(viewer).toHaveURL(/\/portal$/);
  await hydrated(viewer);
  await expect(viewer.getByLabel('Active team').locator('option:checked')).toContainText(`${ownerEmail.split('@')[0]}'s team`);

  // As a viewer: masked keys, no create or revoke, and the server refuses a direct call.
  await nav(viewer, 'API Keys');
  const row = viewer.getByRole('row', { name: /Shared key/ });
  await expect(row).toContainText('…');
  await expect(row.getByRole('button')).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: /Create/ })).toHaveCount(0);
  const status = await viewer.evaluate(async () => {
    const res = await fetch('/api/keys/create', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Sneaky&environment=live&expiry=never',
    });
    return res.status;
  });
  expect(status).toBe(403);
  await nav(viewer, 'Team');
  await expect(viewer.getByRole('heading', { name: 'Members (2)' })).toBeVisible();
  await expect(viewer.getByRole('heading', { name: 'Invite people' })).toHaveCount(0);
  await expect(viewer.getByRole('combobox', { name: /Role of/ })).toHaveCount(0);

  // The owner sees the new member, changes their role, then removes them.
  await page.goto('/portal/team');
  await hydrated(page);
  const role = page.getByRole('combobox', { name: `Role of ${viewerEmail}` });
  await expect(role).toHaveValue('viewer');
  await role.selectOption('member');
  await expect(page.getByText('Role updated.')).toBeVisible();
  await hydrated(page);
  await page.getByRole('button', { name: `Remove ${viewerEmail}` }).click();
  const confirm = page.getByRole('dialog', { name: `Remove ${viewerEmail}?` });
  await confirm.getByRole('button', { name: 'Remove member' }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByRole('row', { name: new RegExp(viewerEmail) })).toHaveCount(0);

  // Their very next request no longer reaches the team.
  await viewer.goto('/portal/keys');
  await hydrated(viewer);
  await expect(viewer.getByRole('heading', { name: 'No API keys yet' })).toBeVisible();

  // The audit trail tells the story, and filters by action.
  await nav(page, 'Audit');
  for (const action of ['Invitation sent', 'Invitation accepted', 'Role changed', 'Member removed']) {
    await expect(page.getByRole('rowheader', { name: action, exact: true })).toBeVisible();
  }
  await page.getByLabel('Action').selectOption('member.removed');
  await expect(page.getByRole('rowheader')).toHaveCount(1);
  await expect(page.getByRole('row', { name: /Member removed/ })).toContainText(viewerEmail);

  expect(problems, problems.join('\n')).toEqual([]);
  await other.close();
});

test('an owner deletes a team only after typing its name, and lands in their personal team', async ({ page }) => {
  await register(page);
  await page.getByRole('button', { name: 'New team' }).click();
  const create = page.getByRole('dialog', { name: 'Create a team' });
  await create.getByLabel('Team name').fill('Temporary squad');
  await create.getByRole('button', { name: 'Create team' }).click();
  await expect(page.getByLabel('Active team').locator('option:checked')).toHaveText('Temporary squad');
  await page.goto('/portal/team');
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete team' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete Temporary squad?' });
  const confirm = dialog.getByRole('button', { name: 'Delete team' });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Type “Temporary squad” to confirm').fill('Temporary squad');
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(page).toHaveURL(/\/portal$/);
  await hydrated(page);
  await expect(page.getByLabel('Active team').locator('option')).toHaveCount(1);
  await expect(page.getByLabel('Active team').locator('option:checked')).toContainText('(personal)');
  // The personal team offers no delete.
  await page.goto('/portal/team');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Members (1)' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Delete team' })).toHaveCount(0);
});
