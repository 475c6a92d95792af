import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTaskDependency } from '../support/scheduling-factories.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask } from '../support/factories.js';
import { auditRowsFor, eventsFor } from '../support/imports.js';
import { EVERYONE, itEnforcesRoles } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const HOUR = 3_600_000;
const scheduler = () => tenant.tokens.scheduler;
const at = (hours: number) => new Date(Date.UTC(2032, 0, 1) + hours * HOUR);

let nextStart = 100;
/** A task of the tenant (or `orgId`), by default scheduled at hours [start, start + 2). */
const task = (
  overrides: {
    state?: 'scheduled' | 'in_progress' | 'completed' | 'cancelled';
    start?: number;
    orgId?: string;
  } = {},
) => {
  // Each new task after the one before, so a dependency in creation order holds on the schedule.
  const start = overrides.start ?? (nextStart += 3);
  return insertTask(t.db.db, {
    org_id: overrides.orgId ?? tenant.org.id,
    state: overrides.state ?? 'scheduled',
    start_time: at(start),
    end_time: at(start + 2),
  });
};

const url = (taskId: string) => `/api/v1/maintenance-tasks/${taskId}/dependencies`;
const link = (successorId: string, body: Record<string, unknown>, token = scheduler()) =>
  t.request(token, 'POST', url(successorId), body);

interface DependencyJson {
  id: string;
  predecessor_id: string;
  successor_id: string;
  type: string;
  lag_minutes: number;
  other_role: string;
  other_task: { id: string; state: string; deleted: boolean };
  status: string;
}

async function linked(predecessorId: string, successorId: string, extra: Record<string, unknown> = {}) {
  const response = await link(successorId, { predecessor_id: predecessorId, ...extra });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<DependencyJson>();
}

const dependenciesOf = async (taskId: string) => {
  const response = await t.request(scheduler(), 'GET', url(taskId));
  expect(response.statusCode, response.body).toBe(200);
  return response.json<DependencyJson[]>();
};

describe('adding a dependency', () => {
  it('answers 201 with a finish-to-start dependency without lag by default, recorded in the audit log and the outbox', async () => {
    const [a, b] = [await task(), await task()];
    const created = await linked(a.id, b.id);
    expect(created).toMatchObject({
      predecessor_id: a.id,
      successor_id: b.id,
      type: 'finish_to_start',
      lag_minutes: 0,
      created_by: tenant.userIds.scheduler,
      other_role: 'predecessor',
      other_task: {
        id: a.id,
        state: 'scheduled',
        deleted: false,
        aircraft_id: a.aircraft_id,
        priority: 'routine',
      },
      status: 'waiting',
    });
    const audit = (await auditRowsFor(t, tenant.org.id, 'task_dependency')).filter(
      (row) => row.entity_id === created.id,
    );
    expect(audit.map((row) => row.action)).toEqual(['create']);
    const events = (await eventsFor(t, tenant.org.id, 'task_dependency_added')).filter(
      (event) => event.aggregate_id === created.id,
    );
    expect(events).toHaveLength(1);
  });

  it('shows the dependency from both tasks, each naming the other', async () => {
    const [a, b] = [await task(), await task()];
    const created = await linked(a.id, b.id, { type: 'start_to_start', lag_minutes: 30 });
    const fromA = await dependenciesOf(a.id);
    expect(fromA.map((d) => [d.id, d.other_role, d.other_task.id])).toEqual([
      [created.id, 'successor', b.id],
    ]);
    const fromB = await dependenciesOf(b.id);
    expect(fromB).toEqual([
      expect.objectContaining({
        id: created.id,
        type: 'start_to_start',
        lag_minutes: 30,
        other_role: 'predecessor',
      }),
    ]);
  });

  it('refuses a task depending on itself with 400', async () => {
    const a = await task();
    const response = await link(a.id, { predecessor_id: a.id });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation', reason: 'DEPENDENCY_ON_ITSELF' });
  });

  it('answers 404 naming body.predecessor_id for an unknown, another org’s or a deleted predecessor', async () => {
    const b = await task();
    const foreign = await task({ orgId: other.org.id });
    const deleted = await insertTask(t.db.db, { org_id: tenant.org.id, deleted_at: new Date() });
    for (const predecessorId of [randomUUID(), foreign.id, deleted.id]) {
      const response = await link(b.id, { predecessor_id: predecessorId });
      expect(response.statusCode, response.body).toBe(404);
      expect(response.json()).toMatchObject({
        code: 'not_found',
        details: [expect.objectContaining({ field: 'body.predecessor_id' })],
      });
    }
  });

  it('answers 404 for another org’s task in the path, on every route', async () => {
    const foreign = await task({ orgId: other.org.id });
    const mine = await task();
    const dependency = await linked(mine.id, (await task()).id);
    expect((await t.request(scheduler(), 'GET', url(foreign.id))).statusCode).toBe(404);
    expect((await link(foreign.id, { predecessor_id: mine.id })).statusCode).toBe(404);
    const removal = await t.request(scheduler(), 'DELETE', `${url(foreign.id)}/${dependency.id}`);
    expect(removal.statusCode).toBe(404);
    // Nor can the other org reach this org's dependency through its id.
    const theirs = await t.request(other.tokens.scheduler, 'DELETE', `${url(mine.id)}/${dependency.id}`);
    expect(theirs.statusCode).toBe(404);
  });

  it('refuses the same pair twice with 409 DEPENDENCY_EXISTS, whatever the type', async () => {
    const [a, b] = [await task(), await task()];
    await linked(a.id, b.id);
    const response = await link(b.id, { predecessor_id: a.id, type: 'finish_to_finish' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'DEPENDENCY_EXISTS' });
  });

  it('refuses a completed or cancelled successor (409 TASK_FINAL) and a cancelled predecessor, saying why', async () => {
    const a = await task();
    for (const state of ['completed', 'cancelled'] as const) {
      const response = await link((await task({ state })).id, { predecessor_id: a.id });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ reason: 'TASK_FINAL' });
    }
    const cancelled = await task({ state: 'cancelled' });
    const response = await link(a.id, { predecessor_id: cancelled.id });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'PREDECESSOR_CANCELLED' });
    expect(response.json<{ error: string }>().error).toMatch(/cancelled and will never be done/);
  });

  it('refuses a dependency that would close a cycle with 409 DEPENDENCY_CYCLE naming the path', async () => {
    const [a, b, c] = [await task(), await task(), await task()];
    await linked(a.id, b.id);
    await linked(b.id, c.id);
    const response = await link(a.id, { predecessor_id: c.id });
    expect(response.statusCode).toBe(409);
    const body = response.json<{ reason: string; error: string; details: { message: string }[] }>();
    expect(body.reason).toBe('DEPENDENCY_CYCLE');
    expect(body.error).toContain(`${c.id} → ${a.id} → ${b.id} → ${c.id}`);
    expect(body.details.map((d) => d.message)).toEqual([c.id, a.id, b.id, c.id]);
  });

  it('names the shortest cycle through a plan that branches and joins again and again', async () => {
    // 16 diamonds in a row (a → b, a → c, b → a', c → a'): 65,536 ways from the first task to the
    // last, one shortest cycle to name when the last is made a predecessor of the first.
    const first = await task();
    let top = first;
    for (let i = 0; i < 16; i++) {
      const [left, right, bottom] = [await task(), await task(), await task()];
      for (const [p, s] of [
        [top, left],
        [top, right],
        [left, bottom],
        [right, bottom],
      ] as const) {
        await insertTaskDependency(t.db.db, {
          org_id: tenant.org.id,
          predecessor_id: p.id,
          successor_id: s.id,
        });
      }
      top = bottom;
    }
    const response = await link(first.id, { predecessor_id: top.id });
    expect(response.statusCode).toBe(409);
    const body = response.json<{ reason: string; details: { message: string }[] }>();
    expect(body.reason).toBe('DEPENDENCY_CYCLE');
    // last → first → (one side of each diamond, its bottom) × 16: 2 + 32 tasks.
    expect(body.details).toHaveLength(34);
    expect(body.details[0]?.message).toBe(top.id);
    expect(body.details.at(-1)?.message).toBe(top.id);
  });

  it('rejects a malformed body with 400 in the envelope', async () => {
    const [a, b] = [await task(), await task()];
    for (const body of [
      { predecessor_id: 'nope' },
      { predecessor_id: a.id, type: 'finish_to_lunch' },
      { predecessor_id: a.id, lag_minutes: 525_601 },
      { predecessor_id: a.id, lag_minutes: -1 },
      { predecessor_id: a.id, extra: true },
    ]) {
      const response = await link(b.id, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation' });
    }
  });

  it('replays a retried POST with the same Idempotency-Key', async () => {
    const [a, b] = [await task(), await task()];
    const key = randomUUID();
    const send = () =>
      t.request(scheduler(), 'POST', url(b.id), { predecessor_id: a.id }, { 'idempotency-key': key });
    const first = await send();
    const second = await send();
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
  });
});

describe('racing dependencies', () => {
  it('of A→B and B→A sent together, exactly one succeeds and the other is a cycle (several rounds)', async () => {
    for (let round = 0; round < 6; round += 1) {
      const [a, b] = [await task(), await task()];
      const responses = await Promise.all([
        link(b.id, { predecessor_id: a.id }),
        link(a.id, { predecessor_id: b.id }),
      ]);
      expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      expect(responses.find((r) => r.statusCode === 409)!.json()).toMatchObject({
        reason: 'DEPENDENCY_CYCLE',
      });
    }
  });

  it('closing a longer cycle through different tasks from two sides at once, one of them is refused', async () => {
    for (let round = 0; round < 4; round += 1) {
      const [a, b, c, d] = [await task(), await task(), await task(), await task()];
      await linked(a.id, b.id);
      await linked(b.id, c.id);
      // c → d and d → a would together make a → b → c → d → a.
      const responses = await Promise.all([
        link(d.id, { predecessor_id: c.id }),
        link(a.id, { predecessor_id: d.id }),
      ]);
      expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      expect(responses.find((r) => r.statusCode === 409)!.json()).toMatchObject({
        reason: 'DEPENDENCY_CYCLE',
      });
    }
  });
});

describe('removing a dependency', () => {
  it('answers 204 from either end, records task_dependency_removed, and a second delete is 404', async () => {
    const [a, b] = [await task(), await task()];
    const created = await linked(a.id, b.id);
    const response = await t.request(scheduler(), 'DELETE', `${url(a.id)}/${created.id}`);
    expect(response.statusCode, response.body).toBe(204);
    expect(await dependenciesOf(b.id)).toEqual([]);
    const events = (await eventsFor(t, tenant.org.id, 'task_dependency_removed')).filter(
      (event) => event.aggregate_id === created.id,
    );
    expect(events).toHaveLength(1);
    const again = await t.request(scheduler(), 'DELETE', `${url(b.id)}/${created.id}`);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ reason: 'DEPENDENCY_NOT_FOUND' });
  });

  it('answers 404 for a dependency that does not involve the task in the path', async () => {
    const [a, b, c] = [await task(), await task(), await task()];
    const created = await linked(a.id, b.id);
    const response = await t.request(scheduler(), 'DELETE', `${url(c.id)}/${created.id}`);
    expect(response.statusCode).toBe(404);
  });
});

describe('whether a dependency holds', () => {
  it('says waiting, schedule_violated and satisfied as the tasks move on', async () => {
    const a = await task({ start: 10 });
    const b = await task({ start: 13 });
    const late = await task({ start: 11 });
    await linked(a.id, b.id);
    await linked(a.id, late.id);
    expect((await dependenciesOf(b.id))[0]!.status).toBe('waiting');
    expect((await dependenciesOf(late.id))[0]!.status).toBe('schedule_violated');
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'completed' })
      .where('id', '=', a.id)
      .execute();
    expect((await dependenciesOf(b.id))[0]!.status).toBe('satisfied');
  });

  it('tells a dependent, in its detail too, that its predecessor was cancelled or deleted', async () => {
    const [cancelledOne, deletedOne, b] = [await task(), await task(), await task()];
    await linked(cancelledOne.id, b.id);
    await linked(deletedOne.id, b.id);
    const cancel = await t.request(
      scheduler(),
      'PATCH',
      `/api/v1/maintenance-tasks/${cancelledOne.id}/state`,
      {
        new_state: 'cancelled',
      },
    );
    expect(cancel.statusCode, cancel.body).toBe(200);
    const removal = await t.request(scheduler(), 'DELETE', `/api/v1/maintenance-tasks/${deletedOne.id}`);
    expect(removal.statusCode, removal.body).toBe(204);

    const detail = await t.request(scheduler(), 'GET', `/api/v1/maintenance-tasks/${b.id}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const dependencies = detail.json<{ dependencies: DependencyJson[] }>().dependencies;
    const byPredecessor = new Map(dependencies.map((d) => [d.predecessor_id, d]));
    expect(byPredecessor.get(cancelledOne.id)).toMatchObject({
      status: 'predecessor_cancelled',
      other_task: { state: 'cancelled', deleted: false },
    });
    expect(byPredecessor.get(deletedOne.id)).toMatchObject({
      status: 'predecessor_deleted',
      other_task: { deleted: true },
    });
  });
});

describe('who may read and edit dependencies', () => {
  itEnforcesRoles(
    {
      'GET /maintenance-tasks/:id/dependencies': {
        method: 'GET',
        build: async () => ({ url: `/maintenance-tasks/${(await task()).id}/dependencies` }),
        allowed: EVERYONE,
      },
      'POST /maintenance-tasks/:id/dependencies': {
        method: 'POST',
        build: async () => ({
          url: `/maintenance-tasks/${(await task()).id}/dependencies`,
          body: { predecessor_id: (await task()).id },
        }),
        allowed: ['admin', 'tenant_admin', 'scheduler'],
      },
      'DELETE /maintenance-tasks/:id/dependencies/:dependencyId': {
        method: 'DELETE',
        build: async () => {
          const [a, b] = [await task(), await task()];
          const created = await linked(a.id, b.id);
          return { url: `/maintenance-tasks/${b.id}/dependencies/${created.id}` };
        },
        allowed: ['admin', 'tenant_admin', 'scheduler'],
      },
    },
    () => ({ t, tokens: tenant.tokens }),
  );
});

describe('a dependency on another aircraft’s task', () => {
  it('links tasks of different aircraft of the organization', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const a = await insertTask(t.db.db, { org_id: tenant.org.id, aircraft_id: aircraft.id });
    const b = await task();
    expect((await linked(a.id, b.id)).other_task).toMatchObject({ aircraft_id: aircraft.id });
  });
});
