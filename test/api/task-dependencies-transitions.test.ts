import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask } from '../support/factories.js';
import { insertTaskDependency } from '../support/scheduling-factories.js';

let t: TestApp;
let orgId: string;
let scheduler: string;

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.createOrg()).id;
  scheduler = await t.tokenFor(await t.createUser(orgId, 'scheduler'));
});
afterAll(async () => {
  await t.close();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const fromNow = (ms: number) => new Date(Date.now() + ms);
type State = 'scheduled' | 'in_progress' | 'completed' | 'cancelled';

/** A successor startable now (grounded aircraft, its own mechanic, starting in a minute), or one ready to complete. */
async function successor(state: 'scheduled' | 'in_progress' = 'scheduled') {
  const aircraft = await insertAircraft(t.db.db, { org_id: orgId, status: 'grounded' });
  const mechanic = await t.createUser(orgId, 'mechanic');
  const start = state === 'scheduled' ? fromNow(MINUTE) : fromNow(-3 * HOUR);
  return insertTask(t.db.db, {
    org_id: orgId,
    aircraft_id: aircraft.id,
    state,
    start_time: start,
    end_time: new Date(start.getTime() + HOUR),
    assigned_mechanic_id: mechanic.id,
    notes: 'Done as planned.',
  });
}

/** A predecessor in `state` on its own aircraft, linked to `successorId` by a dependency of `type`. */
async function predecessorOf(
  successorId: string,
  type: 'finish_to_start' | 'start_to_start' | 'finish_to_finish',
  state: State,
) {
  const predecessor = await insertTask(t.db.db, { org_id: orgId, state });
  await insertTaskDependency(t.db.db, {
    org_id: orgId,
    predecessor_id: predecessor.id,
    successor_id: successorId,
    type,
  });
  return predecessor;
}

const move = (id: string, newState: State, extra: Record<string, unknown> = {}) =>
  t.request(scheduler, 'PATCH', `/api/v1/maintenance-tasks/${id}/state`, { new_state: newState, ...extra });
const setState = (id: string, state: State) =>
  t.db.db.updateTable('maintenance_tasks').set({ state }).where('id', '=', id).execute();

describe('the state machine honours dependencies', () => {
  it('finish-to-start: a task cannot start before its predecessor is completed (409 naming it), then can', async () => {
    const b = await successor();
    const a = await predecessorOf(b.id, 'finish_to_start', 'in_progress');
    const refused = await move(b.id, 'in_progress');
    expect(refused.statusCode).toBe(409);
    const body = refused.json<{ reason: string; error: string; details: { message: string }[] }>();
    expect(body.reason).toBe('DEPENDENCY_NOT_MET');
    expect(body.error).toContain(`task ${a.id} (in_progress) must be completed first (finish-to-start)`);
    expect(body.details).toHaveLength(1);
    await setState(a.id, 'completed');
    expect((await move(b.id, 'in_progress')).statusCode).toBe(200);
  });

  it('start-to-start: a task cannot start before its predecessor has started, then can', async () => {
    const b = await successor();
    const a = await predecessorOf(b.id, 'start_to_start', 'scheduled');
    const refused = await move(b.id, 'in_progress');
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ error: string }>().error).toContain(
      `task ${a.id} (scheduled) must have started first`,
    );
    await setState(a.id, 'in_progress');
    expect((await move(b.id, 'in_progress')).statusCode).toBe(200);
  });

  it('finish-to-finish: a task may start, but not complete before its predecessor is completed', async () => {
    const starting = await successor();
    await predecessorOf(starting.id, 'finish_to_finish', 'scheduled');
    expect((await move(starting.id, 'in_progress')).statusCode).toBe(200);

    const b = await successor('in_progress');
    const a = await predecessorOf(b.id, 'finish_to_finish', 'in_progress');
    const refused = await move(b.id, 'completed');
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ reason: 'DEPENDENCY_NOT_MET' });
    await setState(a.id, 'completed');
    const completed = await move(b.id, 'completed');
    expect(completed.statusCode, completed.body).toBe(200);
  });

  it('names every blocker at once, one detail each', async () => {
    const b = await successor();
    const [x, y] = [
      await predecessorOf(b.id, 'finish_to_start', 'scheduled'),
      await predecessorOf(b.id, 'start_to_start', 'scheduled'),
    ];
    const refused = await move(b.id, 'in_progress');
    const body = refused.json<{ error: string; details: { message: string }[] }>();
    expect(body.error).toContain(x.id);
    expect(body.error).toContain(y.id);
    expect(body.details).toHaveLength(2);
  });

  it('cancelling or deleting a predecessor is allowed, and it then no longer blocks', async () => {
    const b = await successor();
    const cancelled = await predecessorOf(b.id, 'finish_to_start', 'scheduled');
    const deleted = await predecessorOf(b.id, 'start_to_start', 'scheduled');
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ start_time: fromNow(HOUR), end_time: fromNow(2 * HOUR) })
      .where('id', 'in', [cancelled.id, deleted.id])
      .execute();
    expect((await move(cancelled.id, 'cancelled')).statusCode).toBe(200);
    const removal = await t.request(scheduler, 'DELETE', `/api/v1/maintenance-tasks/${deleted.id}`);
    expect(removal.statusCode, removal.body).toBe(204);
    const started = await move(b.id, 'in_progress');
    expect(started.statusCode, started.body).toBe(200);
  });

  it('a successor may always be cancelled, whatever its predecessors', async () => {
    const b = await successor();
    await predecessorOf(b.id, 'finish_to_start', 'scheduled');
    expect((await move(b.id, 'cancelled')).statusCode).toBe(200);
  });
});
