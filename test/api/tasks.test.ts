import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { TaskService } from '../../src/app/tasks.js';
import type { DB } from '../../src/infra/postgres/schema.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  insertAircraft,
  insertComplianceItem,
  insertPartDefinition,
  insertProgram,
  insertReservation,
  insertTask,
} from '../support/factories.js';

let t: TestApp;
let orgId: string;
let scheduler: string;
let schedulerId: string;
let mechanicId: string;
let auditor: string;

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.createOrg()).id;
  const s = await t.createUser(orgId, 'scheduler');
  schedulerId = s.id;
  scheduler = await t.tokenFor(s);
  mechanicId = (await t.createUser(orgId, 'mechanic')).id;
  auditor = await t.tokenFor(await t.createUser(orgId, 'auditor'));
});
afterAll(async () => {
  await t.close();
});

interface TaskJson {
  id: string;
  org_id: string;
  aircraft_id: string;
  state: string;
  version: number;
  start_time: string;
  end_time: string;
  notes: string | null;
  assigned_mechanic_id: string | null;
  required_parts: { part_definition_id: string; quantity: number }[];
}

const url = '/api/v1/maintenance-tasks';
const HOUR = 3_600_000;
/** A window `from`..`to` hours after a fixed day, far enough ahead that no grounding rule applies. */
const window = (from: number, to: number) => ({
  start_time: new Date(Date.UTC(2031, 5, 1) + from * HOUR).toISOString(),
  end_time: new Date(Date.UTC(2031, 5, 1) + to * HOUR).toISOString(),
});
const aircraft = () => insertAircraft(t.db.db, { org_id: orgId });
const create = (body: Record<string, unknown>, token = scheduler) => t.request(token, 'POST', url, body);
const newTask = async (body: Record<string, unknown> = {}) => {
  const response = await create({
    aircraft_id: (await aircraft()).id,
    type: 'inspection',
    ...window(1, 3),
    ...body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<TaskJson>();
};
const audits = (entityId: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('entity_id', '=', entityId)
    .orderBy('timestamp')
    .execute();
const events = (aggregateId: string) =>
  t.db.db
    .selectFrom('outbox_events')
    .selectAll()
    .where('aggregate_id', '=', aggregateId)
    .orderBy('created_at')
    .execute();

describe('scheduling a task', () => {
  it('creates a scheduled task at version 1 with its required parts, and a Location to it', async () => {
    const definition = await insertPartDefinition(t.db.db, { org_id: orgId });
    const program = await insertProgram(t.db.db, { org_id: orgId });
    const plane = await aircraft();
    const response = await create({
      aircraft_id: plane.id,
      program_id: program.id,
      type: 'repair',
      ...window(1, 3),
      assigned_mechanic_id: mechanicId,
      notes: 'Brake unit replacement',
      required_parts: [{ part_definition_id: definition.id, quantity: 2 }],
    });
    expect(response.statusCode, response.body).toBe(201);
    const task = response.json<TaskJson>();
    expect(task).toMatchObject({
      org_id: orgId,
      aircraft_id: plane.id,
      state: 'scheduled',
      version: 1,
      assigned_mechanic_id: mechanicId,
      required_parts: [{ part_definition_id: definition.id, quantity: 2 }],
      ...window(1, 3),
    });
    expect(response.headers.location).toBe(`${url}/${task.id}`);
  });

  it('normalises timestamps with an offset to UTC', async () => {
    const task = await newTask({
      start_time: '2031-07-01T12:00:00+02:00',
      end_time: '2031-07-01T14:00:00+02:00',
    });
    expect(task).toMatchObject({
      start_time: '2031-07-01T10:00:00.000Z',
      end_time: '2031-07-01T12:00:00.000Z',
    });
  });

  it('records one audit row and one task_created event with the spec’s dedupe key', async () => {
    const task = await newTask();
    const rows = await audits(task.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'create',
      entity_type: 'maintenance_task',
      user_id: schedulerId,
    });
    const [event, ...more] = await events(task.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      event_type: 'task_created',
      dedupe_key: `task_created:${orgId}:${task.id}`,
      payload: {
        version: 1,
        org_id: orgId,
        aggregate_id: task.id,
        data: { id: task.id, state: 'scheduled' },
      },
    });
  });

  it('refuses an assigned user who is not a mechanic with 400 NOT_A_MECHANIC', async () => {
    const response = await create({
      aircraft_id: (await aircraft()).id,
      type: 'inspection',
      ...window(1, 2),
      assigned_mechanic_id: schedulerId,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      reason: 'NOT_A_MECHANIC',
      details: [{ field: 'body.assigned_mechanic_id' }],
    });
  });

  it('refuses a program bound to another aircraft with 400 PROGRAM_AIRCRAFT_MISMATCH', async () => {
    const program = await insertProgram(t.db.db, { aircraft_id: (await aircraft()).id });
    const response = await create({
      aircraft_id: (await aircraft()).id,
      type: 'inspection',
      ...window(1, 2),
      program_id: program.id,
    });
    expect(response.json()).toMatchObject({
      reason: 'PROGRAM_AIRCRAFT_MISMATCH',
      details: [{ field: 'body.program_id' }],
    });
  });

  it('refuses a part definition listed twice, naming the repeat', async () => {
    const definition = await insertPartDefinition(t.db.db, { org_id: orgId });
    const part = { part_definition_id: definition.id, quantity: 1 };
    const response = await create({
      aircraft_id: (await aircraft()).id,
      type: 'inspection',
      ...window(1, 2),
      required_parts: [part, part],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      reason: 'DUPLICATE_REQUIRED_PART',
      details: [{ field: 'body.required_parts.1.part_definition_id' }],
    });
  });
});

describe('capacity: one active task per aircraft at a time', () => {
  it('answers an overlap with 409 TASK_OVERLAP naming the conflicting task and its window', async () => {
    const first = await newTask(window(10, 12));
    const response = await create({ aircraft_id: first.aircraft_id, type: 'repair', ...window(11, 13) });
    expect(response.statusCode).toBe(409);
    const body = response.json<{
      error: string;
      reason: string;
      details: { field: string; message: string }[];
    }>();
    expect(body.reason).toBe('TASK_OVERLAP');
    expect(body.error).toContain(first.id);
    expect(body.error).toContain(`${first.start_time} to ${first.end_time}`);
    expect(body.details.map((d) => d.field)).toEqual(['body.start_time', 'body.end_time']);
    expect(body.details[0]!.message).toContain(first.id);
  });

  it('of ten overlapping creates on one aircraft at once, exactly one succeeds and nine get TASK_OVERLAP', async () => {
    const plane = await aircraft();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        create({ aircraft_id: plane.id, type: 'inspection', ...window(20 + i * 0.1, 22 + i * 0.1) }),
      ),
    );
    const created = responses.filter((r) => r.statusCode === 201);
    const refused = responses.filter((r) => r.statusCode === 409);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(9);
    const winner = created[0]!.json<TaskJson>().id;
    for (const response of refused) {
      expect(response.json()).toMatchObject({ reason: 'TASK_OVERLAP' });
      expect(response.json<{ error: string }>().error).toContain(winner);
    }
    const rows = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('aircraft_id', '=', plane.id)
      .execute();
    expect(rows.map((r) => r.id)).toEqual([winner]);
  });

  it('frees the window of a cancelled, completed or deleted task', async () => {
    for (const state of ['cancelled', 'completed', 'deleted'] as const) {
      const plane = await aircraft();
      const start = new Date(Date.UTC(2031, 8, 1, 10));
      const end = new Date(Date.UTC(2031, 8, 1, 12));
      const old = await insertTask(t.db.db, { aircraft_id: plane.id, start_time: start, end_time: end });
      if (state === 'deleted') {
        expect((await t.request(scheduler, 'DELETE', `${url}/${old.id}`)).statusCode).toBe(204);
      } else {
        await t.db.db.updateTable('maintenance_tasks').set({ state }).where('id', '=', old.id).execute();
      }
      const again = await create({
        aircraft_id: plane.id,
        type: 'inspection',
        start_time: start.toISOString(),
        end_time: end.toISOString(),
      });
      expect(again.statusCode, `${state}: ${again.body}`).toBe(201);
    }
  });

  it('refuses moving a task onto another task’s window, naming only the changed field', async () => {
    const first = await newTask(window(30, 32));
    const second = await create({ aircraft_id: first.aircraft_id, type: 'inspection', ...window(32, 34) });
    const moved = await t.request(scheduler, 'PATCH', `${url}/${second.json<TaskJson>().id}`, {
      start_time: window(31, 0).start_time,
    });
    expect(moved.statusCode).toBe(409);
    expect(moved.json()).toMatchObject({ reason: 'TASK_OVERLAP', details: [{ field: 'body.start_time' }] });
  });
});

describe('the aircraft status follows task changes', () => {
  it('a confirmed task inside the grounding lead time grounds the aircraft; deleting it releases the aircraft', async () => {
    const plane = await aircraft();
    const soon = Date.now() + 2 * HOUR;
    const response = await create({
      aircraft_id: plane.id,
      type: 'inspection',
      start_time: new Date(soon).toISOString(),
      end_time: new Date(soon + HOUR).toISOString(),
      assigned_mechanic_id: mechanicId,
    });
    expect(response.statusCode, response.body).toBe(201);
    const status = async () =>
      t.db.db
        .selectFrom('aircraft')
        .select(['status', 'status_source'])
        .where('id', '=', plane.id)
        .executeTakeFirstOrThrow();
    expect(await status()).toEqual({ status: 'grounded', status_source: 'automatic' });
    expect((await t.request(scheduler, 'DELETE', `${url}/${response.json<TaskJson>().id}`)).statusCode).toBe(
      204,
    );
    expect(await status()).toEqual({ status: 'operational', status_source: 'automatic' });
    const changes = await audits(plane.id);
    expect(changes.map((row) => row.action)).toEqual(['state_change', 'state_change']);
  });
});

describe('reading tasks', () => {
  it('returns the task with its reservations and live compliance items', async () => {
    const task = await newTask();
    const reservation = await insertReservation(t.db.db, { task_id: task.id });
    const item = await insertComplianceItem(t.db.db, { task_id: task.id });
    await insertComplianceItem(t.db.db, { task_id: task.id, deleted_at: new Date() });
    const response = await t.request(auditor, 'GET', `${url}/${task.id}`);
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      task: TaskJson;
      reservations: { id: string }[];
      compliance: { id: string }[];
    }>();
    expect(Object.keys(body).sort()).toEqual(['compliance', 'dependencies', 'reservations', 'task']);
    expect(body.task).toMatchObject({ id: task.id, version: 1 });
    expect(body.reservations).toEqual([
      expect.objectContaining({ id: reservation.id, state: 'reserved', task_id: task.id }),
    ]);
    expect(body.compliance).toEqual([
      expect.objectContaining({ id: item.id, result: 'pending', signed_off: false }),
    ]);
  });

  it('reads the detail, with its reservations and compliance items, in one query', async () => {
    const task = await newTask();
    await insertReservation(t.db.db, { task_id: task.id });
    await insertComplianceItem(t.db.db, { task_id: task.id });
    let queries = 0;
    const counted = new Kysely<DB>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: t.db.url, max: 3 }) }),
      log: (event) => {
        if (event.level === 'query') queries += 1;
      },
    });
    try {
      const service = new TaskService({ uow: new PgUnitOfWork(counted) });
      const detail = await service.get(
        { kind: 'user', userId: schedulerId, orgId, role: 'scheduler', scopes: [] },
        task.id,
      );
      expect([detail.reservations.length, detail.compliance.length]).toEqual([1, 1]);
      expect(queries).toBeGreaterThan(0);
      expect(queries).toBe(1);
    } finally {
      await counted.destroy();
    }
  });

  it('filters by aircraft, state, type, mechanic, program and start range, sorts and pages', async () => {
    const plane = await aircraft();
    const program = await insertProgram(t.db.db, { org_id: orgId });
    const at = (day: number) => new Date(Date.UTC(2032, 0, day, 8));
    const make = (day: number, extra: Parameters<typeof insertTask>[1] = {}) =>
      insertTask(t.db.db, {
        aircraft_id: plane.id,
        start_time: at(day),
        end_time: new Date(at(day).getTime() + HOUR),
        ...extra,
      });
    const a = await make(1, { type: 'repair', assigned_mechanic_id: mechanicId, program_id: program.id });
    const b = await make(2, { type: 'repair', assigned_mechanic_id: mechanicId, program_id: program.id });
    await make(3, { type: 'overhaul' });
    const c = await make(4, {
      type: 'repair',
      assigned_mechanic_id: mechanicId,
      program_id: program.id,
      state: 'cancelled',
    });
    const base = `${url}?aircraft_id=${plane.id}&type=repair&assigned_mechanic_id=${mechanicId}&program_id=${program.id}`;
    const first = await t.request(auditor, 'GET', `${base}&sort=-start_time&limit=2`);
    expect(first.json<TaskJson[]>().map((x) => x.id)).toEqual([c.id, b.id]);
    const next = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link))?.[1];
    expect((await t.request(auditor, 'GET', next!)).json<TaskJson[]>().map((x) => x.id)).toEqual([a.id]);
    const ranged = await t.request(
      auditor,
      'GET',
      `${base}&state=scheduled&start_from=${at(2).toISOString()}&start_to=${at(4).toISOString()}`,
    );
    expect(ranged.json<TaskJson[]>().map((x) => x.id)).toEqual([b.id]);
  });

  it('refuses bad filters with 400 naming them', async () => {
    const cases: [string, string][] = [
      ['state=done', 'querystring.state'],
      ['type=paint', 'querystring.type'],
      ['aircraft_id=nope', 'querystring.aircraft_id'],
      ['start_from=yesterday', 'querystring.start_from'],
      ['sort=tail_number', 'querystring.sort'],
      ['start_from=2031-01-02T00:00:00Z&start_to=2031-01-01T00:00:00Z', 'querystring.start_to'],
      ['colour=red', 'querystring.colour'],
    ];
    for (const [query, field] of cases) {
      const response = await t.request(auditor, 'GET', `${url}?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(
        response.json<{ details: { field: string }[] }>().details.map((d) => d.field),
        query,
      ).toContain(field);
    }
  });
});

describe('changing and deleting tasks', () => {
  it('changes non-state fields, bumps the version, and records one audit row and one task_updated event', async () => {
    const task = await newTask();
    const definition = await insertPartDefinition(t.db.db, { org_id: orgId });
    // A mechanic of their own: the file's mechanic is booked on other tasks at this time.
    const freeMechanic = (await t.createUser(orgId, 'mechanic')).id;
    const response = await t.request(scheduler, 'PATCH', `${url}/${task.id}`, {
      type: 'overhaul',
      notes: 'Moved to hangar 2',
      assigned_mechanic_id: freeMechanic,
      required_parts: [{ part_definition_id: definition.id, quantity: 3 }],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      type: 'overhaul',
      version: 2,
      notes: 'Moved to hangar 2',
      required_parts: [{ part_definition_id: definition.id, quantity: 3 }],
    });
    const cleared = await t.request(scheduler, 'PATCH', `${url}/${task.id}`, {
      notes: null,
      assigned_mechanic_id: null,
      required_parts: [],
    });
    expect(cleared.json()).toMatchObject({
      version: 3,
      notes: null,
      assigned_mechanic_id: null,
      required_parts: [],
    });
    expect((await audits(task.id)).map((r) => r.action)).toEqual(['create', 'update', 'update']);
    const updated = (await events(task.id)).filter((e) => e.event_type === 'task_updated');
    expect(updated.map((e) => e.dedupe_key)).toEqual([
      `task_updated:${orgId}:${task.id}:2`,
      `task_updated:${orgId}:${task.id}:3`,
    ]);
  });

  it('refuses to change a completed or cancelled task with 409 TASK_FINAL', async () => {
    for (const state of ['completed', 'cancelled'] as const) {
      const task = await insertTask(t.db.db, { aircraft_id: (await aircraft()).id, state });
      const response = await t.request(scheduler, 'PATCH', `${url}/${task.id}`, { notes: 'late change' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ reason: 'TASK_FINAL' });
    }
  });

  it('refuses an end before the start, counting the stored start', async () => {
    const task = await newTask(window(40, 42));
    const response = await t.request(scheduler, 'PATCH', `${url}/${task.id}`, {
      end_time: window(39, 0).start_time,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      reason: 'END_BEFORE_START',
      details: [{ field: 'body.end_time' }],
    });
  });

  it('soft-deletes a task, releases its reserved parts, and answers 404 afterwards', async () => {
    const task = await newTask();
    const reserved = await insertReservation(t.db.db, { task_id: task.id });
    const used = await insertReservation(t.db.db, { task_id: task.id, state: 'used' });
    expect((await t.request(scheduler, 'DELETE', `${url}/${task.id}`)).statusCode).toBe(204);
    expect((await t.request(scheduler, 'GET', `${url}/${task.id}`)).statusCode).toBe(404);
    const states = await t.db.db
      .selectFrom('part_reservations')
      .select(['id', 'state'])
      .where('task_id', '=', task.id)
      .execute();
    expect(Object.fromEntries(states.map((r) => [r.id, r.state]))).toEqual({
      [reserved.id]: 'released',
      [used.id]: 'used',
    });
    expect((await audits(task.id)).map((r) => r.action)).toEqual(['create', 'delete']);
    expect((await audits(reserved.id)).map((r) => r.action)).toEqual(['state_change']);
    expect((await events(reserved.id)).map((e) => e.event_type)).toEqual(['part_released']);
    expect((await events(task.id)).map((e) => e.event_type)).toEqual(['task_created', 'task_deleted']);
  });

  it('refuses to delete a task in progress with 409 TASK_IN_PROGRESS', async () => {
    const task = await insertTask(t.db.db, { aircraft_id: (await aircraft()).id, state: 'in_progress' });
    const response = await t.request(scheduler, 'DELETE', `${url}/${task.id}`);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'TASK_IN_PROGRESS' });
  });
});

describe('started and completed tasks keep their record', () => {
  it('freezes the start of a task in progress, so moving it cannot reopen the 24 h cancel window', async () => {
    const started = new Date(Date.now() - 30 * HOUR);
    const task = await insertTask(t.db.db, {
      aircraft_id: (await aircraft()).id,
      state: 'in_progress',
      start_time: started,
      end_time: new Date(Date.now() + HOUR),
    });
    const moved = await t.request(scheduler, 'PATCH', `${url}/${task.id}`, {
      start_time: new Date().toISOString(),
    });
    expect(moved.statusCode).toBe(409);
    expect(moved.json()).toMatchObject({
      reason: 'START_TIME_FROZEN',
      details: [{ field: 'body.start_time' }],
    });
    const cancel = await t.request(scheduler, 'PATCH', `${url}/${task.id}/state`, { new_state: 'cancelled' });
    expect(cancel.json()).toMatchObject({ reason: 'TOO_LATE_TO_CANCEL' });
    // The work may still overrun: its end moves.
    const extended = await t.request(scheduler, 'PATCH', `${url}/${task.id}`, {
      end_time: new Date(Date.now() + 3 * HOUR).toISOString(),
    });
    expect(extended.statusCode).toBe(200);
  });

  it('refuses to delete a completed task with 409 TASK_COMPLETED, keeping its used parts on record', async () => {
    const task = await insertTask(t.db.db, { aircraft_id: (await aircraft()).id, state: 'completed' });
    const used = await insertReservation(t.db.db, { task_id: task.id, state: 'used' });
    const response = await t.request(scheduler, 'DELETE', `${url}/${task.id}`);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'conflict', reason: 'TASK_COMPLETED' });
    expect((await t.request(scheduler, 'GET', `${url}/${task.id}`)).json()).toMatchObject({
      reservations: [{ id: used.id, state: 'used' }],
    });
  });
});

describe('tenant isolation', () => {
  it('answers every endpoint with 404 for another org’s task', async () => {
    const foreign = await insertTask(t.db.db);
    const attempts = await Promise.all([
      t.request(scheduler, 'GET', `${url}/${foreign.id}`),
      t.request(scheduler, 'PATCH', `${url}/${foreign.id}`, { notes: 'mine now' }),
      t.request(scheduler, 'DELETE', `${url}/${foreign.id}`),
      t.request(scheduler, 'PATCH', `${url}/${foreign.id}/state`, { new_state: 'cancelled' }),
    ]);
    for (const response of attempts) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ reason: 'TASK_NOT_FOUND' });
    }
    const row = await t.db.db
      .selectFrom('maintenance_tasks')
      .selectAll()
      .where('id', '=', foreign.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ version: 1, state: 'scheduled', deleted_at: null });
  });

  it('answers another org’s aircraft, program, mechanic or part definition in a body with 404 naming the field', async () => {
    const other = (await t.createOrg()).id;
    const own = (await aircraft()).id;
    const foreignMechanic = (await t.createUser(other, 'mechanic')).id;
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { aircraft_id: (await insertAircraft(t.db.db, { org_id: other })).id },
        'body.aircraft_id',
        'AIRCRAFT_NOT_FOUND',
      ],
      [
        { program_id: (await insertProgram(t.db.db, { org_id: other })).id },
        'body.program_id',
        'PROGRAM_NOT_FOUND',
      ],
      [{ assigned_mechanic_id: foreignMechanic }, 'body.assigned_mechanic_id', 'MECHANIC_NOT_FOUND'],
      [
        {
          required_parts: [
            { part_definition_id: (await insertPartDefinition(t.db.db, { org_id: other })).id, quantity: 1 },
          ],
        },
        'body.required_parts.0.part_definition_id',
        'PART_DEFINITION_NOT_FOUND',
      ],
    ];
    for (const [body, field, reason] of cases) {
      const response = await create({ aircraft_id: own, type: 'inspection', ...window(50, 51), ...body });
      expect(response.statusCode, field).toBe(404);
      expect(response.json()).toMatchObject({ reason, details: [{ field }] });
    }
    const task = await newTask();
    const patched = await t.request(scheduler, 'PATCH', `${url}/${task.id}`, {
      assigned_mechanic_id: foreignMechanic,
    });
    expect(patched.json()).toMatchObject({
      reason: 'MECHANIC_NOT_FOUND',
      details: [{ field: 'body.assigned_mechanic_id' }],
    });
    const created = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('aircraft_id', '=', own)
      .execute();
    expect(created).toEqual([]);
  });

  it('lets an admin schedule in another org by naming it, and lists only the org in scope', async () => {
    const admin = await t.tokenFor(await t.createUser(orgId, 'admin'));
    const other = (await t.createOrg()).id;
    const plane = await insertAircraft(t.db.db, { org_id: other });
    const scope = `?org_id=${other}`;
    const created = await t.request(admin, 'POST', `${url}${scope}`, {
      aircraft_id: plane.id,
      type: 'inspection',
      ...window(1, 2),
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json<TaskJson>();
    expect(created.headers.location).toBe(`${url}/${id}${scope}`);
    expect((await t.request(admin, 'GET', `${url}/${id}`)).statusCode).toBe(404);
    expect((await t.request(admin, 'GET', `${url}${scope}`)).json<TaskJson[]>().map((x) => x.id)).toEqual([
      id,
    ]);
    const [row] = await audits(id);
    expect(row).toMatchObject({ org_id: other, actor_org_id: orgId });
  });
});

describe('bad input', () => {
  /** Tasks and audit rows, to show a refused request wrote nothing. */
  const written = async () => {
    const count = async (table: 'maintenance_tasks' | 'audit_logs') =>
      Number(
        (
          await t.db.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return { tasks: await count('maintenance_tasks'), audits: await count('audit_logs') };
  };

  it.each<[string, 'POST' | 'PATCH' | 'GET' | 'DELETE', string, unknown, string]>([
    ['create without aircraft_id', 'POST', '', { type: 'inspection', ...window(1, 2) }, 'body.aircraft_id'],
    [
      'create without start_time',
      'POST',
      '',
      { aircraft_id: randomUUID(), type: 'inspection', end_time: window(1, 2).end_time },
      'body.start_time',
    ],
    [
      'create with a malformed aircraft_id',
      'POST',
      '',
      { aircraft_id: 'A320', type: 'inspection', ...window(1, 2) },
      'body.aircraft_id',
    ],
    [
      'create with an unknown type',
      'POST',
      '',
      { aircraft_id: randomUUID(), type: 'paint', ...window(1, 2) },
      'body.type',
    ],
    [
      'create with a timestamp without offset',
      'POST',
      '',
      {
        aircraft_id: randomUUID(),
        type: 'inspection',
        start_time: '2031-01-01T10:00:00',
        end_time: '2031-01-01T12:00:00Z',
      },
      'body.start_time',
    ],
    [
      'create with a quantity of the wrong type',
      'POST',
      '',
      {
        aircraft_id: randomUUID(),
        type: 'inspection',
        ...window(1, 2),
        required_parts: [{ part_definition_id: randomUUID(), quantity: 'two' }],
      },
      'body.required_parts.0.quantity',
    ],
    [
      'create with a zero quantity',
      'POST',
      '',
      {
        aircraft_id: randomUUID(),
        type: 'inspection',
        ...window(1, 2),
        required_parts: [{ part_definition_id: randomUUID(), quantity: 0 }],
      },
      'body.required_parts.0.quantity',
    ],
    [
      'create with blank notes',
      'POST',
      '',
      { aircraft_id: randomUUID(), type: 'inspection', ...window(1, 2), notes: '  ' },
      'body.notes',
    ],
    [
      'create with an unknown field',
      'POST',
      '',
      { aircraft_id: randomUUID(), type: 'inspection', ...window(1, 2), state: 'completed' },
      'body.state',
    ],
    [
      'create ending before it starts',
      'POST',
      '',
      { aircraft_id: randomUUID(), type: 'inspection', ...window(2, 1) },
      'body.end_time',
    ],
    [
      'create ending when it starts',
      'POST',
      '',
      { aircraft_id: randomUUID(), type: 'inspection', ...window(2, 2) },
      'body.end_time',
    ],
    ['get with a malformed id', 'GET', '/nope', undefined, 'params.id'],
    ['change with an empty body', 'PATCH', '/{id}', {}, 'body'],
    ['change the state through the field route', 'PATCH', '/{id}', { state: 'completed' }, 'body.state'],
    ['change the aircraft', 'PATCH', '/{id}', { aircraft_id: randomUUID() }, 'body.aircraft_id'],
    ['change with a bad timestamp', 'PATCH', '/{id}', { start_time: 'tomorrow' }, 'body.start_time'],
    ['change to end before the start', 'PATCH', '/{id}', window(5, 4), 'body.end_time'],
    ['delete with a malformed id', 'DELETE', '/nope', undefined, 'params.id'],
    ['transition without new_state', 'PATCH', '/{id}/state', { notes: 'x' }, 'body.new_state'],
    ['transition to an unknown state', 'PATCH', '/{id}/state', { new_state: 'done' }, 'body.new_state'],
    [
      'transition with an override of the wrong type',
      'PATCH',
      '/{id}/state',
      { new_state: 'cancelled', allow_late_cancel: 'yes' },
      'body.allow_late_cancel',
    ],
    [
      'transition with an unknown field',
      'PATCH',
      '/{id}/state',
      { new_state: 'cancelled', force: true },
      'body.force',
    ],
    [
      'transition with an override for another state',
      'PATCH',
      '/{id}/state',
      { new_state: 'cancelled', allow_early_completion: true },
      'body.allow_early_completion',
    ],
  ])('%s → 400 naming %s, nothing written', async (_name, method, path, body, field) => {
    const task = await newTask(window(60, 62));
    const before = await written();
    const response = await t.request(scheduler, method, `${url}${path.replace('{id}', task.id)}`, body);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation' });
    const details = response.json<{ details?: { field: string }[] }>().details ?? [];
    expect(details.map((d) => d.field)).toContain(field);
    expect(await written()).toEqual(before);
    const row = await t.db.db
      .selectFrom('maintenance_tasks')
      .select(['version', 'deleted_at'])
      .where('id', '=', task.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ version: 1, deleted_at: null });
  });
});
