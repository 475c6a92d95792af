import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, newContext, screenshots, signIn } from './harness.js';
import { useBrowser } from './browser.js';

const browser = useBrowser();

async function openFleet(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Fleet', exact: true }).first().click();
  await page.getByRole('heading', { name: 'Fleet', exact: true }).waitFor();
  await page.getByTestId('fleet-table').getByRole('link', { name: 'N101DA' }).waitFor();
  await page.mouse.move(700, 10);
}

const fleetRows = (page: Page) => page.getByTestId('fleet-table').locator('tbody tr');

async function choose(page: Page, label: string | RegExp, option: string | RegExp): Promise<void> {
  await page.getByRole('combobox', { name: label }).click();
  await page.getByRole('option', { name: option }).click();
}

async function openAircraft(page: Page, tail: string): Promise<void> {
  await page.getByTestId('fleet-table').getByRole('link', { name: tail, exact: true }).click();
  await page.getByRole('heading', { name: tail, level: 1 }).waitFor();
}

describe('the fleet', () => {
  it('lets a scheduler filter the fleet, add an aircraft, record its usage, edit and delete it', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'scheduler@demo.local');
    await openFleet(page);
    expect(await fleetRows(page).count()).toBeGreaterThanOrEqual(3);

    // Filters: by status, then by a piece of the tail number.
    await choose(page, 'Status', 'Grounded');
    await expect.poll(() => fleetRows(page).filter({ hasText: 'N201DA' }).count()).toBe(0);
    expect(await fleetRows(page).filter({ hasText: 'N101DA' }).count()).toBe(1);
    expect(page.url()).toContain('status=grounded');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => fleetRows(page).count()).toBeGreaterThanOrEqual(3);
    await page.getByRole('textbox', { name: 'Search' }).fill('201');
    await expect.poll(() => fleetRows(page).filter({ hasText: 'N101DA' }).count()).toBe(0);
    expect(await fleetRows(page).count()).toBe(1);
    expect(await fleetRows(page).first().textContent()).toContain('N201DA');
    await page.getByRole('textbox', { name: 'Search' }).fill('');
    await expect.poll(() => fleetRows(page).count()).toBeGreaterThanOrEqual(3);

    // Sorting by model, descending: the 737 comes first.
    await page.getByRole('button', { name: /^Model: sort ascending/ }).click();
    await page.getByRole('button', { name: /^Model: sort descending/ }).click();
    await expect.poll(() => fleetRows(page).first().textContent()).toContain('B737-800');

    // A tail number already flown is refused in words.
    await page.getByRole('button', { name: 'Add aircraft' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add aircraft' });
    await dialog.getByLabel('Tail number').fill('N101DA');
    await dialog.getByLabel('Model').fill('A320neo');
    await dialog.getByRole('button', { name: 'Add aircraft' }).click();
    await dialog
      .getByRole('alert')
      .getByText(/already exists/)
      .waitFor();
    expect(await dialog.getByRole('alert').textContent()).toContain('TAIL_NUMBER_TAKEN');

    const tail = `N9${Date.now().toString().slice(-4)}X`;
    await dialog.getByLabel('Tail number').fill(tail);
    await dialog.getByLabel('Model').fill('A321neo');
    await choose(page, 'Aircraft type', /^A20N/);
    await dialog.getByLabel('Serial number').fill('MSN 11234');
    await expectAccessible(page);
    await screenshots(page, 'fleet-add-aircraft');
    await dialog.getByRole('button', { name: 'Add aircraft' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('fleet-table').getByRole('link', { name: tail }).waitFor();
    await page.getByRole('textbox', { name: 'Search' }).click();
    await page.mouse.move(0, 0);
    await expectAccessible(page);
    await screenshots(page, 'fleet-list');

    // Its page: usage totals move with a recorded flight.
    await openAircraft(page, tail);
    const hours = page.getByTestId('flight-hours-total');
    const cycles = page.getByTestId('cycles-total');
    expect(await hours.textContent()).toMatch(/Flight hours\s*0$/);
    await page.getByRole('button', { name: 'Record usage' }).click();
    const usage = page.getByRole('dialog', { name: `Record usage of ${tail}` });
    await usage.getByLabel('Flight reference').fill(`${tail}-001`);
    await usage.getByLabel('Flight hours').fill('2.5');
    await usage.getByLabel('Cycles').fill('1');
    await usage.getByRole('button', { name: 'Record' }).click();
    await usage.waitFor({ state: 'detached' });
    await expect.poll(() => hours.textContent()).toMatch(/Flight hours\s*2\.5$/);
    expect(await cycles.textContent()).toMatch(/Cycles\s*1$/);
    await page.getByTestId('usage-table').getByText(`${tail}-001`).waitFor();

    // Edit: a new model and the hangar.
    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${tail}` });
    await edit.getByLabel('Model').fill('A321neo LR');
    await choose(page, 'Status', 'Maintenance');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.getByText(/^A321neo LR/).waitFor();
    await page.getByTestId('aircraft-status').getByText('Maintenance').waitFor();
    await page
      .getByTestId('status-why')
      .getByText(/set by hand/)
      .waitFor();

    // Delete, after confirming: it leaves the fleet.
    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: `Delete ${tail}?` });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Fleet', exact: true }).waitFor();
    await page.getByTestId('fleet-table').getByRole('link', { name: 'N101DA' }).waitFor();
    expect(await page.getByTestId('fleet-table').getByRole('link', { name: tail }).count()).toBe(0);
  });

  it('shows N101DA grounded and why, and refuses its release or deletion in words', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'scheduler@demo.local');
    await openFleet(page);
    await openAircraft(page, 'N101DA');
    await page.getByTestId('aircraft-status').getByText('Grounded').waitFor();
    // The reason is the task that keeps it on the ground: the borescope in progress, or — once
    // another journey of the run has completed it — the second mechanic's confirmed task after it.
    const why = page.getByTestId('status-why');
    await why.getByRole('link', { name: /borescope|cabin pressure/ }).waitFor();
    expect(await why.textContent()).toMatch(/in progress|grounded ahead of|starts/i);
    // Its programs, directives and tasks.
    await page.getByTestId('programs').getByText('A-check').waitFor();
    await expect.poll(() => page.getByTestId('compliance').locator('tbody tr').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('tasks-table').locator('tbody tr').count()).toBeGreaterThan(2);
    expect(
      await page
        .getByTestId('tasks-table')
        .getByRole('link', { name: /borescope/ })
        .getAttribute('href'),
    ).toMatch(/^\/tasks\/[0-9a-f-]{36}$/);
    await page.mouse.move(0, 0);
    await expectAccessible(page);
    await screenshots(page, 'aircraft-page');

    // Making it operational while the borescope runs is refused, in the API's words.
    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit N101DA' });
    await choose(page, 'Status', 'Operational');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit
      .getByRole('alert')
      .getByText(/cannot be operational/)
      .waitFor();
    await expectAccessible(page);
    await screenshots(page, 'aircraft-edit-refused');
    await edit.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete N101DA?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm
      .getByRole('alert')
      .getByText(/scheduled or in-progress task/)
      .waitFor();
    expect(await confirm.textContent()).toContain('AIRCRAFT_HAS_ACTIVE_TASKS');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await page.getByTestId('aircraft-status').getByText('Grounded').waitFor();
  });

  it('shows an auditor the fleet and an aircraft, offering no add, edit, usage or delete', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'auditor@demo.local');
    await openFleet(page);
    expect(await page.getByRole('button', { name: 'Add aircraft' }).count()).toBe(0);
    await expectAccessible(page);
    await openAircraft(page, 'N201DA');
    await page.getByTestId('aircraft-status').getByText('Maintenance').waitFor();
    await page
      .getByTestId('status-why')
      .getByText(/should have started/)
      .waitFor();
    await page.getByTestId('programs').waitFor();
    expect(await page.getByRole('button', { name: /^(Edit|Delete|Record usage)$/ }).count()).toBe(0);
    await page.mouse.move(0, 0);
    await expectAccessible(page);
    await screenshots(page, 'aircraft-page-auditor');
  });
});
