import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  apiCall,
  apiToken,
  DEMO_PASSWORD,
  expectAccessible,
  newContext,
  screenshots,
  signIn,
} from './harness.js';
import { useBrowser } from './browser.js';

const browser = useBrowser();

// Setting up and finding state through the API: the harness's login and call.
const token = (email: string) => apiToken(email);
const call = apiCall;

interface Task {
  id: string;
  aircraft_id: string;
  notes: string | null;
}

/** The demo task with these notes. */
async function demoTask(bearer: string, notes: string): Promise<Task> {
  const tasks = await call<Task[]>(bearer, 'GET', '/maintenance-tasks?limit=200');
  const task = tasks.find((t) => t.notes === notes);
  if (!task) throw new Error(`no demo task "${notes}"`);
  return task;
}

/** Axe on the page once the confirmations have faded (they are announced, then go). */
async function expectQuietAndAccessible(page: Page): Promise<void> {
  await expect.poll(() => page.locator('.mantine-Notification-root').count(), { timeout: 10_000 }).toBe(0);
  await expectAccessible(page);
}

/** The page's screenshots from its top. */
async function screenshotsFromTop(page: Page, name: string): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await screenshots(page, name);
}

async function signedIn(email: string): Promise<Page> {
  const page = await (await newContext(browser())).newPage();
  await signIn(page, email);
  return page;
}

const A_CHECK = 'Demo: A-check with brake inspection';
const BORESCOPE = 'Demo: No. 2 engine borescope inspection';
const CHECK = 'Borescope images recorded, no blade damage beyond limits';

describe('the task page', () => {
  it('lets a mechanic sign off with their password, an inspector inspect, and a planner complete the task', async () => {
    const scheduler = await token('scheduler@demo.local');
    const aCheck = await demoTask(scheduler, A_CHECK);
    const borescope = await demoTask(scheduler, BORESCOPE);

    // The A-check is three days out: the mechanic may not start it yet, and is told why.
    const mechanic = await signedIn('mechanic@demo.local');
    await mechanic.goto(`/tasks/${aCheck.id}`);
    await mechanic.getByRole('heading', { name: 'Inspection on N101DA' }).waitFor();
    expect(await mechanic.getByTestId('task-state').textContent()).toBe('Scheduled');
    expect(await mechanic.getByRole('link', { name: 'N101DA' }).getAttribute('href')).toBe(
      `/fleet/${aCheck.aircraft_id}`,
    );
    await mechanic.getByRole('button', { name: 'Start' }).click();
    const startRefusal = mechanic.getByTestId('transition-refusal');
    await startRefusal.waitFor();
    expect(await startRefusal.textContent()).toMatch(/Too early to start.*TOO_EARLY_TO_START/s);
    expect(await mechanic.getByTestId('task-state').textContent()).toBe('Scheduled');
    // Its brake assembly is held for it; the mechanic lists no one else (that is for planners).
    expect(await mechanic.getByTestId('reservation').first().textContent()).toMatch(/Brake assembly BRK-\d+/);
    expect(await mechanic.getByTestId('assignment-panel').count()).toBe(0);

    // The borescope is under way: from the dashboard's tasks of the day to its page.
    await mechanic.goto('/');
    await mechanic.getByRole('heading', { name: 'My tasks today' }).waitFor();
    await mechanic.locator(`a[href="/tasks/${borescope.id}"]`).click();
    await mechanic.getByText(BORESCOPE).first().waitFor();
    expect(await mechanic.getByTestId('task-state').textContent()).toBe('In progress');

    // A check that needs an independent inspection.
    await mechanic.getByRole('button', { name: 'Add item' }).click();
    const add = mechanic.getByRole('dialog', { name: 'Add a compliance item' });
    await add.getByLabel(/What is checked/).fill(CHECK);
    await add.getByLabel('Requires an independent inspection after the sign-off').check();
    await add.getByRole('button', { name: 'Add item' }).click();
    await add.waitFor({ state: 'detached' });
    const row = mechanic.getByTestId('compliance-item').filter({ hasText: CHECK });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Pending.*Not yet.*Pending/s);

    // The signature: a wrong password signs nothing and says so; the right one signs.
    await row.getByRole('button', { name: `Sign off: ${CHECK}` }).click();
    const dialog = mechanic.getByRole('dialog', { name: 'Sign off a compliance item' });
    await dialog.getByLabel(/Your password/).fill('not-my-password');
    await dialog.getByRole('button', { name: 'Sign off' }).click();
    const refusal = dialog.getByTestId('signature-refusal');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/password is not right.*SIGNATURE_REAUTHENTICATION_FAILED/s);
    await expectQuietAndAccessible(mechanic);
    await screenshots(mechanic, 'sign-off-dialog');
    await dialog.getByLabel(/Your password/).fill(DEMO_PASSWORD);
    await dialog.getByRole('button', { name: 'Sign off' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByTestId('signed-off').waitFor();
    expect(await row.getByTestId('signed-off').textContent()).toContain('You (mechanic@demo.local)');
    expect(await row.textContent()).toContain('Pass');

    // The performer may not inspect their own work.
    await row.getByRole('button', { name: `Inspect: ${CHECK}` }).click();
    const ownInspection = mechanic.getByRole('dialog', { name: 'Independent inspection' });
    await ownInspection.getByLabel(/Your password/).fill(DEMO_PASSWORD);
    await ownInspection.getByRole('button', { name: 'Sign the inspection' }).click();
    await ownInspection.getByTestId('signature-refusal').waitFor();
    expect(await ownInspection.getByTestId('signature-refusal').textContent()).toMatch(
      /must be independent.*INSPECTOR_IS_PERFORMER/s,
    );
    await ownInspection.getByRole('button', { name: 'Close', exact: true }).click();

    // Its window has four hours to run: a mechanic cannot complete it early.
    await mechanic.getByRole('button', { name: 'Complete' }).click();
    const complete = mechanic.getByRole('dialog', { name: 'Complete the task' });
    expect(await complete.getByRole('checkbox').count()).toBe(0);
    await complete.getByRole('button', { name: 'Complete task' }).click();
    await complete.getByTestId('transition-refusal').waitFor();
    expect(await complete.getByTestId('transition-refusal').textContent()).toMatch(
      /Too early to complete.*TOO_EARLY_TO_COMPLETE/s,
    );
    await complete.getByRole('button', { name: 'Close', exact: true }).click();
    await expectQuietAndAccessible(mechanic);
    await screenshotsFromTop(mechanic, 'task-page');

    // A planner's early completion still waits for the independent inspection.
    const planner = await signedIn('scheduler@demo.local');
    await planner.goto(`/tasks/${borescope.id}`);
    await planner.getByRole('button', { name: 'Complete' }).click();
    const early = planner.getByRole('dialog', { name: 'Complete the task' });
    await early.getByLabel(/Complete before the window ends/).check();
    await early.getByRole('button', { name: 'Complete task' }).click();
    await early.getByTestId('transition-refusal').waitFor();
    expect(await early.getByTestId('transition-refusal').textContent()).toMatch(
      /independent inspection is pending.*INSPECTION_PENDING/s,
    );
    await early.getByRole('button', { name: 'Close', exact: true }).click();

    // The inspector inspects, with their own password.
    const inspector = await signedIn('inspector@demo.local');
    await inspector.goto(`/tasks/${borescope.id}`);
    const inspectorRow = inspector.getByTestId('compliance-item').filter({ hasText: CHECK });
    expect(await inspector.getByRole('button', { name: 'Complete' }).count()).toBe(0);
    await inspectorRow.getByRole('button', { name: `Inspect: ${CHECK}` }).click();
    const inspection = inspector.getByRole('dialog', { name: 'Independent inspection' });
    await inspection.getByLabel(/Your password/).fill(DEMO_PASSWORD);
    await inspection.getByRole('button', { name: 'Sign the inspection' }).click();
    await inspection.waitFor({ state: 'detached' });
    await inspectorRow.getByTestId('inspected').waitFor();
    expect(await inspectorRow.getByTestId('inspected').textContent()).toContain('You (inspector@demo.local)');
    await expectQuietAndAccessible(inspector);

    // Now the planner's early completion goes through.
    await planner.getByRole('button', { name: 'Complete' }).click();
    await early.getByLabel(/Complete before the window ends/).check();
    await early.getByRole('button', { name: 'Complete task' }).click();
    await early.waitFor({ state: 'detached' });
    await expect.poll(() => planner.getByTestId('task-state').textContent()).toBe('Completed');
    expect(await planner.getByRole('button', { name: 'Sign off' }).count()).toBe(0);
  });

  it('completes an overdue task through the mechanic, the inspector and the signatures, and its alert leaves another planner’s dashboard live', async () => {
    // An aircraft of its own, on the ground, with an inspection that should have been done an hour ago.
    const scheduler = await token('scheduler@demo.local');
    const mechanicId = (await call<{ id: string }>(await token('mechanic2@demo.local'), 'GET', '/auth/me'))
      .id;
    const tail = `N${Date.now() % 100_000}E`;
    const aircraft = await call<{ id: string }>(scheduler, 'POST', '/aircraft', {
      tail_number: tail,
      model: 'A320neo',
      status: 'grounded',
    });
    const hour = 3_600_000;
    const task = await call<{ id: string }>(scheduler, 'POST', '/maintenance-tasks', {
      aircraft_id: aircraft.id,
      type: 'inspection',
      start_time: new Date(Date.now() - 3 * hour).toISOString(),
      end_time: new Date(Date.now() - hour).toISOString(),
      assigned_mechanic_id: mechanicId,
      notes: 'Overdue cargo smoke detector test',
    });
    try {
      // A planner watches the dashboard: the task's overdue alert is on it.
      const planner = await signedIn('scheduler@demo.local');
      await planner.getByTestId('live-status').getByText('Live').waitFor();
      const feed = planner.getByTestId('alert-feed');
      await expect.poll(() => feed.textContent(), { timeout: 15_000 }).toContain(`on ${tail} is overdue`);

      // The mechanic starts it late and signs the check off with their password.
      const mechanic = await signedIn('mechanic2@demo.local');
      await mechanic.goto(`/tasks/${task.id}`);
      await mechanic.getByRole('button', { name: 'Start' }).click();
      await expect.poll(() => mechanic.getByTestId('task-state').textContent()).toBe('In progress');
      await mechanic.getByRole('button', { name: 'Add item' }).click();
      const add = mechanic.getByRole('dialog', { name: 'Add a compliance item' });
      await add.getByLabel(/What is checked/).fill('Smoke detector alarm heard on the flight deck');
      await add.getByLabel('Requires an independent inspection after the sign-off').check();
      await add.getByRole('button', { name: 'Add item' }).click();
      await add.waitFor({ state: 'detached' });
      const row = mechanic.getByTestId('compliance-item').first();
      await row.getByRole('button', { name: /^Sign off:/ }).click();
      const signOff = mechanic.getByRole('dialog', { name: 'Sign off a compliance item' });
      await signOff.getByLabel(/Your password/).fill(DEMO_PASSWORD);
      await signOff.getByRole('button', { name: 'Sign off' }).click();
      await signOff.waitFor({ state: 'detached' });
      await row.getByTestId('signed-off').waitFor();

      // The inspector inspects; the mechanic completes (its window is over: nothing early about it).
      const inspector = await signedIn('inspector@demo.local');
      await inspector.goto(`/tasks/${task.id}`);
      await inspector.getByRole('button', { name: /^Inspect:/ }).click();
      const inspection = inspector.getByRole('dialog', { name: 'Independent inspection' });
      await inspection.getByLabel(/Your password/).fill(DEMO_PASSWORD);
      await inspection.getByRole('button', { name: 'Sign the inspection' }).click();
      await inspection.waitFor({ state: 'detached' });
      expect(await feed.textContent()).toContain(`on ${tail} is overdue`);
      await mechanic.reload();
      await mechanic.getByRole('button', { name: 'Complete' }).click();
      const complete = mechanic.getByRole('dialog', { name: 'Complete the task' });
      await complete.getByRole('button', { name: 'Complete task' }).click();
      await complete.waitFor({ state: 'detached' });
      await expect.poll(() => mechanic.getByTestId('task-state').textContent()).toBe('Completed');

      // The planner's dashboard drops the alert without a reload.
      await expect.poll(() => feed.textContent(), { timeout: 15_000 }).not.toContain(tail);
    } finally {
      await call(scheduler, 'DELETE', `/aircraft/${aircraft.id}`);
    }
  });

  it('shows a scheduler who is qualified and free, what the others lack, and reserves parts', async () => {
    const scheduler = await token('scheduler@demo.local');
    const aCheck = await demoTask(scheduler, A_CHECK);
    const planner = await signedIn('scheduler@demo.local');

    // On the A-check the inspector lacks the performer's licence and skill.
    await planner.goto(`/tasks/${aCheck.id}`);
    const panel = planner.getByTestId('assignment-panel');
    const inspectorRow = panel.getByTestId('mechanic-row').filter({ hasText: 'inspector@demo.local' });
    await inspectorRow.waitFor();
    expect(await inspectorRow.textContent()).toMatch(/Not qualified.*No Part-66 Category B1/s);
    expect(
      await panel.getByTestId('mechanic-row').filter({ hasText: 'mechanic@demo.local' }).textContent(),
    ).toMatch(/assigned.*Qualified.*Free/s);
    await expectQuietAndAccessible(planner);

    // A new task needing a brake assembly.
    const definitions = await call<{ id: string; name: string }[]>(
      scheduler,
      'GET',
      '/part-definitions?limit=200',
    );
    const brake = definitions.find((d) => d.name === 'Brake assembly')!;
    const start = new Date(Date.now() + 25 * 86_400_000);
    start.setUTCHours(8, 0, 0, 0);
    const created = await call<{ id: string }>(scheduler, 'POST', '/maintenance-tasks', {
      aircraft_id: aCheck.aircraft_id,
      type: 'inspection',
      start_time: start.toISOString(),
      end_time: new Date(start.getTime() + 4 * 3_600_000).toISOString(),
      notes: 'e2e: wheel bay inspection',
      required_parts: [{ part_definition_id: brake.id, quantity: 1 }],
    });
    try {
      await planner.goto(`/tasks/${created.id}`);
      // (the inspector, not the second mechanic, whose expiring licence another journey renews)
      const row = panel.getByTestId('mechanic-row').filter({ hasText: 'inspector@demo.local' });
      await row.waitFor();
      expect(await row.textContent()).toMatch(/Not qualified.*No Part-66 Category B1/s);
      expect(await planner.getByTestId('assigned-mechanic').textContent()).toBe('Unassigned');

      // Assigning them anyway is refused, in words; the qualified mechanic is assigned.
      await row.getByRole('button', { name: 'Assign inspector@demo.local' }).click();
      await panel.getByText('Not qualified', { exact: true }).first().waitFor();
      await panel.getByRole('alert').waitFor();
      expect(await panel.getByRole('alert').textContent()).toMatch(/MECHANIC_NOT_QUALIFIED/);
      await panel.getByRole('button', { name: 'Assign mechanic@demo.local' }).click();
      await expect
        .poll(() => planner.getByTestId('assigned-mechanic').textContent())
        .toBe('mechanic@demo.local');

      // Its brake assembly: available in stock, reserved from the list of serials, then released.
      const part = planner.getByTestId('required-part').filter({ hasText: 'Brake assembly' });
      await part.getByText('Available', { exact: true }).waitFor();
      await part.getByLabel('Item of Brake assembly to reserve').click();
      await planner.getByRole('option').first().click();
      await part.getByRole('button', { name: 'Reserve' }).click();
      await part.getByText('Reserved', { exact: true }).waitFor();
      const reservation = planner.getByTestId('reservation');
      await reservation.getByRole('button', { name: /^Release/ }).click();
      await reservation.getByText('Released', { exact: true }).waitFor();
      await expectQuietAndAccessible(planner);
      await screenshotsFromTop(planner, 'task-page-scheduler');
    } finally {
      await call(scheduler, 'DELETE', `/maintenance-tasks/${created.id}`);
    }
  });

  it('offers an auditor the record and no action', async () => {
    const scheduler = await token('scheduler@demo.local');
    const aCheck = await demoTask(scheduler, A_CHECK);
    const auditor = await signedIn('auditor@demo.local');
    await auditor.goto(`/tasks/${aCheck.id}`);
    const item = auditor.getByTestId('compliance-item').first();
    await item.waitFor();
    expect(await item.textContent()).toMatch(/brake wear pins.*Pending.*Not yet.*Pending/s);
    await auditor.getByTestId('mechanic-row').first().waitFor();
    for (const name of ['Start', 'Complete', 'Cancel task', 'Add item', 'Sign off', 'Assign', 'Release'])
      expect(await auditor.getByRole('button', { name }).count()).toBe(0);
    await expectQuietAndAccessible(auditor);
  });
});
