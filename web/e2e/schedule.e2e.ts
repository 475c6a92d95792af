import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, newContext, screenshots, signIn } from './harness.js';
import { useBrowser } from './browser.js';

const browser = useBrowser();

/** The week the demo's C-check on N201DA falls in: it is seeded 21–23 days after the start. */
const cCheckWeek = (): string => new Date(Date.now() + 19 * 86_400_000).toISOString().slice(0, 10);

const bar = (page: Page, text: string) => page.locator(`[data-testid="task-bar"][aria-label*="${text}"]`);

async function openCCheckWeek(page: Page): Promise<void> {
  await page.goto(`/schedule?view=week&from=${cCheckWeek()}`);
  await bar(page, 'open up and gain access').waitFor();
}

describe('the schedule', () => {
  it('lets a scheduler see the C-check with its dependencies, schedule a task, and reschedule with cascade', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'scheduler@demo.local');
    await page.getByRole('link', { name: 'Schedule' }).click();
    await page.getByRole('heading', { name: 'Schedule' }).waitFor();
    await openCCheckWeek(page);

    // The C-check: three tasks on N201DA's row, linked by two arrows; the conflict banner names its parts shortage.
    const n201 = page.locator('[data-testid="timeline-row"][data-tail="N201DA"]');
    expect(await n201.locator('[data-testid="task-bar"][aria-label*="C-check"]').count()).toBe(3);
    await expect.poll(() => page.getByTestId('dependency-arrow').count()).toBe(2);
    await page
      .getByTestId('conflict-banner')
      .getByRole('link', { name: /close up/ })
      .first()
      .waitFor();
    await expectAccessible(page);
    await screenshots(page, 'schedule-week');

    // A new task appears on the timeline.
    await page.getByRole('button', { name: 'Schedule a task' }).click();
    const create = page.getByRole('dialog', { name: 'Schedule a task' });
    await create.getByRole('combobox', { name: 'Aircraft' }).click();
    await page.getByRole('option', { name: /N102DA/ }).click();
    await create.getByRole('combobox', { name: 'Type' }).click();
    await page.getByRole('option', { name: 'Repair' }).click();
    await create.getByRole('textbox', { name: 'Notes' }).fill('Hydraulic leak check, left main gear bay');
    await expectAccessible(page);
    await create.getByRole('button', { name: 'Schedule task' }).click();
    await create.waitFor({ state: 'detached' });
    await page
      .locator('[data-testid="timeline-row"][data-tail="N102DA"]')
      .locator('[data-testid="task-bar"][aria-label*="Hydraulic leak check"]')
      .waitFor();

    // Reschedule the C-check's first task 30 h later: the dry run lists both dependents moving too.
    const first = bar(page, 'open up and gain access');
    const before = await first.getAttribute('aria-label');
    const nextBefore = await bar(page, 'structural inspection').getAttribute('aria-label');
    await page.getByRole('button', { name: /Edit or reschedule N201DA: .*open up/ }).click();
    await page
      .getByRole('dialog', { name: /Edit .*open up/ })
      .getByRole('button', { name: /Reschedule with dependents/ })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Reschedule a task' });
    await dialog.getByRole('button', { name: 'One day later' }).click();
    for (let i = 0; i < 6; i += 1) await dialog.getByRole('button', { name: 'One hour later' }).click();
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('Hangar slot moved by a day');
    // Without cascade the dependents block it, with the reason in words.
    await dialog.getByRole('checkbox', { name: /cascade/ }).uncheck();
    await dialog.getByRole('button', { name: 'Show impact' }).click();
    await dialog.getByTestId('reschedule-blockers').waitFor();
    expect(await dialog.getByTestId('reschedule-blockers').textContent()).toContain('CASCADE_REQUIRED');
    expect(await dialog.getByRole('button', { name: /^Confirm/ }).isDisabled()).toBe(true);
    await dialog.getByRole('checkbox', { name: /cascade/ }).check();
    await dialog.getByRole('button', { name: 'Show impact' }).click();
    const moves = dialog.getByTestId('impact-move');
    await expect.poll(() => moves.count()).toBe(3);
    expect(await moves.nth(0).textContent()).toMatch(/open up.*Moved as asked/);
    expect(await dialog.getByTestId('reschedule-impact').textContent()).toMatch(
      /structural inspection[\s\S]*Cascade: follows/,
    );
    expect(await dialog.getByTestId('reschedule-impact').textContent()).toContain(
      'close up and functional tests',
    );
    await expectAccessible(page);
    await screenshots(page, 'reschedule-dialog');
    await dialog.getByRole('button', { name: /^Confirm — move 3 tasks/ }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => first.getAttribute('aria-label')).not.toBe(before);
    await expect
      .poll(() => bar(page, 'structural inspection').getAttribute('aria-label'))
      .not.toBe(nextBefore);
    await expect.poll(() => page.getByTestId('dependency-arrow').count()).toBe(2);
  });

  it('shows a mechanic the schedule without offering to create, edit or reschedule', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'mechanic@demo.local');
    await openCCheckWeek(page);
    await expect.poll(() => page.getByTestId('dependency-arrow').count()).toBe(2);
    expect(await page.getByRole('button', { name: /Schedule a task|Reschedule/ }).count()).toBe(0);
    expect(await page.locator('[data-edit-task-id]').count()).toBe(0);
    await page.getByRole('button', { name: 'Today' }).click();
    await bar(page, 'borescope').waitFor();
    await bar(page, 'borescope').click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  });
});
