import { describe, expect, it } from 'vitest';
import { expectAccessible, newContext, screenshots, signIn } from './harness.js';
import { useBrowser } from './browser.js';

const browser = useBrowser();

describe('the dashboard', () => {
  it('shows a scheduler the AOG counter, every demo aircraft on the fleet board by status, and the open alerts', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'scheduler@demo.local');
    const aog = page.getByTestId('aog-count');
    await expect.poll(() => aog.textContent()).toMatch(/AOG\s*1/);
    const tiles = page.getByTestId('fleet-board').getByRole('link');
    await expect.poll(() => tiles.count()).toBe(4);
    // The AOG aircraft is on the ground on the board too, beside the one still flying.
    expect(await Promise.all((await tiles.all()).map((tile) => tile.getAttribute('aria-label')))).toEqual([
      'N101DA, A320neo: Grounded',
      'N102DA, A320neo: Grounded',
      'N201DA, B737-800: Maintenance',
      'N301DA, A321neo: In service',
    ]);
    await expect.poll(() => page.getByTestId('alert').count()).toBeGreaterThan(3);
    await page.getByTestId('live-status').getByText('Live').waitFor();
    await expectAccessible(page);
    await screenshots(page, 'dashboard-scheduler');
  });

  it('shows a mechanic their tasks of the day', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'mechanic@demo.local');
    await page.getByRole('heading', { name: 'My tasks today' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'N101DA' }).count()).toBe(1);
    await screenshots(page, 'dashboard-mechanic');
  });

  it('offers an auditor no acknowledge or resolve', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'auditor@demo.local');
    await expect.poll(() => page.getByTestId('alert').count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: /Acknowledge|Resolve/ }).count()).toBe(0);
  });

  it('clears an alert resolved in one browser from another signed-in browser, live', async () => {
    const planner = await (await newContext(browser())).newPage();
    const controller = await (await newContext(browser())).newPage();
    await signIn(planner, 'scheduler@demo.local');
    await signIn(controller, 'tenant-admin@demo.local');
    await controller.getByTestId('live-status').getByText('Live').waitFor();
    const before = await controller.getByTestId('alert').count();
    const first = planner.getByTestId('alert').first();
    const title = await first.locator('p').first().textContent();
    await first.getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(() => controller.getByTestId('alert').count(), { timeout: 10_000 }).toBe(before - 1);
    expect(await controller.getByTestId('alert-feed').textContent()).not.toContain(title);
  });
});
