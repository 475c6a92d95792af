import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraftDirective, insertDirective } from '../support/directive-factories.js';
import {
  insertAircraft,
  insertPartDefinition,
  insertPartItem,
  insertProgram,
  insertReservation,
  insertTask,
  insertTaskPartRequirement,
} from '../support/factories.js';
import {
  insertEmployeeCertification,
  insertTaskSkillRequirement,
} from '../support/qualification-factories.js';
import { EVERYONE, itEnforcesRoles } from '../support/rbac.js';
import { insertTaskDependency } from '../support/scheduling-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
  other = await createTenant(t);
  // Data restored from elsewhere can hold double bookings the constraint of migration 00017 now
  // prevents; this database drops it to make one.
  await sql`ALTER TABLE maintenance_tasks DROP CONSTRAINT maintenance_tasks_mechanic_no_overlap`.execute(
    t.db.db,
  );
});
afterAll(() => t.close());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Midnight UTC ten days from now: every test's tasks sit in the 30 days after it. */
const BASE = Math.floor((Date.now() + 10 * DAY) / DAY) * DAY;
const at = (hours: number) => new Date(BASE + hours * HOUR);
const RANGE = `from=${at(0).toISOString()}&to=${at(30 * 24).toISOString()}`;

interface Conflict {
  type: string;
  task_ids: string[];
  aircraft_ids: string[];
  mechanic_id: string | null;
  sentence: string;
  [field: string]: unknown;
}

const org = () => home.org.id;
const plane = () => insertAircraft(t.db.db, { org_id: org() });
const task = (aircraftId: string, from: number, to: number, extra: Record<string, unknown> = {}) =>
  insertTask(t.db.db, {
    org_id: org(),
    aircraft_id: aircraftId,
    start_time: at(from),
    end_time: at(to),
    ...extra,
  });
const mechanic = () => t.createUser(org(), 'mechanic');

async function conflicts(query: string, token = home.tokens.scheduler): Promise<Conflict[]> {
  const response = await t.request(token, 'GET', `/api/v1/scheduling/conflicts?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Conflict[]>();
}
const onPlane = (aircraftId: string, type?: string) =>
  conflicts(`${RANGE}&aircraft_id=${aircraftId}${type ? `&type=${type}` : ''}`);

describe('dependency_violation', () => {
  it('names a successor scheduled before its predecessor allows and how much later it must move, until moved', async () => {
    const [a, b] = [await plane(), await plane()];
    const before = await task(a.id, 8, 12);
    const after = await task(b.id, 10, 14);
    await insertTaskDependency(t.db.db, {
      org_id: org(),
      predecessor_id: before.id,
      successor_id: after.id,
      lag_minutes: 60,
    });
    const [found, ...rest] = await onPlane(b.id);
    expect(rest).toEqual([]);
    expect(found).toMatchObject({
      type: 'dependency_violation',
      task_ids: [before.id, after.id],
      aircraft_ids: [a.id, b.id],
      predecessor_id: before.id,
      successor_id: after.id,
      required_shift_minutes: 180,
      earliest_start: at(13).toISOString(),
    });
    expect(found!.sentence).toContain('must move 3 h later');
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ start_time: at(13), end_time: at(17) })
      .where('id', '=', after.id)
      .execute();
    expect(await onPlane(b.id)).toEqual([]);
  });

  it('no longer counts a cancelled predecessor', async () => {
    const a = await plane();
    const before = await task(a.id, 8, 12);
    const after = await task(a.id, 12, 14);
    await insertTaskDependency(t.db.db, {
      org_id: org(),
      predecessor_id: before.id,
      successor_id: after.id,
      lag_minutes: 30,
    });
    expect(await onPlane(a.id)).toHaveLength(1);
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'cancelled' })
      .where('id', '=', before.id)
      .execute();
    expect(await onPlane(a.id)).toEqual([]);
  });
  it.each([
    ['start_to_start', 8, 12, 7, 13, 60],
    ['finish_to_finish', 8, 12, 9, 11, 60],
  ] as const)('measures a %s dependency by its own rule', async (type, ps, pe, ss, se, minutes) => {
    const [a, b] = [await plane(), await plane()];
    const before = await task(a.id, ps, pe);
    const after = await task(b.id, ss, se);
    await insertTaskDependency(t.db.db, {
      org_id: org(),
      predecessor_id: before.id,
      successor_id: after.id,
      type,
    });
    const [found] = await onPlane(b.id);
    expect(found).toMatchObject({ dependency_type: type, required_shift_minutes: minutes });
  });
});

describe('mechanic_overlap', () => {
  it('names a mechanic booked on two aircraft at once, until one task is reassigned', async () => {
    const [a, b] = [await plane(), await plane()];
    const m = await mechanic();
    const first = await task(a.id, 24, 30, { assigned_mechanic_id: m.id });
    const second = await task(b.id, 28, 34, { assigned_mechanic_id: m.id });
    const [found, ...rest] = await onPlane(b.id, 'mechanic_overlap');
    expect(rest).toEqual([]);
    expect(found).toMatchObject({
      type: 'mechanic_overlap',
      task_ids: [first.id, second.id],
      aircraft_ids: [a.id, b.id],
      mechanic_id: m.id,
      overlap_start: at(28).toISOString(),
      overlap_end: at(30).toISOString(),
    });
    expect(found!.sentence).toMatch(/is booked on .* at the same time/);
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ assigned_mechanic_id: null })
      .where('id', '=', second.id)
      .execute();
    expect(await onPlane(b.id, 'mechanic_overlap')).toEqual([]);
  });

  it('finds the double booking of a task in the range with one outside it', async () => {
    const [a, b] = [await plane(), await plane()];
    const m = await mechanic();
    const end = 30 * 24;
    const inside = await task(a.id, end - 2, end + 6, { assigned_mechanic_id: m.id });
    const outside = await task(b.id, end + 1, end + 3, { assigned_mechanic_id: m.id });
    const found = await onPlane(a.id, 'mechanic_overlap');
    expect(found.map((c) => c.task_ids)).toEqual([[inside.id, outside.id]]);
  });
});

describe('past_due', () => {
  it('names a task finishing after its calendar program falls due, until it finishes in time', async () => {
    const a = await plane();
    // Last performed 25 days before BASE, every 30 days: due on BASE + 5 days.
    const program = await insertProgram(t.db.db, {
      org_id: org(),
      aircraft_id: a.id,
      interval_value: 30,
      last_performed: new Date(BASE - 25 * DAY),
    });
    const late = await task(a.id, 6 * 24 + 2, 6 * 24 + 6, { program_id: program.id });
    const [found, ...rest] = await onPlane(a.id);
    expect(rest).toEqual([]);
    expect(found).toMatchObject({
      type: 'past_due',
      task_ids: [late.id],
      due_source: 'program',
      program_id: program.id,
      due_date: at(5 * 24)
        .toISOString()
        .slice(0, 10),
    });
    expect(found!.sentence).toContain(`after program "${program.name}" falls due on`);
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ start_time: at(5 * 24 + 2), end_time: at(5 * 24 + 6) })
      .where('id', '=', late.id)
      .execute();
    expect(await onPlane(a.id)).toEqual([]);
  });

  it('names a task finishing after the directive it was booked for falls due', async () => {
    const a = await plane();
    const booked = await task(a.id, 3 * 24, 3 * 24 + 4);
    const directive = await insertDirective(t.db.db, { org_id: org() });
    const tracking = await insertAircraftDirective(t.db.db, {
      org_id: org(),
      aircraft_id: a.id,
      directive_id: directive.id,
      next_due_date: at(24).toISOString().slice(0, 10),
      task_id: booked.id,
    });
    const [found] = await onPlane(a.id);
    expect(found).toMatchObject({
      type: 'past_due',
      due_source: 'directive',
      directive_id: directive.id,
      aircraft_directive_id: tracking.id,
    });
    expect(found!.sentence).toContain(`directive ${directive.reference_number}`);
    await t.db.db
      .updateTable('aircraft_directives')
      .set({
        next_due_date: at(4 * 24)
          .toISOString()
          .slice(0, 10),
      })
      .where('id', '=', tracking.id)
      .execute();
    expect(await onPlane(a.id)).toEqual([]);
  });
});

describe('parts_short', () => {
  it('lets the earlier task take the only free part and names the later one short with the earliest arrival, until stock comes in', async () => {
    const a = await plane();
    const part = await insertPartDefinition(t.db.db, { org_id: org(), lead_time_days: 10 });
    await insertPartItem(t.db.db, { org_id: org(), part_definition_id: part.id });
    const early = await task(a.id, 48, 50);
    const late = await task(a.id, 72, 74);
    for (const x of [early, late]) {
      await insertTaskPartRequirement(t.db.db, { org_id: org(), task_id: x.id, part_definition_id: part.id });
    }
    const [found, ...rest] = await onPlane(a.id);
    expect(rest).toEqual([]);
    expect(found).toMatchObject({
      type: 'parts_short',
      task_ids: [late.id],
      part_definition_id: part.id,
      required: 1,
      reserved: 0,
      available: 1,
      demand_before: 1,
      short: 1,
    });
    expect(Date.parse(found!.earliest_arrival as string) - Date.now()).toBeGreaterThan(10 * DAY - 60_000);
    expect(found!.sentence).toContain(`1 short of 1 × ${part.name}`);
    await insertPartItem(t.db.db, { org_id: org(), part_definition_id: part.id });
    expect(await onPlane(a.id)).toEqual([]);
  });

  it('counts a task’s own reservation as covering its need', async () => {
    const a = await plane();
    const part = await insertPartDefinition(t.db.db, { org_id: org() });
    const item = await insertPartItem(t.db.db, { org_id: org(), part_definition_id: part.id });
    const x = await task(a.id, 96, 98);
    await insertTaskPartRequirement(t.db.db, { org_id: org(), task_id: x.id, part_definition_id: part.id });
    await insertReservation(t.db.db, { org_id: org(), task_id: x.id, part_item_id: item.id });
    expect(await onPlane(a.id)).toEqual([]);
  });

  it('counts a part the task already used as covering its need, not as demand on stock', async () => {
    const a = await plane();
    const part = await insertPartDefinition(t.db.db, { org_id: org() });
    const item = await insertPartItem(t.db.db, {
      org_id: org(),
      part_definition_id: part.id,
      status: 'used',
    });
    const x = await task(a.id, 100, 102);
    await insertTaskPartRequirement(t.db.db, { org_id: org(), task_id: x.id, part_definition_id: part.id });
    await insertReservation(t.db.db, { org_id: org(), task_id: x.id, part_item_id: item.id, state: 'used' });
    expect(await onPlane(a.id)).toEqual([]);
  });
});

describe('mechanic_unqualified', () => {
  it('names what the assigned mechanic lacks, until they hold it', async () => {
    const a = await plane();
    await insertTaskSkillRequirement(t.db.db, { org_id: org(), task_type: 'overhaul' });
    const m = await mechanic();
    const x = await task(a.id, 120, 124, { type: 'overhaul', assigned_mechanic_id: m.id });
    const [found, ...rest] = await onPlane(a.id);
    expect(rest).toEqual([]);
    expect(found).toMatchObject({ type: 'mechanic_unqualified', task_ids: [x.id], mechanic_id: m.id });
    expect(found!.missing).toEqual([expect.objectContaining({ kind: 'certification' })]);
    expect(found!.sentence).toMatch(
      /^Mechanic .* is assigned to overhaul task .* but is not qualified for it: /,
    );
    await insertEmployeeCertification(t.db.db, { org_id: org(), user_id: m.id });
    expect(await onPlane(a.id)).toEqual([]);
  });
});

describe('range, filters and order', () => {
  it('lists only tasks meeting [from, to), and only the aircraft asked for', async () => {
    const [a, b] = [await plane(), await plane()];
    const part = await insertPartDefinition(t.db.db, { org_id: org() });
    const inside = await task(a.id, 200, 202);
    const outside = await task(a.id, 31 * 24, 31 * 24 + 2);
    const elsewhere = await task(b.id, 200, 202);
    for (const x of [inside, outside, elsewhere]) {
      await insertTaskPartRequirement(t.db.db, { org_id: org(), task_id: x.id, part_definition_id: part.id });
    }
    expect((await onPlane(a.id)).map((c) => c.task_ids)).toEqual([[inside.id]]);
    const wide = await conflicts(
      `from=${at(0).toISOString()}&to=${at(40 * 24).toISOString()}&aircraft_id=${a.id}`,
    );
    expect(wide.map((c) => c.task_ids)).toEqual([[inside.id], [outside.id]]);
    const all = await conflicts(`${RANGE}&type=parts_short&limit=200`);
    expect(all.map((c) => c.task_ids[0])).toEqual(expect.arrayContaining([inside.id, elsewhere.id]));
    expect(all.map((c) => c.task_ids[0])).not.toContain(outside.id);
  });

  it('pages in a stable order (first task’s start) with a Link to the next page', async () => {
    const a = await plane();
    const part = await insertPartDefinition(t.db.db, { org_id: org() });
    const tasks = [await task(a.id, 300, 301), await task(a.id, 302, 303), await task(a.id, 304, 305)];
    for (const x of tasks) {
      await insertTaskPartRequirement(t.db.db, { org_id: org(), task_id: x.id, part_definition_id: part.id });
    }
    const response = await t.request(
      home.tokens.auditor,
      'GET',
      `/api/v1/scheduling/conflicts?${RANGE}&aircraft_id=${a.id}&limit=2`,
    );
    expect(response.json<Conflict[]>().map((c) => c.task_ids[0])).toEqual([tasks[0]!.id, tasks[1]!.id]);
    expect(response.headers.link).toContain('rel="next"');
    const rest = await conflicts(`${RANGE}&aircraft_id=${a.id}&limit=2&offset=2`);
    expect(rest.map((c) => c.task_ids[0])).toEqual([tasks[2]!.id]);
  });

  it.each([
    ['to before from', `from=${at(10).toISOString()}&to=${at(5).toISOString()}`, 'INVALID_TIME_RANGE'],
    [
      'a range over 366 days',
      `from=${at(0).toISOString()}&to=${at(367 * 24).toISOString()}`,
      'INVALID_TIME_RANGE',
    ],
    ['a malformed date', 'from=yesterday', undefined],
    ['a malformed aircraft id', 'aircraft_id=42', undefined],
    ['an unknown type', 'type=gremlins', undefined],
  ])('refuses %s with 400', async (_name, query, reason) => {
    const response = await t.request(home.tokens.scheduler, 'GET', `/api/v1/scheduling/conflicts?${query}`);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation', ...(reason ? { reason } : {}) });
  });
});

describe('access', () => {
  it('answers 404 for another organization’s aircraft', async () => {
    const theirs = await insertAircraft(t.db.db, { org_id: other.org.id });
    const response = await t.request(
      home.tokens.scheduler,
      'GET',
      `/api/v1/scheduling/conflicts?aircraft_id=${theirs.id}`,
    );
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found', reason: 'AIRCRAFT_NOT_FOUND' });
  });

  it('never shows another organization’s conflicts', async () => {
    const theirs = await insertAircraft(t.db.db, { org_id: other.org.id });
    const part = await insertPartDefinition(t.db.db, { org_id: other.org.id });
    const x = await insertTask(t.db.db, {
      org_id: other.org.id,
      aircraft_id: theirs.id,
      start_time: at(5),
      end_time: at(6),
    });
    await insertTaskPartRequirement(t.db.db, {
      org_id: other.org.id,
      task_id: x.id,
      part_definition_id: part.id,
    });
    const mine = await conflicts(`${RANGE}&limit=200`);
    expect(mine.flatMap((c) => c.task_ids)).not.toContain(x.id);
  });

  itEnforcesRoles(
    {
      'GET /scheduling/conflicts': {
        method: 'GET',
        build: async () => ({ url: '/scheduling/conflicts' }),
        allowed: EVERYONE,
      },
    },
    () => ({ t, tokens: home.tokens }),
  );
});
