import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/app/actor.js';
import { ProgramGenerationService } from '../../src/app/program-generation.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { programGeneratorJob } from '../../src/jobs/program-generator.js';
import type { DB } from '../../src/infra/postgres/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraft, insertOrganization, insertProgram, insertTask } from '../support/factories.js';
import { heldTransaction, lockWaiters } from '../support/people.js';

let db: TestDatabase;
let service: ProgramGenerationService;

beforeAll(async () => {
  db = await createTestDatabase();
  service = new ProgramGenerationService({ uow: new PgUnitOfWork(db.db) });
});
afterAll(async () => {
  await db.drop();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-06-15T10:30:00Z');
/** The next full hour after NOW: where an overdue or usage program's task starts. */
const NEXT_SLOT = new Date('2026-06-15T11:00:00Z');
const actor = systemActor('program-generator');

const generate = (orgId: string, now = NOW) => service.generateDue({ orgId, now, actor });

/** A new org with one aircraft (the given counters) and its id. */
async function fleet(counters: { flight_hours_total?: string; cycles_total?: number } = {}) {
  const org = await insertOrganization(db.db);
  await db.db.insertInto('org_policies').values({ org_id: org.id }).execute();
  const aircraft = await insertAircraft(db.db, { org_id: org.id, ...counters });
  return { orgId: org.id, aircraftId: aircraft.id };
}

const tasksOf = (programId: string) =>
  db.db
    .selectFrom('maintenance_tasks')
    .selectAll()
    .where('program_id', '=', programId)
    .orderBy('start_time')
    .execute();

describe('calendar programs', () => {
  it('generate nothing while the due date is further away than the lead', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, {
      aircraft_id: aircraftId,
      interval_value: 30,
      lead_value: 5,
      last_performed: new Date(NOW.getTime() - 10 * DAY),
    });
    expect((await generate(orgId)).generated).toEqual([]);
    expect(await tasksOf(program.id)).toEqual([]);
  });

  it('schedule the task at the due time once it comes within the lead, for the program’s type and duration', async () => {
    const { orgId, aircraftId } = await fleet();
    const lastPerformed = new Date(NOW.getTime() - 27 * DAY);
    const program = await insertProgram(db.db, {
      aircraft_id: aircraftId,
      interval_value: 30, // default lead: 3 days
      last_performed: lastPerformed,
      task_type: 'overhaul',
      task_duration_minutes: 90,
    });
    const { generated } = await generate(orgId);
    const due = new Date(lastPerformed.getTime() + 30 * DAY);
    expect(generated.map((g) => [g.plan.programId, g.plan.dueAt])).toEqual([[program.id, due]]);
    const [task] = await tasksOf(program.id);
    expect(task).toMatchObject({
      state: 'scheduled',
      type: 'overhaul',
      aircraft_id: aircraftId,
      start_time: due,
      end_time: new Date(due.getTime() + 90 * 60_000),
    });
  });

  it('start an overdue program at the next full hour', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, {
      aircraft_id: aircraftId,
      interval_value: 30,
      last_performed: new Date(NOW.getTime() - 40 * DAY),
    });
    await generate(orgId);
    expect((await tasksOf(program.id)).map((t) => t.start_time)).toEqual([NEXT_SLOT]);
  });

  it('start a never-performed program at the next full hour', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, { aircraft_id: aircraftId, interval_value: 365 });
    await generate(orgId);
    expect((await tasksOf(program.id)).map((t) => [t.start_time, t.end_time])).toEqual([
      [NEXT_SLOT, new Date(NEXT_SLOT.getTime() + 8 * HOUR)],
    ]);
  });

  it('schedule a never-performed program’s first task at the aircraft’s next_due, once within the lead', async () => {
    const nextDue = new Date(NOW.getTime() + 20 * DAY + 90 * 60_000);
    const org = await fleet();
    const aircraft = await insertAircraft(db.db, { org_id: org.orgId, next_due: nextDue });
    const program = await insertProgram(db.db, { aircraft_id: aircraft.id, interval_value: 365 }); // lead 36 days
    const far = await insertAircraft(db.db, {
      org_id: org.orgId,
      next_due: new Date(NOW.getTime() + 60 * DAY),
    });
    const later = await insertProgram(db.db, { aircraft_id: far.id, interval_value: 365 });
    const { generated } = await generate(org.orgId);
    expect(generated.map((g) => [g.plan.programId, g.plan.dueAt])).toEqual([[program.id, nextDue]]);
    expect((await tasksOf(program.id)).map((t) => t.start_time)).toEqual([nextDue]);
    expect(await tasksOf(later.id)).toEqual([]);
  });

  it('count a due date exactly at the end of the lead as due', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, {
      aircraft_id: aircraftId,
      interval_value: 30,
      lead_value: 2,
      last_performed: new Date(NOW.getTime() - 28 * DAY),
    });
    await generate(orgId);
    expect(await tasksOf(program.id)).toHaveLength(1);
  });
});

describe.each([
  ['flight_hours', 'flight_hours_total', 'last_performed_flight_hours'],
  ['cycles', 'cycles_total', 'last_performed_cycles'],
] as const)('%s programs', (intervalType, counter, lastCounter) => {
  const setup = async (current: number, last: number | null) => {
    const { orgId, aircraftId } = await fleet({
      [counter]: counter === 'cycles_total' ? current : String(current),
    });
    const program = await insertProgram(db.db, {
      aircraft_id: aircraftId,
      interval_type: intervalType,
      interval_value: 500,
      lead_value: 50,
      [lastCounter]: last,
    });
    return { orgId, program };
  };

  it('generate nothing while more than the lead is left on the aircraft’s counter', async () => {
    const { orgId, program } = await setup(1049, 600);
    expect((await generate(orgId)).generated).toEqual([]);
    expect(await tasksOf(program.id)).toEqual([]);
  });

  it('generate a task at the next full hour once the counter comes within the lead', async () => {
    const { orgId, program } = await setup(1050, 600);
    const { generated } = await generate(orgId);
    expect(generated.map((g) => g.plan.remaining)).toEqual([50]);
    expect((await tasksOf(program.id)).map((t) => t.start_time)).toEqual([NEXT_SLOT]);
  });

  it('generate a task for an overdue program, showing the overrun', async () => {
    const { orgId, program } = await setup(1200, 600);
    const { generated } = await generate(orgId);
    expect(generated.map((g) => g.plan.remaining)).toEqual([-100]);
    expect(await tasksOf(program.id)).toHaveLength(1);
  });

  it('generate a task for a program never performed (no counters of a last performance)', async () => {
    const { orgId, program } = await setup(10, null);
    await generate(orgId);
    expect(await tasksOf(program.id)).toHaveLength(1);
  });
});

describe('one active task per program', () => {
  it('never generates a second task while one is scheduled or in progress', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, { aircraft_id: aircraftId });
    await insertTask(db.db, { aircraft_id: aircraftId, program_id: program.id, state: 'in_progress' });
    expect((await generate(orgId)).generated).toEqual([]);
    const [first] = await tasksOf(program.id);
    await db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'scheduled' })
      .where('id', '=', first!.id)
      .execute();
    expect((await generate(orgId)).generated).toEqual([]);
    expect(await tasksOf(program.id)).toHaveLength(1);
  });

  it('generates the next task once the active one is completed and the program is due again', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, { aircraft_id: aircraftId, interval_value: 30 });
    await generate(orgId);
    const [first] = await tasksOf(program.id);
    await db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'completed' })
      .where('id', '=', first!.id)
      .execute();
    // Completion records the performance; 28 days later the program is within its 3-day lead again.
    await db.db
      .updateTable('maintenance_programs')
      .set({ last_performed: NOW })
      .where('id', '=', program.id)
      .execute();
    expect((await generate(orgId, new Date(NOW.getTime() + 20 * DAY))).generated).toEqual([]);
    const later = new Date(NOW.getTime() + 28 * DAY);
    expect((await generate(orgId, later)).generated).toHaveLength(1);
    expect((await tasksOf(program.id)).map((t) => t.state)).toEqual(['completed', 'scheduled']);
  });

  it('creates exactly one task per due program when two generators run at once', async () => {
    const org = await fleet();
    const programs = [];
    for (let i = 0; i < 6; i += 1) {
      const aircraft = await insertAircraft(db.db, { org_id: org.orgId });
      for (let j = 0; j < 3; j += 1) programs.push(await insertProgram(db.db, { aircraft_id: aircraft.id }));
    }
    const runs = await Promise.all([generate(org.orgId), generate(org.orgId), generate(org.orgId)]);
    expect(runs.flatMap((run) => run.generated)).toHaveLength(programs.length);
    const counts = await db.db
      .selectFrom('maintenance_tasks')
      .select(['program_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('org_id', '=', org.orgId)
      .groupBy('program_id')
      .execute();
    expect(counts).toHaveLength(programs.length);
    expect(counts.every((row) => Number(row.n) === 1)).toBe(true);
  });
});

describe('changes made while a run waits for an aircraft', () => {
  /**
   * Starts a run while another transaction holds the aircraft (as a task's completion does), makes
   * `change` in that transaction once the run waits for the lock, then lets both finish.
   */
  async function runDuringChange(
    orgId: string,
    aircraftId: string,
    change: (trx: Transaction<DB>) => Promise<unknown>,
  ) {
    let holder!: Transaction<DB>;
    const held = await heldTransaction(db.db, async (trx) => {
      holder = trx;
      await sql`SELECT 1 FROM aircraft WHERE id = ${aircraftId} FOR NO KEY UPDATE`.execute(trx);
    });
    const run = generate(orgId);
    try {
      await lockWaiters(db.db, 1);
      await change(holder);
    } finally {
      // Whatever happened, let the run go on, so a failure shows as itself rather than a hang.
      held.release();
      await held.done;
    }
    return run;
  }

  it.each([
    [
      'a program performed',
      (trx: Transaction<DB>, ids: { orgId: string; programId: string }) =>
        trx.updateTable('maintenance_programs').set({ last_performed: NOW }).where('id', '=', ids.programId),
    ],
    [
      'a program deleted',
      (trx: Transaction<DB>, ids: { orgId: string; programId: string }) =>
        trx.updateTable('maintenance_programs').set({ deleted_at: NOW }).where('id', '=', ids.programId),
    ],
    [
      'the program of an organization deleted',
      (trx: Transaction<DB>, ids: { orgId: string; programId: string }) =>
        trx.updateTable('organizations').set({ deleted_at: NOW }).where('id', '=', ids.orgId),
    ],
  ])('makes no task for %s while the run waited for its aircraft', async (_, change) => {
    const { orgId, aircraftId } = await fleet();
    // Performed now, a 30-day program is not due again for weeks.
    const program = await insertProgram(db.db, { aircraft_id: aircraftId, interval_value: 30 });
    const result = await runDuringChange(orgId, aircraftId, (trx) =>
      change(trx, { orgId, programId: program.id }).execute(),
    );
    expect(result.generated).toEqual([]);
    expect(await tasksOf(program.id)).toEqual([]);
  });

  it('plans from the aircraft’s counters as they were when the lock was granted', async () => {
    const { orgId, aircraftId } = await fleet({ flight_hours_total: '1060' });
    const program = await insertProgram(db.db, {
      aircraft_id: aircraftId,
      interval_type: 'flight_hours',
      interval_value: 500,
      lead_value: 50,
      last_performed_flight_hours: 600,
    });
    const result = await runDuringChange(orgId, aircraftId, (trx) =>
      trx.updateTable('aircraft').set({ flight_hours_total: '1090' }).where('id', '=', aircraftId).execute(),
    );
    // Read before the lock, 40 hours were left; the task says what was left once it was placed.
    expect(result.generated.map((g) => g.plan.remaining)).toEqual([10]);
    expect(await tasksOf(program.id)).toHaveLength(1);
  });

  it('makes no second task for a program whose task was planned while the run waited', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, { aircraft_id: aircraftId });
    const result = await runDuringChange(orgId, aircraftId, (trx) =>
      trx
        .insertInto('maintenance_tasks')
        .values({
          org_id: orgId,
          aircraft_id: aircraftId,
          program_id: program.id,
          type: 'inspection',
          start_time: NEXT_SLOT,
          end_time: new Date(NEXT_SLOT.getTime() + HOUR),
        })
        .execute(),
    );
    expect(result.generated).toEqual([]);
    expect(await tasksOf(program.id)).toHaveLength(1);
  });
});

describe('windows taken by other tasks', () => {
  it('moves the task to the aircraft’s next free window and says so', async () => {
    const { orgId, aircraftId } = await fleet();
    const busyUntil = new Date(NEXT_SLOT.getTime() + 5 * HOUR);
    await insertTask(db.db, { aircraft_id: aircraftId, start_time: NOW, end_time: busyUntil });
    const program = await insertProgram(db.db, { aircraft_id: aircraftId });
    const { generated } = await generate(orgId);
    expect(generated.map((g) => [g.plan.startTime, g.task.startTime])).toEqual([[NEXT_SLOT, busyUntil]]);
    expect((await tasksOf(program.id)).map((t) => t.start_time)).toEqual([busyUntil]);
  });

  it('places several due programs of one aircraft one after another in one run', async () => {
    const { orgId, aircraftId } = await fleet();
    const a = await insertProgram(db.db, { aircraft_id: aircraftId, task_duration_minutes: 60 });
    const b = await insertProgram(db.db, { aircraft_id: aircraftId, task_duration_minutes: 120 });
    const { generated } = await generate(orgId);
    expect(generated).toHaveLength(2);
    const [first] = await tasksOf(a.id);
    const [second] = await tasksOf(b.id);
    expect([first!.start_time, second!.start_time]).toEqual([
      NEXT_SLOT,
      new Date(NEXT_SLOT.getTime() + HOUR),
    ]);
  });
});

describe('what generates', () => {
  it('skips the programs of a deleted organization in a run over every organization', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, { aircraft_id: aircraftId });
    await db.db.updateTable('organizations').set({ deleted_at: NOW }).where('id', '=', orgId).execute();
    await service.generateDue({ now: NOW, actor });
    expect(await tasksOf(program.id)).toEqual([]);
  });

  it('skips templates, deleted programs and programs of deleted aircraft', async () => {
    const { orgId, aircraftId } = await fleet();
    await insertProgram(db.db, { org_id: orgId });
    await insertProgram(db.db, { aircraft_id: aircraftId, deleted_at: NOW });
    const gone = await insertAircraft(db.db, { org_id: orgId, deleted_at: NOW });
    await insertProgram(db.db, { aircraft_id: gone.id });
    expect((await generate(orgId)).generated).toEqual([]);
  });

  it('audits each task as the generator and records task_created and program_task_generated with it', async () => {
    const { orgId, aircraftId } = await fleet();
    const program = await insertProgram(db.db, { aircraft_id: aircraftId });
    await generate(orgId);
    const [task] = await tasksOf(program.id);
    const audit = await db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', task!.id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'system:program-generator', user_id: null, action: 'create' });
    expect(audit[0]!.details).toMatchObject({ generated: { program_id: program.id, moved: false } });
    const events = await db.db
      .selectFrom('outbox_events')
      .select(['event_type', 'dedupe_key', 'aggregate_id'])
      .where('org_id', '=', orgId)
      .orderBy('event_type')
      .execute();
    expect(events).toEqual([
      {
        event_type: 'program_task_generated',
        dedupe_key: `program_task_generated:${orgId}:${program.id}:${task!.id}`,
        aggregate_id: program.id,
      },
      { event_type: 'task_created', dedupe_key: `task_created:${orgId}:${task!.id}`, aggregate_id: task!.id },
    ]);
  });
});

describe('the worker job', () => {
  it('generates for every organization at once and reports the count', async () => {
    const one = await fleet();
    const two = await fleet();
    const p1 = await insertProgram(db.db, { aircraft_id: one.aircraftId });
    const p2 = await insertProgram(db.db, { aircraft_id: two.aircraftId });
    const job = programGeneratorJob(service, { everyMs: 6 * HOUR, now: () => NOW });
    expect(job).toMatchObject({
      name: 'program-generator',
      runAtStart: true,
      schedule: { everyMs: 6 * HOUR },
    });
    expect(await job.run()).toMatch(/^generated \d+ task\(s\) for due programs/);
    expect(await tasksOf(p1.id)).toHaveLength(1);
    expect(await tasksOf(p2.id)).toHaveLength(1);
    expect(await job.run()).toBe('generated 0 task(s) for due programs');
  });

  it('places every due program of aircraft in several organizations in one run over all of them, one after another', async () => {
    const fleets = [await fleet(), await fleet()];
    const programs = [];
    for (const { aircraftId } of fleets) {
      for (const minutes of [60, 120, 30]) {
        programs.push(
          await insertProgram(db.db, { aircraft_id: aircraftId, task_duration_minutes: minutes }),
        );
      }
    }
    // Batches of two aircraft, so the run takes several rounds, and batches (ranges) span organizations.
    const small = new ProgramGenerationService({ uow: new PgUnitOfWork(db.db), batchSize: 2 });
    await small.generateDue({ now: NOW, actor, summaryOnly: true });
    for (const { aircraftId } of fleets) {
      const tasks = await db.db
        .selectFrom('maintenance_tasks')
        .select(['start_time', 'end_time'])
        .where('aircraft_id', '=', aircraftId)
        .orderBy('start_time')
        .execute();
      expect(tasks.map((task) => [task.start_time, task.end_time])).toEqual([
        [NEXT_SLOT, new Date(NEXT_SLOT.getTime() + HOUR)],
        [new Date(NEXT_SLOT.getTime() + HOUR), new Date(NEXT_SLOT.getTime() + 3 * HOUR)],
        [new Date(NEXT_SLOT.getTime() + 3 * HOUR), new Date(NEXT_SLOT.getTime() + 3.5 * HOUR)],
      ]);
    }
    for (const program of programs) expect(await tasksOf(program.id)).toHaveLength(1);
  });

  it('pages through more due programs than one batch holds', async () => {
    const small = new ProgramGenerationService({ uow: new PgUnitOfWork(db.db), batchSize: 2 });
    const { orgId } = await fleet();
    const programs = [];
    for (let i = 0; i < 5; i += 1) {
      const aircraft = await insertAircraft(db.db, { org_id: orgId });
      programs.push(await insertProgram(db.db, { aircraft_id: aircraft.id }));
    }
    const { generated } = await small.generateDue({ orgId, now: NOW, actor });
    expect(generated.map((g) => g.plan.programId).sort()).toEqual(programs.map((p) => p.id).sort());
  });

  it('counts the tasks of a summary-only run (the worker’s) instead of listing them', async () => {
    const { orgId } = await fleet();
    const aircraft = await insertAircraft(db.db, { org_id: orgId });
    const programs = [await insertProgram(db.db, { aircraft_id: aircraft.id })];
    programs.push(await insertProgram(db.db, { aircraft_id: aircraft.id }));
    const result = await service.generateDue({ orgId, now: NOW, actor, summaryOnly: true });
    expect(result.generated).toEqual([]);
    // Both programs are due now: the second task cannot share the first's window and is moved.
    expect(result.counts).toEqual({ generated: 2, moved: 1 });
    for (const program of programs) expect(await tasksOf(program.id)).toHaveLength(1);
  });

  it('with several batches at once, every due program still gets exactly one task and no windows overlap', async () => {
    const parallel = new ProgramGenerationService({
      uow: new PgUnitOfWork(db.db),
      batchSize: 2,
      concurrency: 3,
    });
    const { orgId } = await fleet();
    const programs = [];
    for (let i = 0; i < 7; i += 1) {
      const aircraft = await insertAircraft(db.db, { org_id: orgId });
      for (let k = 0; k < 2; k += 1) programs.push(await insertProgram(db.db, { aircraft_id: aircraft.id }));
    }
    const { generated } = await parallel.generateDue({ orgId, now: NOW, actor });
    expect(generated.map((g) => g.plan.programId).sort()).toEqual(programs.map((p) => p.id).sort());
    for (const program of programs) expect(await tasksOf(program.id)).toHaveLength(1);
    // Two tasks of one aircraft never share time: the second was moved to the next free window.
    const byAircraft = new Map<string, (typeof generated)[number]['task'][]>();
    for (const { task } of generated)
      byAircraft.set(task.aircraftId, [...(byAircraft.get(task.aircraftId) ?? []), task]);
    expect(byAircraft.size).toBe(7);
    for (const [first, second] of byAircraft.values()) {
      expect(second!.startTime >= first!.endTime || first!.startTime >= second!.endTime).toBe(true);
    }
  });
});
