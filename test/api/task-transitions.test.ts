import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemActor } from '../../src/app/actor.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  insertAircraft,
  insertComplianceItem,
  insertPartDefinition,
  insertPartItem,
  insertProgram,
  insertReservation,
  insertTask,
  insertTaskPartRequirement,
  setGroundingLeadTime,
} from '../support/factories.js';
import { releaseMechanic } from '../support/qualification-factories.js';

let t: TestApp;
let orgId: string;
let mechanicId: string;
const tokens: Record<'admin' | 'scheduler' | 'mechanic' | 'otherMechanic', string> = {
  admin: '',
  scheduler: '',
  mechanic: '',
  otherMechanic: '',
};

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.createOrg()).id;
  const mechanic = await t.createUser(orgId, 'mechanic');
  mechanicId = mechanic.id;
  tokens.mechanic = await t.tokenFor(mechanic);
  tokens.otherMechanic = await t.tokenFor(await t.createUser(orgId, 'mechanic'));
  tokens.scheduler = await t.tokenFor(await t.createUser(orgId, 'scheduler'));
  tokens.admin = await t.tokenFor(await t.createUser(orgId, 'admin'));
});
afterAll(async () => {
  await t.close();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const fromNow = (ms: number) => new Date(Date.now() + ms);

/** An aircraft of the org with some usage on its counters. */
const plane = (status: 'operational' | 'grounded' | 'maintenance' = 'grounded') =>
  insertAircraft(t.db.db, { org_id: orgId, status, flight_hours_total: '1234.5', cycles_total: 812 });

/** A task on its own aircraft; by default startable now: grounded, assigned, starting in a minute. */
async function task(
  options: {
    state?: 'scheduled' | 'in_progress' | 'completed' | 'cancelled';
    start?: Date;
    end?: Date;
    status?: 'operational' | 'grounded' | 'maintenance';
    mechanic?: string | null;
    notes?: string | null;
    programId?: string;
    aircraftId?: string;
  } = {},
) {
  const aircraftId = options.aircraftId ?? (await plane(options.status ?? 'grounded')).id;
  const start = options.start ?? fromNow(MINUTE);
  const mechanic = options.mechanic === undefined ? mechanicId : options.mechanic;
  // Every test books the same mechanic around now: free them from the tasks of the tests before.
  if (mechanic !== null) await releaseMechanic(t.db.db, mechanic);
  return insertTask(t.db.db, {
    aircraft_id: aircraftId,
    state: options.state ?? 'scheduled',
    start_time: start,
    end_time: options.end ?? new Date(start.getTime() + HOUR),
    assigned_mechanic_id: mechanic,
    notes: options.notes ?? null,
    program_id: options.programId ?? null,
  });
}
/** An in-progress task whose window has passed, ready to complete. */
const finished = (options: Parameters<typeof task>[0] = {}) =>
  task({ state: 'in_progress', start: fromNow(-3 * HOUR), end: fromNow(-HOUR), ...options });

const move = (token: string, id: string, body: Record<string, unknown>) =>
  t.request(token, 'PATCH', `/api/v1/maintenance-tasks/${id}/state`, body);
const row = (id: string) =>
  t.db.db.selectFrom('maintenance_tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

interface GuardCase {
  name: string;
  setup: () => Promise<{ id: string }>;
  as: keyof typeof tokens;
  body: Record<string, unknown>;
  status: number;
  reason: string;
  message?: RegExp;
}

const guards: GuardCase[] = [
  {
    name: 'starting more than 5 minutes early',
    setup: () => task({ start: fromNow(HOUR) }),
    as: 'mechanic',
    body: { new_state: 'in_progress' },
    status: 409,
    reason: 'TOO_EARLY_TO_START',
  },
  {
    // An operational aircraft is grounded by the start itself; `maintenance` is changed by hand only.
    name: 'starting while the aircraft is in maintenance',
    setup: () => task({ status: 'maintenance' }),
    as: 'mechanic',
    body: { new_state: 'in_progress' },
    status: 409,
    reason: 'AIRCRAFT_NOT_GROUNDED',
  },
  {
    name: 'starting without an assigned mechanic',
    setup: () => task({ mechanic: null }),
    as: 'scheduler',
    body: { new_state: 'in_progress' },
    status: 409,
    reason: 'NO_ASSIGNED_MECHANIC',
  },
  {
    name: 'starting when the assigned mechanic was deleted',
    setup: async () => {
      const gone = await t.createUser(orgId, 'mechanic');
      await t.db.db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', gone.id).execute();
      return task({ mechanic: gone.id });
    },
    as: 'scheduler',
    body: { new_state: 'in_progress' },
    status: 409,
    reason: 'NO_ASSIGNED_MECHANIC',
  },
  {
    name: 'a mechanic starting someone else’s task',
    setup: () => task(),
    as: 'otherMechanic',
    body: { new_state: 'in_progress' },
    status: 403,
    reason: 'NOT_ASSIGNED_MECHANIC',
  },
  {
    name: 'starting with a required part not reserved',
    setup: async () => {
      const started = await task();
      await insertTaskPartRequirement(t.db.db, { task_id: started.id, quantity: 1 });
      return started;
    },
    as: 'mechanic',
    body: { new_state: 'in_progress' },
    status: 409,
    reason: 'REQUIRED_PARTS_NOT_RESERVED',
  },
  {
    name: 'completing before end_time',
    setup: () => task({ state: 'in_progress', start: fromNow(-HOUR), end: fromNow(HOUR) }),
    as: 'mechanic',
    body: { new_state: 'completed', notes: 'done' },
    status: 409,
    reason: 'TOO_EARLY_TO_COMPLETE',
  },
  {
    name: 'a mechanic overriding the end time',
    setup: () => task({ state: 'in_progress', start: fromNow(-HOUR), end: fromNow(HOUR) }),
    as: 'mechanic',
    body: { new_state: 'completed', notes: 'done', allow_early_completion: true },
    status: 403,
    reason: 'OVERRIDE_NOT_ALLOWED',
  },
  {
    name: 'completing with a part still reserved',
    setup: async () => {
      const done = await finished();
      await insertReservation(t.db.db, { task_id: done.id });
      return done;
    },
    as: 'mechanic',
    body: { new_state: 'completed', notes: 'done' },
    status: 409,
    reason: 'RESERVATIONS_OPEN',
  },
  {
    name: 'completing with a required part released instead of used',
    setup: async () => {
      const done = await finished();
      const requirement = await insertTaskPartRequirement(t.db.db, { task_id: done.id });
      const item = await insertPartItem(t.db.db, { part_definition_id: requirement.part_definition_id });
      await insertReservation(t.db.db, { task_id: done.id, part_item_id: item.id, state: 'released' });
      return done;
    },
    as: 'mechanic',
    body: { new_state: 'completed', notes: 'done' },
    status: 409,
    reason: 'RESERVATIONS_OPEN',
    message: /0 of 1 used/,
  },
  {
    name: 'completing with compliance items pending',
    setup: async () => {
      const done = await finished();
      await insertComplianceItem(t.db.db, { task_id: done.id });
      await insertComplianceItem(t.db.db, { task_id: done.id, result: 'pass' });
      return done;
    },
    as: 'mechanic',
    body: { new_state: 'completed', notes: 'done' },
    status: 409,
    reason: 'COMPLIANCE_INCOMPLETE',
    message: /2 compliance items are not signed off/,
  },
  {
    name: 'completing without notes',
    setup: () => finished(),
    as: 'mechanic',
    body: { new_state: 'completed' },
    status: 400,
    reason: 'NOTES_REQUIRED',
  },
  {
    name: 'a mechanic cancelling',
    setup: () => task(),
    as: 'mechanic',
    body: { new_state: 'cancelled' },
    status: 403,
    reason: 'CANCEL_NOT_ALLOWED',
  },
  {
    name: 'cancelling 24 hours after start_time',
    setup: () => task({ start: fromNow(-25 * HOUR) }),
    as: 'scheduler',
    body: { new_state: 'cancelled' },
    status: 409,
    reason: 'TOO_LATE_TO_CANCEL',
  },
  {
    name: 'a scheduler overriding the cancel window',
    setup: () => task({ start: fromNow(-25 * HOUR) }),
    as: 'scheduler',
    body: { new_state: 'cancelled', allow_late_cancel: true },
    status: 403,
    reason: 'OVERRIDE_NOT_ALLOWED',
  },
  {
    name: 'reopening a completed task',
    setup: () => task({ state: 'completed' }),
    as: 'admin',
    body: { new_state: 'in_progress' },
    status: 409,
    reason: 'INVALID_TRANSITION',
    message: /from completed to in_progress/,
  },
  {
    name: 'completing a task that never started',
    setup: () => task(),
    as: 'scheduler',
    body: { new_state: 'completed', notes: 'done' },
    status: 409,
    reason: 'INVALID_TRANSITION',
  },
  {
    name: 'moving a task to the state it is in',
    setup: () => task({ state: 'cancelled' }),
    as: 'admin',
    body: { new_state: 'cancelled' },
    status: 409,
    reason: 'INVALID_TRANSITION',
  },
];

describe('every guard answers with its own reason and changes nothing', () => {
  it.each(guards)('$name → $status $reason', async ({ setup, as, body, status, reason, message }) => {
    const { id } = await setup();
    const before = await row(id);
    const response = await move(tokens[as], id, body);
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json()).toMatchObject({ reason });
    if (message) expect(response.json<{ error: string }>().error).toMatch(message);
    expect(await row(id)).toEqual(before);
    const written = await t.db.db.selectFrom('audit_logs').select('id').where('entity_id', '=', id).execute();
    expect(written).toEqual([]);
  });
});

describe('transitions that pass', () => {
  it('the assigned mechanic starts the task once its parts are reserved: version bumped, one audit row and one event', async () => {
    const started = await task();
    const definition = await insertPartDefinition(t.db.db, { org_id: orgId });
    await insertTaskPartRequirement(t.db.db, { task_id: started.id, part_definition_id: definition.id });
    const item = await insertPartItem(t.db.db, { part_definition_id: definition.id });
    await insertReservation(t.db.db, { task_id: started.id, part_item_id: item.id });
    const response = await move(tokens.mechanic, started.id, { new_state: 'in_progress', notes: 'On it' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ state: 'in_progress', version: 2, notes: 'On it' });
    const audits = await t.db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', started.id)
      .execute();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      action: 'state_change',
      entity_version: 2,
      details: { from: 'scheduled', to: 'in_progress' },
    });
    const events = await t.db.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', started.id)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event_type: 'task_state_changed',
      dedupe_key: `task_state_changed:${orgId}:${started.id}:in_progress:2`,
      payload: { data: { state: 'in_progress', previous_state: 'scheduled', version: 2 } },
    });
  });

  it('completion records the work on the program and the aircraft, each audited', async () => {
    const aircraft = await plane();
    const program = await insertProgram(t.db.db, {
      aircraft_id: aircraft.id,
      interval_type: 'flight_hours',
      interval_value: 500,
    });
    const done = await finished({ aircraftId: aircraft.id, programId: program.id });
    await insertReservation(t.db.db, { task_id: done.id, state: 'used' });
    await insertComplianceItem(t.db.db, {
      task_id: done.id,
      result: 'pass',
      sign_off_user_id: mechanicId,
      sign_off_time: new Date(),
    });
    const before = Date.now();
    const response = await move(tokens.mechanic, done.id, {
      new_state: 'completed',
      notes: 'Brakes replaced',
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ state: 'completed', notes: 'Brakes replaced' });
    const updated = await t.db.db
      .selectFrom('maintenance_programs')
      .selectAll()
      .where('id', '=', program.id)
      .executeTakeFirstOrThrow();
    expect(updated.last_performed!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(updated).toMatchObject({ last_performed_flight_hours: '1234.50', last_performed_cycles: 812 });
    const stored = await t.db.db
      .selectFrom('aircraft')
      .selectAll()
      .where('id', '=', aircraft.id)
      .executeTakeFirstOrThrow();
    expect(stored.last_maintenance).toEqual(updated.last_performed);
    const audits = (id: string) =>
      t.db.db.selectFrom('audit_logs').selectAll().where('entity_id', '=', id).execute();
    const performedAt = updated.last_performed!.toISOString();
    const programAudits = await audits(program.id);
    expect(programAudits).toHaveLength(1);
    expect(programAudits[0]).toMatchObject({ action: 'update', details: { performed_at: performedAt } });
    const [maintained, ...statusChanges] = await audits(aircraft.id);
    expect(maintained).toMatchObject({
      action: 'update',
      details: { reason: 'task_completed', task_id: done.id, after: { last_maintenance: performedAt } },
    });
    // The status workflow may add its own row; nothing else touches the aircraft.
    expect(statusChanges.every((row) => row.action === 'state_change')).toBe(true);
  });

  it('completion clears a next_due that the maintenance reached', async () => {
    const done = await finished({ notes: 'Notes written while working' });
    await t.db.db
      .updateTable('aircraft')
      .set({ next_due: fromNow(-2 * HOUR) })
      .where('id', '=', done.aircraft_id)
      .execute();
    const response = await move(tokens.scheduler, done.id, { new_state: 'completed' });
    expect(response.statusCode, response.body).toBe(200);
    const stored = await t.db.db
      .selectFrom('aircraft')
      .selectAll()
      .where('id', '=', done.aircraft_id)
      .executeTakeFirstOrThrow();
    expect(stored.next_due).toBeNull();
    expect(stored.last_maintenance).toBeInstanceOf(Date);
  });

  it('a scheduler completes early with allow_early_completion, and the audit row says so', async () => {
    const early = await task({ state: 'in_progress', start: fromNow(-HOUR), end: fromNow(HOUR) });
    const response = await move(tokens.scheduler, early.id, {
      new_state: 'completed',
      notes: 'Finished early',
      allow_early_completion: true,
    });
    expect(response.statusCode, response.body).toBe(200);
    const [audit] = await t.db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', early.id)
      .execute();
    expect(audit?.details).toMatchObject({ overrides: { allow_early_completion: true } });
  });

  it('cancelling releases the reserved parts but keeps the used ones, each release audited and evented', async () => {
    const cancelled = await task({ state: 'in_progress', start: fromNow(-HOUR) });
    const reserved = await insertReservation(t.db.db, { task_id: cancelled.id });
    const used = await insertReservation(t.db.db, { task_id: cancelled.id, state: 'used' });
    const response = await move(tokens.scheduler, cancelled.id, {
      new_state: 'cancelled',
      notes: 'Aircraft sold',
    });
    expect(response.statusCode, response.body).toBe(200);
    const states = await t.db.db
      .selectFrom('part_reservations')
      .select(['id', 'state'])
      .where('task_id', '=', cancelled.id)
      .execute();
    expect(Object.fromEntries(states.map((r) => [r.id, r.state]))).toEqual({
      [reserved.id]: 'released',
      [used.id]: 'used',
    });
    const audits = await t.db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', reserved.id)
      .execute();
    expect(audits).toEqual([
      expect.objectContaining({ action: 'state_change', entity_type: 'part_reservation' }),
    ]);
    const events = await t.db.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', reserved.id)
      .execute();
    expect(events.map((e) => e.event_type)).toEqual(['part_released']);
  });

  it('an admin cancels late with allow_late_cancel', async () => {
    const late = await task({ start: fromNow(-30 * HOUR) });
    const response = await move(tokens.admin, late.id, { new_state: 'cancelled', allow_late_cancel: true });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ state: 'cancelled', version: 2 });
  });
});

describe('idempotent transitions', () => {
  it('a repeated transition with the same Idempotency-Key replays the answer and changes nothing more', async () => {
    const replayed = await task();
    const headers = { 'idempotency-key': `start-${replayed.id}` };
    const send = () =>
      t.request(
        tokens.mechanic,
        'PATCH',
        `/api/v1/maintenance-tasks/${replayed.id}/state`,
        { new_state: 'in_progress' },
        headers,
      );
    const first = await send();
    const second = await send();
    expect(first.statusCode, first.body).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect((await row(replayed.id)).version).toBe(2);
  });
});

describe('racing transitions', () => {
  it('of two parallel transitions one wins, the other gets 409; the version is bumped once, with one event', async () => {
    const raced = await task();
    const responses = await Promise.all([
      move(tokens.scheduler, raced.id, { new_state: 'cancelled' }),
      move(tokens.admin, raced.id, { new_state: 'cancelled' }),
    ]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const loser = responses.find((r) => r.statusCode === 409)!;
    expect(['CONCURRENT_UPDATE', 'INVALID_TRANSITION']).toContain(loser.json<{ reason: string }>().reason);
    expect(await row(raced.id)).toMatchObject({ state: 'cancelled', version: 2 });
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select('event_type')
      .where('aggregate_id', '=', raced.id)
      .execute();
    expect(events).toEqual([{ event_type: 'task_state_changed' }]);
  });

  it('a transition that read the task before another one committed gets 409 CONCURRENT_UPDATE, never a lost update', async () => {
    const raced = await task();
    // Hold the aircraft so both requests read version 1 and then queue for it.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const blocker = t.db.db.transaction().execute(async (trx) => {
      await sql`SELECT id FROM aircraft WHERE id = ${raced.aircraft_id} FOR UPDATE`.execute(trx);
      await held;
    });
    const requests = [
      move(tokens.mechanic, raced.id, { new_state: 'in_progress' }),
      move(tokens.scheduler, raced.id, { new_state: 'cancelled' }),
    ];
    await vi.waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*) AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(t.db.db);
        expect(Number(rows[0]!.n)).toBe(2);
      },
      { timeout: 10_000, interval: 20 },
    );
    release();
    await blocker;
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(responses.find((r) => r.statusCode === 409)!.json()).toMatchObject({
      reason: 'CONCURRENT_UPDATE',
    });
    expect((await row(raced.id)).version).toBe(2);
  });
});

describe('starting within the start grace', () => {
  it('starts a confirmed task 3 minutes early with a grounding lead time of 0, grounding its aircraft at once', async () => {
    const org = (await t.createOrg()).id;
    await setGroundingLeadTime(t.db.db, org, '0');
    const mechanic = await t.createUser(org, 'mechanic');
    const aircraft = await insertAircraft(t.db.db, { org_id: org, status: 'operational' });
    const start = fromNow(3 * MINUTE);
    const early = await insertTask(t.db.db, {
      aircraft_id: aircraft.id,
      assigned_mechanic_id: mechanic.id,
      start_time: start,
      end_time: new Date(start.getTime() + HOUR),
    });
    // No aircraft-status job has run: the start itself brings the status in line first.
    const response = await move(await t.tokenFor(mechanic), early.id, { new_state: 'in_progress' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ state: 'in_progress' });
    const after = await t.db.db
      .selectFrom('aircraft')
      .selectAll()
      .where('id', '=', aircraft.id)
      .executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'grounded', status_source: 'automatic' });
  });
});

describe('the next occurrence of a program', () => {
  const DAY = 24 * HOUR;
  const tasksOf = (programId: string) =>
    t.db.db
      .selectFrom('maintenance_tasks')
      .selectAll()
      .where('program_id', '=', programId)
      .orderBy('start_time')
      .execute();
  /** A calendar program with a finished task of it, ready to complete. */
  async function programWithFinishedTask(program: { interval_value: number; lead_value?: number }) {
    const aircraft = await plane();
    const { id } = await insertProgram(t.db.db, { aircraft_id: aircraft.id, ...program });
    const done = await finished({ aircraftId: aircraft.id, programId: id, notes: 'Done' });
    return { programId: id, taskId: done.id };
  }

  it('is scheduled in the completion’s transaction, at the program’s next due point, audited under the completer', async () => {
    const { programId, taskId } = await programWithFinishedTask({ interval_value: 30 });
    const response = await move(tokens.mechanic, taskId, { new_state: 'completed' });
    expect(response.statusCode, response.body).toBe(200);
    const performed = (
      await t.db.db
        .selectFrom('maintenance_programs')
        .selectAll()
        .where('id', '=', programId)
        .executeTakeFirstOrThrow()
    ).last_performed!;
    const [done, next] = await tasksOf(programId);
    expect(done).toMatchObject({ id: taskId, state: 'completed' });
    expect(next).toMatchObject({ state: 'scheduled', start_time: new Date(performed.getTime() + 30 * DAY) });
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', next!.id)
      .execute();
    expect(audit.map((row) => [row.actor, row.action, row.request_id])).toEqual([
      ['user:mechanic', 'create', response.headers['x-request-id']],
    ]);
    // Published cause first: the completion and the program's new last performance, then the
    // next occurrence they led to.
    const published = await t.db.db
      .selectFrom('outbox_events')
      .select(['event_type', 'aggregate_id'])
      .where('aggregate_id', 'in', [taskId, programId, next!.id])
      .where('event_type', '!=', 'task_created')
      .orderBy('seq')
      .execute();
    expect(published.slice(-3)).toEqual([
      { event_type: 'task_state_changed', aggregate_id: taskId },
      { event_type: 'program_updated', aggregate_id: programId },
      { event_type: 'program_task_generated', aggregate_id: programId },
    ]);
    const created = await t.db.db
      .selectFrom('outbox_events')
      .select('seq')
      .where('aggregate_id', '=', next!.id)
      .where('event_type', '=', 'task_created')
      .executeTakeFirstOrThrow();
    const completed = await t.db.db
      .selectFrom('outbox_events')
      .select('seq')
      .where('aggregate_id', '=', taskId)
      .where('event_type', '=', 'task_state_changed')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(Number(created.seq)).toBeGreaterThan(Number(completed.seq));
  });

  it('is created exactly once when a completion races the program generator', async () => {
    const generator = t.container.services.programGeneration;
    for (let round = 0; round < 4; round += 1) {
      // A lead longer than the interval: the generator calls the program due the moment it completes.
      const { programId, taskId } = await programWithFinishedTask({ interval_value: 1, lead_value: 2 });
      const [completion] = await Promise.all([
        move(tokens.mechanic, taskId, { new_state: 'completed' }),
        generator.generateDue({ orgId, now: new Date(), actor: systemActor('program-generator') }),
        generator.generateDue({ orgId, programId, now: new Date(), actor: systemActor('program-generator') }),
      ]);
      expect(completion.statusCode, completion.body).toBe(200);
      expect((await tasksOf(programId)).map((task) => task.state)).toEqual(['completed', 'scheduled']);
    }
  });
});
