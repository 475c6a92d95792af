import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { VIEWPORTS, expectAccessible, newContext, screenshots, signIn, tableOverflowAt } from './harness.js';
import { useBrowser } from './browser.js';

const browser = useBrowser();

async function signedIn(email: string, path: string): Promise<Page> {
  const page = await (await newContext(browser())).newPage();
  await signIn(page, email);
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: navLabel(path) })
    .click();
  await page.waitForURL(`**${path}`);
  return page;
}

const NAV_LABEL: Record<string, string> = {
  '/parts': 'Parts and stock',
  '/imports': 'Imports',
  '/webhooks': 'Webhooks',
  '/audit': 'Audit log',
  '/admin': 'Users and policy',
  '/alerts': 'Alerts',
};
const navLabel = (path: string) => NAV_LABEL[path]!;

/** Polls until the assertion holds (the machine is shared: pages may take a few seconds). */
const eventually = <T>(fn: () => T | Promise<T>, timeout = 10_000) => expect.poll(fn, { timeout });

/** The distinct values of an attribute over the elements a locator matches now. */
async function distinct(locator: Locator, attribute: string): Promise<(string | null)[]> {
  const values = await Promise.all((await locator.all()).map((element) => element.getAttribute(attribute)));
  return [...new Set(values)];
}

/** The input of a labelled Mantine field (a Select's input is a combobox). */
const field = (page: Page, label: string | RegExp) =>
  page.locator('input').and(page.getByLabel(label, { exact: true }));

/** Picks an option of a Mantine Select or Autocomplete by its label. */
async function choose(page: Page, label: string, option: string): Promise<void> {
  await field(page, label).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

describe('operations pages', () => {
  it('lets the auditor filter the audit log and download its CSV export', async () => {
    const page = await signedIn('auditor@demo.local', '/audit');
    const rows = page.getByTestId('audit-row');
    await eventually(() => rows.count()).toBeGreaterThan(0);
    await choose(page, 'Entity type', 'user');
    await choose(page, 'Action', 'State change');
    await page.getByRole('button', { name: 'Date range' }).click();
    await page.locator('[data-today]').click();
    await page.locator('[data-today]').click();
    await eventually(() => distinct(rows, 'data-entity-type')).toEqual(['user']);
    // the auditor's own sign-in, a moment ago
    expect(await rows.filter({ hasText: 'signed in' }).count()).toBeGreaterThan(0);
    await expectAccessible(page);
    await screenshots(page, 'audit-log');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-logs-.*\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split(/\r?\n/)[0]).toBe(
      'id,org_id,actor_org_id,user_id,actor,entity_type,entity_id,action,entity_version,request_id,ip_address,user_agent,timestamp,details',
    );
    expect(csv).toContain('signed_in');
    expect(download.url()).not.toMatch(/token|access/i);
  });

  it('lets the tenant admin add a user, change their role, and change the org policy', async () => {
    const page = await signedIn('tenant-admin@demo.local', '/admin');
    await page.getByTestId('user-row').first().waitFor();
    // no admin role to grant, no role change for oneself
    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a user' });
    const email = `planner-${Date.now()}@demo.local`;
    await dialog.getByLabel('Email').fill(email);
    await choose(page, 'Role', 'Scheduler');
    await dialog.getByLabel(/^Initial password/).fill('short');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: /password/i })
      .waitFor();
    await dialog.getByLabel(/^Initial password/).fill('Hangar-Planner-2031');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.getByTestId('user-row').filter({ hasText: email });
    await row.waitFor();
    await field(page, `Role of ${email}`).click();
    expect(await page.getByRole('option', { name: /^Admin/ }).count()).toBe(0);
    await page.getByRole('option', { name: 'Auditor', exact: true }).click();
    await eventually(() => field(page, `Role of ${email}`).inputValue()).toBe('Auditor');
    expect(await field(page, 'Role of tenant-admin@demo.local').count()).toBe(0);

    const escalation = field(page, 'Escalate unacknowledged alerts after');
    await eventually(() => escalation.inputValue()).toBe('4');
    await escalation.fill('6');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy saved').waitFor();
    await page.reload();
    await eventually(() => field(page, 'Escalate unacknowledged alerts after').inputValue()).toBe('6');
    await expectAccessible(page);
    await screenshots(page, 'admin');
  });

  it('follows a scheduler’s aircraft CSV to completion, with its one row error', async () => {
    const page = await signedIn('scheduler@demo.local', '/imports');
    // N101DA as the demo holds it (unchanged), and one aircraft whose status does not exist
    const csv = 'tail_number,model,status\nN101DA,A320neo,\nN999DA,A220-300,flying\n';
    await page.locator('input[type="file"]').setInputFiles({
      name: 'fleet-update.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    const progress = page.getByTestId('import-progress');
    await progress.getByText('fleet-update.csv').waitFor();
    await eventually(() => page.getByTestId('import-status').textContent(), 20_000).toBe('Completed');
    await progress.getByText('Completed with row errors').waitFor();
    const errors = page.getByTestId('row-errors').locator('tbody tr');
    await eventually(() => errors.count()).toBe(1);
    const cells = await errors.first().locator('td').allTextContents();
    expect(cells[0]).toBe('2');
    expect(cells[1]).toBe('status');
    expect(cells[2]).toMatch(/operational/);
    expect(await page.getByTestId('imports-table').getByText('fleet-update.csv').count()).toBeGreaterThan(0);
    await expectAccessible(page);
    await screenshots(page, 'imports');
  });

  it('highlights the low and out-of-stock parts, in words', async () => {
    const page = await signedIn('scheduler@demo.local', '/parts');
    const rows = page.getByTestId('stock-row');
    await eventually(() => rows.count()).toBeGreaterThan(2);
    const brake = rows.filter({ hasText: 'Brake assembly' });
    const pitot = rows.filter({ hasText: 'Pitot probe' });
    expect(await brake.getAttribute('data-stock')).toBe('low');
    await brake.getByText('Low stock').waitFor();
    expect(await pitot.getAttribute('data-stock')).toBe('out');
    await pitot.getByText('Out of stock').waitFor();
    await page
      .locator('label')
      .filter({ hasText: /^To reorder$/ })
      .click();
    await eventually(() => distinct(rows, 'data-stock').then((values) => values.includes('ok'))).toBe(false);
    await page
      .locator('label')
      .filter({ hasText: /^All parts$/ })
      .click();
    await expectAccessible(page);
    // On a tablet (1024 wide) every column shows, the Items buttons included, without scrolling.
    await expect.poll(() => tableOverflowAt(page, VIEWPORTS[1], 'stock-table')).toBe(0);
    await screenshots(page, 'parts');

    await brake.getByRole('button', { name: /Items/ }).click();
    const items = page.getByRole('dialog', { name: 'Items of Brake assembly' });
    await items.getByTestId('items-table').waitFor();
    expect(await items.getByRole('button', { name: 'Add item' }).count()).toBe(1);
    await expectAccessible(page);
  });

  it('offers an auditor parts without changes, and alerts without acknowledge or resolve', async () => {
    const page = await signedIn('auditor@demo.local', '/parts');
    await page.getByTestId('stock-row').first().waitFor();
    expect(await page.getByRole('button', { name: 'Add part definition' }).count()).toBe(0);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByTestId('alert-row').first().waitFor();
    expect(await page.getByRole('button', { name: /Acknowledge|Resolve/ }).count()).toBe(0);
  });

  it('shows the scheduler every alert with its counts, filtered by level', async () => {
    const page = await signedIn('scheduler@demo.local', '/alerts');
    await page.getByTestId('alert-summary').waitFor();
    const rows = page.getByTestId('alert-row');
    await eventually(() => rows.count()).toBeGreaterThan(1);
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBeGreaterThan(0);
    await choose(page, 'Level', 'Critical');
    await eventually(() => distinct(rows, 'data-level')).toEqual(['critical']);
    await choose(page, 'Level', 'Critical'); // deselect
    await page
      .locator('label')
      .filter({ hasText: /^Resolved$/ })
      .click();
    await eventually(() => rows.count()).toBeGreaterThan(0);
    await page
      .locator('label')
      .filter({ hasText: /^Open$/ })
      .click();
    await expectAccessible(page);
    await screenshots(page, 'alerts');
  });

  it('shows the tenant admin a new webhook’s secret once, then its (empty) delivery log', async () => {
    const page = await signedIn('tenant-admin@demo.local', '/webhooks');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook' });
    await dialog.getByLabel('URL').fill('http://127.0.0.1:9/amss-e2e');
    await field(page, /^Events/).click();
    await page.getByRole('option', { name: 'part_reserved', exact: true }).click();
    await page.getByRole('option', { name: 'alert_raised', exact: true }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    const secret = page.getByTestId('webhook-secret');
    await secret.waitFor();
    const value = (await secret.textContent())!.trim();
    expect(value).toMatch(/^[0-9a-f]{64}$/);
    await expectAccessible(page);
    await page.getByRole('button', { name: 'I have stored the secret' }).click();
    const row = page.getByTestId('webhooks-table').getByRole('row').filter({ hasText: '/amss-e2e' });
    await row.waitFor();
    expect(await page.content()).not.toContain(value);
    await row.getByRole('button', { name: 'Deliveries' }).click();
    await page.getByText('Nothing delivered yet').waitFor();
    await expectAccessible(page);
    // On a tablet (1024 wide) the table fits beside the navigation: Delete shows without scrolling.
    const tablet = VIEWPORTS[1];
    await expect.poll(() => tableOverflowAt(page, tablet, 'webhooks-table')).toBe(0);
    const rightEdge = async (locator: Locator) => {
      const box = (await locator.boundingBox())!;
      return box.x + box.width;
    };
    const scrollArea = page
      .locator('.mantine-ScrollArea-viewport')
      .filter({ has: page.getByTestId('webhooks-table') });
    const deleteEdge = await rightEdge(row.getByRole('button', { name: 'Delete' }));
    expect(deleteEdge).toBeLessThanOrEqual(await rightEdge(scrollArea));
    expect(deleteEdge).toBeLessThanOrEqual(tablet.width);
    await screenshots(page, 'webhooks');
    // leave no endpoint behind that nobody answers
    await row.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('dialog', { name: 'Delete this webhook?' })
      .getByRole('button', { name: 'Delete webhook' })
      .click();
    await row.waitFor({ state: 'detached' });
  });
});
