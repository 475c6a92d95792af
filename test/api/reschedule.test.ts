import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask, insertUser } from '../support/factories.js';
import {
  globalCertificationTypeId,
  insertEmployeeCertification,
  insertTaskSkillRequirement,
} from '../support/qualification-factories.js';
import { insertTaskDependency } from '../support/scheduling-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const HOUR = 3_600_000;
const BASE = Date.parse('2031-06-01T08:00:00Z');
const at = (hours: number) => new Date(BASE + hours * HOUR);
const iso = (hours: number) => at(hours).toISOString();

interface Plan {
  dry_run: boolean;
  change_id: string | null;
  moves: {
    task_id: string;
    aircraft_id: string;
    old_start_time: string;
    old_end_time: string;
    new_start_time: string;
    new_end_time: string;
    cascaded_from_task_id: string | null;
  }[];
  blockers: { task_id: string; reason: string; message: string; other_task_id: string | null }[];
}

let offset = 0;
/** A fresh aircraft and a base hour of its own, far from every other test's windows. */
async function plane(orgId = home.org.id) {
  offset += 1000;
  const aircraft = await insertAircraft(t.db.db, { org_id: orgId });
  return { id: aircraft.id, h: offset };
}

/** A scheduled task of the aircraft over [start, end) hours. */
const task = (aircraftId: string, start: number, end: number, extra: Record<string, unknown> = {}) =>
  insertTask(t.db.db, {
    org_id: home.org.id,
    aircraft_id: aircraftId,
    start_time: at(start),
    end_time: at(end),
    ...extra,
  });

const link = (
  predecessorId: string,
  successorId: string,
  extra: { type?: 'finish_to_start' | 'start_to_start' | 'finish_to_finish'; lag_minutes?: number } = {},
) =>
  insertTaskDependency(t.db.db, {
    org_id: home.org.id,
    predecessor_id: predecessorId,
    successor_id: successorId,
    ...extra,
  });

const reschedule = (id: string, body: Record<string, unknown>, token = home.tokens.scheduler) =>
  t.request(token, 'POST', `/api/v1/maintenance-tasks/${id}/reschedule`, {
    reason: 'part arrives late',
    ...body,
  });

const windowOf = async (id: string) => {
  const row = await t.db.db
    .selectFrom('maintenance_tasks')
    .select(['start_time', 'end_time'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return [new Date(row.start_time).toISOString(), new Date(row.end_time).toISOString()];
};

/** How many history, audit and outbox rows name the tasks. */
async function footprint(ids: string[]) {
  const count = async (table: 'task_schedule_changes' | 'audit_logs' | 'outbox_events', column: string) => {
    const row = await t.db.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where(column as never, 'in', ids as never)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    history: await count('task_schedule_changes', 'task_id'),
    audit: await count('audit_logs', 'entity_id'),
    outbox: await count('outbox_events', 'aggregate_id'),
  };
}

/** A chain a → b → c (finish-to-start) of two-hour tasks with an hour between each. */
async function chain() {
  const p = await plane();
  const a = await task(p.id, p.h, p.h + 2);
  const b = await task(p.id, p.h + 3, p.h + 5);
  const c = await task(p.id, p.h + 6, p.h + 8);
  await link(a.id, b.id);
  await link(b.id, c.id);
  return { p, a, b, c };
}

describe('rescheduling with cascade', () => {
  it('moves every task of a chain by the least amount that keeps its dependency, and records who, why and from where', async () => {
    const { p, a, b, c } = await chain();
    const response = await reschedule(a.id, {
      start_time: iso(p.h + 4),
      end_time: iso(p.h + 6),
      cascade: true,
    });
    expect(response.statusCode, response.body).toBe(200);
    const plan = response.json<Plan>();
    expect(plan).toMatchObject({ dry_run: false, blockers: [] });
    expect(plan.change_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      plan.moves.map((m) => [m.task_id, m.new_start_time, m.new_end_time, m.cascaded_from_task_id]),
    ).toEqual([
      [a.id, iso(p.h + 4), iso(p.h + 6), null],
      [b.id, iso(p.h + 6), iso(p.h + 8), a.id],
      [c.id, iso(p.h + 8), iso(p.h + 10), b.id],
    ]);
    expect(plan.moves[1]).toMatchObject({
      aircraft_id: p.id,
      old_start_time: iso(p.h + 3),
      old_end_time: iso(p.h + 5),
    });
    expect(await windowOf(c.id)).toEqual([iso(p.h + 8), iso(p.h + 10)]);
    const history = await t.db.db
      .selectFrom('task_schedule_changes')
      .selectAll()
      .where('change_id', '=', plan.change_id!)
      .execute();
    expect(history).toHaveLength(3);
    expect(history.find((h) => h.task_id === c.id)).toMatchObject({
      reason: 'part arrives late',
      cascaded_from_task_id: b.id,
      changed_by: home.userIds.scheduler,
      changed_by_org_id: home.org.id,
      actor: 'user:scheduler',
    });
  });

  it('moves a diamond’s join after the later of its two moved branches (with lags and types)', async () => {
    const p = await plane();
    const a = await task(p.id, p.h, p.h + 2);
    const b = await task(p.id, p.h + 2, p.h + 4);
    const c = await task(p.id, p.h + 4, p.h + 5);
    const d = await task(p.id, p.h + 6, p.h + 8);
    await link(a.id, b.id);
    await link(a.id, c.id, { type: 'start_to_start', lag_minutes: 240 });
    await link(b.id, d.id);
    await link(c.id, d.id, { lag_minutes: 60 });
    // a moves 1 h later: b → [3, 5); c (start ≥ a.start + 4 h) → [5, 6); d ≥ max(b.end, c.end + 1 h) = 7.
    const response = await reschedule(a.id, {
      start_time: iso(p.h + 1),
      end_time: iso(p.h + 3),
      cascade: true,
    });
    expect(response.statusCode, response.body).toBe(200);
    const moves = response.json<Plan>().moves;
    const byId = Object.fromEntries(moves.map((m) => [m.task_id, [m.new_start_time, m.new_end_time]]));
    expect(byId).toEqual({
      [a.id]: [iso(p.h + 1), iso(p.h + 3)],
      [b.id]: [iso(p.h + 3), iso(p.h + 5)],
      [c.id]: [iso(p.h + 5), iso(p.h + 6)],
      [d.id]: [iso(p.h + 7), iso(p.h + 9)],
    });
    expect(moves.find((m) => m.task_id === d.id)!.cascaded_from_task_id).toBe(c.id);
    expect(await windowOf(d.id)).toEqual([iso(p.h + 7), iso(p.h + 9)]);
  });

  it('without cascade refuses a move that breaks a dependent with 409 CASCADE_REQUIRED naming it, and moves nothing', async () => {
    const { p, a, b } = await chain();
    const response = await reschedule(a.id, { start_time: iso(p.h + 4), end_time: iso(p.h + 6) });
    expect(response.statusCode).toBe(409);
    const body = response.json<{ reason: string; error: string; details: { field: string }[] }>();
    expect(body.reason).toBe('CASCADE_REQUIRED');
    expect(body.error).toContain(b.id);
    // The first blocker is the dependent; the root's overlap with it where it stands is listed too.
    expect(body.details[0]).toMatchObject({ field: `tasks[${b.id}]` });
    expect(await windowOf(a.id)).toEqual([iso(p.h), iso(p.h + 2)]);
  });

  it('moves a task alone when its dependents still hold', async () => {
    const { p, a, b } = await chain();
    const response = await reschedule(a.id, { start_time: iso(p.h + 1), end_time: iso(p.h + 3) });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<Plan>().moves.map((m) => m.task_id)).toEqual([a.id]);
    expect(await windowOf(b.id)).toEqual([iso(p.h + 3), iso(p.h + 5)]);
  });

  it('refuses a new window that breaks the task’s own predecessor (DEPENDENCY_NOT_MET)', async () => {
    const { p, b } = await chain();
    const response = await reschedule(b.id, { start_time: iso(p.h + 1), end_time: iso(p.h + 2) });
    expect(response.statusCode).toBe(409);
    expect(response.json<{ reason: string }>().reason).toBe('DEPENDENCY_NOT_MET');
  });

  it('refuses a cascade that would overlap another task of the aircraft whole: nothing moved, no history, audit or outbox row', async () => {
    const { p, a, b, c } = await chain();
    const other = await task(p.id, p.h + 9, p.h + 11);
    const before = await footprint([a.id, b.id, c.id]);
    const response = await reschedule(a.id, {
      start_time: iso(p.h + 4),
      end_time: iso(p.h + 6),
      cascade: true,
    });
    expect(response.statusCode).toBe(409);
    const body = response.json<{ reason: string; error: string; details: { field: string }[] }>();
    expect(body.reason).toBe('TASK_OVERLAP');
    expect(body.error).toContain(other.id);
    expect(body.details).toEqual([expect.objectContaining({ field: `tasks[${c.id}]` })]);
    expect(await windowOf(a.id)).toEqual([iso(p.h), iso(p.h + 2)]);
    expect(await windowOf(b.id)).toEqual([iso(p.h + 3), iso(p.h + 5)]);
    expect(await footprint([a.id, b.id, c.id])).toEqual(before);
  });

  it('refuses a cascade that books a moved task’s mechanic on another of their tasks (MECHANIC_BUSY)', async () => {
    const { p, a, b } = await chain();
    const mechanic = await insertUser(t.db.db, { org_id: home.org.id, role: 'mechanic' });
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ assigned_mechanic_id: mechanic.id })
      .where('id', '=', b.id)
      .execute();
    const elsewhere = await plane();
    const busy = await task(elsewhere.id, p.h + 6, p.h + 7, { assigned_mechanic_id: mechanic.id });
    const response = await reschedule(a.id, {
      start_time: iso(p.h + 4),
      end_time: iso(p.h + 6),
      cascade: true,
      dry_run: true,
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<Plan>().blockers).toEqual([
      expect.objectContaining({ task_id: b.id, reason: 'MECHANIC_BUSY', other_task_id: busy.id }),
    ]);
  });

  it('refuses a plan whose moved tasks overlap each other on one mechanic', async () => {
    const p = await plane();
    const q = await plane();
    const mechanic = await insertUser(t.db.db, { org_id: home.org.id, role: 'mechanic' });
    const a = await task(p.id, p.h, p.h + 2, { assigned_mechanic_id: mechanic.id });
    const b = await task(q.id, p.h + 2, p.h + 4, { assigned_mechanic_id: mechanic.id });
    await link(a.id, b.id, { type: 'start_to_start' });
    // a → [3, 5) drags b (start ≥ a's start) to [3, 5): the same mechanic twice at once.
    const response = await reschedule(a.id, {
      start_time: iso(p.h + 3),
      end_time: iso(p.h + 5),
      cascade: true,
    });
    expect(response.statusCode).toBe(409);
    const body = response.json<{ reason: string; error: string }>();
    expect(body.reason).toBe('MECHANIC_BUSY');
    expect(body.error).toContain(b.id);
    expect(await windowOf(a.id)).toEqual([iso(p.h), iso(p.h + 2)]);
  });

  it('refuses a move that takes a task past its mechanic’s licence (MECHANIC_NOT_QUALIFIED)', async () => {
    const other = await createTenant(t);
    const b1 = await globalCertificationTypeId(t.db.db);
    await insertTaskSkillRequirement(t.db.db, { org_id: other.org.id, certification_type_id: b1 });
    const mechanic = await insertUser(t.db.db, { org_id: other.org.id, role: 'mechanic' });
    await insertEmployeeCertification(t.db.db, {
      org_id: other.org.id,
      user_id: mechanic.id,
      certification_type_id: b1,
      expiry_date: at(100),
    });
    const aircraft = await insertAircraft(t.db.db, { org_id: other.org.id });
    const job = await insertTask(t.db.db, {
      org_id: other.org.id,
      aircraft_id: aircraft.id,
      start_time: at(10),
      end_time: at(12),
      assigned_mechanic_id: mechanic.id,
    });
    const response = await reschedule(
      job.id,
      { start_time: iso(200), end_time: iso(202) },
      other.tokens.scheduler,
    );
    expect(response.statusCode, response.body).toBe(409);
    expect(response.json<{ reason: string }>().reason).toBe('MECHANIC_NOT_QUALIFIED');
  });

  it('keeps the root’s own edit rules: a completed task is 409 TASK_FINAL, an in-progress start is START_TIME_FROZEN', async () => {
    const p = await plane();
    const done = await task(p.id, p.h, p.h + 1, { state: 'completed' });
    const running = await task(p.id, p.h + 2, p.h + 3, { state: 'in_progress' });
    const final = await reschedule(done.id, { start_time: iso(p.h + 10), end_time: iso(p.h + 11) });
    expect(final.json<{ reason: string }>().reason).toBe('TASK_FINAL');
    const frozen = await reschedule(running.id, { start_time: iso(p.h + 10), end_time: iso(p.h + 11) });
    expect(frozen.json<{ reason: string }>().reason).toBe('START_TIME_FROZEN');
  });
});

describe('aircraft status', () => {
  it('grounds the aircraft when a reschedule brings a confirmed task within the grounding lead time', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: home.org.id });
    const mechanic = await insertUser(t.db.db, { org_id: home.org.id, role: 'mechanic' });
    const job = await task(aircraft.id, 5000, 5002, { assigned_mechanic_id: mechanic.id });
    const soon = Date.now() + 5 * 60_000;
    const response = await reschedule(job.id, {
      start_time: new Date(soon).toISOString(),
      end_time: new Date(soon + 2 * HOUR).toISOString(),
    });
    expect(response.statusCode, response.body).toBe(200);
    const row = await t.db.db
      .selectFrom('aircraft')
      .select(['status', 'status_source'])
      .where('id', '=', aircraft.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'grounded', status_source: 'automatic' });
  });
});

describe('dry run', () => {
  it('answers the same plan as the real reschedule and writes nothing at all', async () => {
    const { p, a, b, c } = await chain();
    const body = { start_time: iso(p.h + 4), end_time: iso(p.h + 6), cascade: true };
    const before = await footprint([a.id, b.id, c.id]);
    const dry = await reschedule(a.id, { ...body, dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    const plan = dry.json<Plan>();
    expect(plan).toMatchObject({ dry_run: true, change_id: null, blockers: [] });
    expect(await footprint([a.id, b.id, c.id])).toEqual(before);
    expect(await windowOf(a.id)).toEqual([iso(p.h), iso(p.h + 2)]);
    const applied = (await reschedule(a.id, body)).json<Plan>();
    expect(applied.moves).toEqual(plan.moves);
  });

  it('lists what would block, with a 200, instead of refusing', async () => {
    const { p, a, b } = await chain();
    const response = await reschedule(a.id, {
      start_time: iso(p.h + 4),
      end_time: iso(p.h + 6),
      dry_run: true,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<Plan>().blockers).toEqual([
      expect.objectContaining({ task_id: b.id, reason: 'CASCADE_REQUIRED', other_task_id: a.id }),
      expect.objectContaining({ task_id: a.id, reason: 'TASK_OVERLAP', other_task_id: b.id }),
    ]);
  });
});

describe('events and concurrency', () => {
  it('emits task_rescheduled per moved task, with a dedupe key that differs per change', async () => {
    const { p, a, b } = await chain();
    const first = (
      await reschedule(a.id, { start_time: iso(p.h + 2), end_time: iso(p.h + 4), cascade: true })
    ).json<Plan>();
    const second = (
      await reschedule(a.id, { start_time: iso(p.h + 3), end_time: iso(p.h + 5), cascade: true })
    ).json<Plan>();
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select(['aggregate_id', 'dedupe_key', 'payload'])
      .where('event_type', '=', 'task_rescheduled')
      .where('aggregate_id', 'in', [a.id, b.id])
      .execute();
    const keysOfA = events.filter((e) => e.aggregate_id === a.id).map((e) => e.dedupe_key);
    expect(keysOfA.sort()).toEqual(
      [first.change_id, second.change_id].map((id) => `task_rescheduled:${home.org.id}:${a.id}:${id}`).sort(),
    );
    expect(events.filter((e) => e.aggregate_id === b.id)).toHaveLength(2);
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .select('entity_id')
      .where('entity_id', '=', b.id)
      .where('action', '=', 'update')
      .execute();
    expect(audit).toHaveLength(2);
  });

  it('runs two concurrent reschedules of one chain one after the other, leaving every dependency satisfied', async () => {
    const { p, a, b, c } = await chain();
    const responses = await Promise.all([
      reschedule(a.id, { start_time: iso(p.h + 4), end_time: iso(p.h + 6), cascade: true }),
      reschedule(a.id, { start_time: iso(p.h + 10), end_time: iso(p.h + 12), cascade: true }),
    ]);
    for (const r of responses) expect([200, 409], r.body).toContain(r.statusCode);
    expect(responses.some((r) => r.statusCode === 200)).toBe(true);
    const [aw, bw, cw] = await Promise.all([windowOf(a.id), windowOf(b.id), windowOf(c.id)]);
    expect(Date.parse(bw[0]!)).toBeGreaterThanOrEqual(Date.parse(aw[1]!));
    expect(Date.parse(cw[0]!)).toBeGreaterThanOrEqual(Date.parse(bw[1]!));
    const history = await t.db.db
      .selectFrom('task_schedule_changes')
      .select(['task_id', 'new_start_time'])
      .where('task_id', '=', a.id)
      .orderBy('changed_at', 'desc')
      .execute();
    expect(new Date(history[0]!.new_start_time).toISOString()).toBe(aw[0]);
  });

  it('never lets a predecessor moved later and its successor moved earlier both land on each other’s old windows', async () => {
    for (let round = 0; round < 4; round++) {
      // a [0,2) → b on another aircraft [5,7): a moves to [3,5) while b moves to [2,4); each is
      // fine against the other's old window, not against its new one.
      const pa = await plane();
      const pb = await plane();
      const a = await task(pa.id, pa.h, pa.h + 2);
      const b = await task(pb.id, pa.h + 5, pa.h + 7);
      await link(a.id, b.id);
      const responses = await Promise.all([
        reschedule(a.id, { start_time: iso(pa.h + 3), end_time: iso(pa.h + 5) }),
        reschedule(b.id, { start_time: iso(pa.h + 2), end_time: iso(pa.h + 4) }),
      ]);
      for (const r of responses) expect([200, 409], r.body).toContain(r.statusCode);
      const [aw, bw] = await Promise.all([windowOf(a.id), windowOf(b.id)]);
      expect(Date.parse(bw[0]!)).toBeGreaterThanOrEqual(Date.parse(aw[1]!));
    }
  });

  it('keeps an edit of a dependent that races the cascade: both succeed, in either order, and the chain still holds', async () => {
    const { p, a, b, c } = await chain();
    const [edit, moved] = await Promise.all([
      t.request(home.tokens.scheduler, 'PATCH', `/api/v1/maintenance-tasks/${c.id}`, {
        end_time: iso(p.h + 9),
      }),
      reschedule(a.id, { start_time: iso(p.h + 4), end_time: iso(p.h + 6), cascade: true }),
    ]);
    expect(edit.statusCode, edit.body).toBe(200);
    expect(moved.statusCode, moved.body).toBe(200);
    const [bw, cw] = await Promise.all([windowOf(b.id), windowOf(c.id)]);
    expect(bw).toEqual([iso(p.h + 6), iso(p.h + 8)]);
    // Edit first: the cascade moves c's three hours after b. Cascade first: the edit ends c at 9.
    expect([
      [iso(p.h + 8), iso(p.h + 11)],
      [iso(p.h + 8), iso(p.h + 9)],
    ]).toContainEqual(cw);
  });

  it('answers a retry with the same Idempotency-Key with the same change', async () => {
    const { p, a } = await chain();
    const body = { reason: 'slot swap', start_time: iso(p.h + 1), end_time: iso(p.h + 3), cascade: true };
    const headers = { 'idempotency-key': `resched-${a.id}` };
    const url = `/api/v1/maintenance-tasks/${a.id}/reschedule`;
    const first = await t.request(home.tokens.scheduler, 'POST', url, body, headers);
    const again = await t.request(home.tokens.scheduler, 'POST', url, body, headers);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
  });
});

describe('input and isolation', () => {
  it.each([
    ['a blank reason', { reason: '   ' }],
    ['no reason', { reason: undefined }],
    ['an end before the start', { start_time: iso(5), end_time: iso(4) }],
    ['a malformed time', { start_time: 'tomorrow' }],
    ['an unknown field', { priority: 'aog' }],
    ['a non-boolean cascade', { cascade: 'yes' }],
  ])('answers %s with 400 in the envelope', async (_name, patch) => {
    const p = await plane();
    const job = await task(p.id, p.h, p.h + 1);
    const response = await reschedule(job.id, { start_time: iso(p.h + 2), end_time: iso(p.h + 3), ...patch });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation' });
  });

  it('answers 404 for another organization’s task, and 400 for a malformed id', async () => {
    const stranger = await createTenant(t);
    const p = await plane();
    const job = await task(p.id, p.h, p.h + 1);
    const body = { start_time: iso(p.h + 2), end_time: iso(p.h + 3) };
    expect((await reschedule(job.id, body, stranger.tokens.scheduler)).statusCode).toBe(404);
    expect((await reschedule('not-a-uuid', body)).statusCode).toBe(400);
    expect(await windowOf(job.id)).toEqual([iso(p.h), iso(p.h + 1)]);
  });
});
