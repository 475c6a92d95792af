import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DueListService } from '../../src/app/due-list.js';
import { loadConfig } from '../../src/config/config.js';
import type { TrackingStatus } from '../../src/domain/directive.js';
import { becomesOverdue } from '../../src/domain/due-list.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { DIRECTIVE_DUE_TRACKER_ACTOR, directiveDueTrackerJob } from '../../src/jobs/directive-due-tracker.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraftDirective, insertDirective } from '../support/directive-factories.js';
import { aircraftTypeId } from '../support/qualification-factories.js';
import { insertAircraft, insertOrganization } from '../support/factories.js';

let db: TestDatabase;
let service: DueListService;

beforeAll(async () => {
  db = await createTestDatabase();
  service = new DueListService({ uow: new PgUnitOfWork(db.db) });
});
afterAll(async () => {
  await db.drop();
});

const NOW = new Date('2026-06-15T10:30:00Z');
const actor = DIRECTIVE_DUE_TRACKER_ACTOR;
const track = () => service.markOverdue({ actor, now: NOW });

/** A new org with one A20N aircraft (the given counters). */
async function fleet(counters: { flight_hours_total?: string; cycles_total?: number } = {}) {
  const org = await insertOrganization(db.db);
  const aircraft = await insertAircraft(db.db, {
    org_id: org.id,
    aircraft_type_id: await aircraftTypeId(db.db, 'A20N'),
    ...counters,
  });
  return { orgId: org.id, aircraftId: aircraft.id };
}

const statusOf = async (id: string) =>
  await db.db.selectFrom('aircraft_directives').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const eventsOf = (id: string) =>
  db.db
    .selectFrom('outbox_events')
    .selectAll()
    .where('aggregate_id', '=', id)
    .where('event_type', '=', 'directive_overdue')
    .execute();

// The tracker's SQL picks the rows, the domain's becomesOverdue decides: they must agree around
// every boundary (the due day itself, hours and cycles reached exactly, deferrals).
it('turns overdue in SQL exactly the rows the domain rules call overdue', async () => {
  const { orgId, aircraftId } = await fleet({ flight_hours_total: '1000.25', cycles_total: 500 });
  const cases: { id: string; before: Parameters<typeof becomesOverdue>[0] }[] = [];
  const dates = [null, '2026-06-13', '2026-06-14', '2026-06-15', '2026-06-16'];
  const hours = [null, '999.99', '1000.24', '1000.25', '1000.26'];
  const cyclesList = [null, 499, 500, 501];
  const statuses: TrackingStatus[] = ['pending', 'in_progress', 'deferred', 'overdue', 'not_applicable'];
  let n = 0;
  for (const date of dates)
    for (const fh of hours)
      for (const cycles of cyclesList) {
        const status = statuses[n++ % statuses.length]!;
        const deferred = status === 'deferred';
        const due = { date, flightHours: fh === null ? null : Number(fh), cycles };
        // Deferred rows carry the case as their approved limit and a long-past next due.
        if (deferred && date === null && fh === null && cycles === null) continue;
        const directive = await insertDirective(db.db, { org_id: orgId });
        const row = await insertAircraftDirective(db.db, {
          org_id: orgId,
          aircraft_id: aircraftId,
          directive_id: directive.id,
          status,
          status_reason: ['deferred', 'not_applicable'].includes(status) ? 'engineering review' : null,
          next_due_date: deferred ? '2020-01-01' : date,
          next_due_flight_hours: deferred ? null : fh,
          next_due_cycles: deferred ? null : cycles,
          deferred_until_date: deferred ? date : null,
          deferred_until_flight_hours: deferred ? fh : null,
          deferred_until_cycles: deferred ? cycles : null,
        });
        const nothing = { date: null, flightHours: null, cycles: null };
        const before = deferred
          ? { status, nextDue: { date: '2020-01-01', flightHours: null, cycles: null }, deferredUntil: due }
          : { status, nextDue: due, deferredUntil: nothing };
        cases.push({ id: row.id, before });
      }
  await track();
  const now = { date: '2026-06-15', flightHours: 1000.25, cycles: 500 };
  const expected = cases.filter((c) => becomesOverdue(c.before, now)).map((c) => c.id);
  const turned = await db.db
    .selectFrom('aircraft_directives')
    .select('id')
    .where('org_id', '=', orgId)
    .where('status', '=', 'overdue')
    .execute();
  const alreadyOverdue = cases.filter((c) => c.before.status === 'overdue').map((c) => c.id);
  expect(expected.length).toBeGreaterThan(10);
  expect(expected.length).toBeLessThan(cases.length);
  expect(turned.map((r) => r.id).sort()).toEqual([...expected, ...alreadyOverdue].sort());
});

describe('a tracking row past its limit', () => {
  it('turns overdue with an audit row and one directive_overdue event', async () => {
    const { orgId, aircraftId } = await fleet();
    const row = await insertAircraftDirective(db.db, {
      org_id: orgId,
      aircraft_id: aircraftId,
      next_due_date: '2026-06-14',
    });
    expect(await track()).toBeGreaterThanOrEqual(1);
    expect((await statusOf(row.id)).status).toBe('overdue');
    const [event, ...more] = await eventsOf(row.id);
    expect(more).toEqual([]);
    expect(event!.dedupe_key).toBe(`directive_overdue:${orgId}:${row.id}:2026-06-14::`);
    expect(event!.payload).toMatchObject({
      data: { previous_status: 'pending', due: { date: '2026-06-14' }, aircraft_id: aircraftId },
    });
    const audit = await db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor: 'system:directive-due-tracker', action: 'state_change' });
  });

  it('is turned once: a second run changes nothing and writes no second event', async () => {
    const { orgId, aircraftId } = await fleet({ cycles_total: 301 });
    const row = await insertAircraftDirective(db.db, {
      org_id: orgId,
      aircraft_id: aircraftId,
      next_due_date: null,
      next_due_cycles: 300,
    });
    await track();
    const first = await statusOf(row.id);
    await track();
    expect(await statusOf(row.id)).toEqual(first);
    expect(await eventsOf(row.id)).toHaveLength(1);
  });

  it('stays as it is while its directive is cancelled or deleted, or its aircraft deleted', async () => {
    const { orgId, aircraftId } = await fleet();
    const cancelled = await insertDirective(db.db, { org_id: orgId, status: 'cancelled' });
    const deleted = await insertDirective(db.db, { org_id: orgId, deleted_at: new Date() });
    const gone = await insertAircraft(db.db, { org_id: orgId, deleted_at: new Date() });
    const rows = [
      await insertAircraftDirective(db.db, {
        org_id: orgId,
        aircraft_id: aircraftId,
        directive_id: cancelled.id,
      }),
      await insertAircraftDirective(db.db, {
        org_id: orgId,
        aircraft_id: aircraftId,
        directive_id: deleted.id,
      }),
      await insertAircraftDirective(db.db, { org_id: orgId, aircraft_id: gone.id }),
    ];
    await track();
    for (const row of rows) expect((await statusOf(row.id)).status).toBe('pending');
  });
});

describe('a deferred row', () => {
  it('is held to its approved new limit, not its next due', async () => {
    const { orgId, aircraftId } = await fleet();
    const row = await insertAircraftDirective(db.db, {
      org_id: orgId,
      aircraft_id: aircraftId,
      status: 'deferred',
      status_reason: 'parts on order, approved by the authority',
      next_due_date: '2026-05-01',
      deferred_until_date: '2026-07-01',
    });
    await track();
    expect((await statusOf(row.id)).status).toBe('deferred');
  });

  it('turns overdue once the deferral lapses, keeping its own next due and telling the lapsed deferral', async () => {
    const { orgId, aircraftId } = await fleet();
    const row = await insertAircraftDirective(db.db, {
      org_id: orgId,
      aircraft_id: aircraftId,
      status: 'deferred',
      status_reason: 'parts on order',
      next_due_date: '2026-08-01',
      next_due_cycles: 900,
      deferred_until_date: '2026-06-10',
    });
    await track();
    expect(await statusOf(row.id)).toMatchObject({
      status: 'overdue',
      next_due_date: '2026-08-01',
      next_due_cycles: 900,
      deferred_until_date: null,
      status_reason: null,
    });
    const lapsed = { date: '2026-06-10', flight_hours: null, cycles: null, reason: 'parts on order' };
    expect((await eventsOf(row.id))[0]!.payload).toMatchObject({
      data: {
        previous_status: 'deferred',
        next_due: { date: '2026-08-01', cycles: 900 },
        lapsed_deferral: lapsed,
      },
    });
    const audit = await db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({
      before: { status: 'deferred', deferred_until: { date: '2026-06-10' } },
    });
  });
});

it('two trackers running at once turn each row once, with one event each', async () => {
  const { orgId } = await fleet();
  const typeId = await aircraftTypeId(db.db, 'A20N');
  const directive = await insertDirective(db.db, { org_id: orgId });
  const planes = await db.db
    .insertInto('aircraft')
    .values(
      Array.from({ length: 240 }, (_, i) => ({
        org_id: orgId,
        tail_number: `N${i}DT`,
        model: 'A320neo',
        aircraft_type_id: typeId,
      })),
    )
    .returning('id')
    .execute();
  await db.db
    .insertInto('aircraft_directives')
    .values(
      planes.map((plane) => ({
        org_id: orgId,
        aircraft_id: plane.id,
        directive_id: directive.id,
        baseline_date: '2026-01-01',
        baseline_flight_hours: 0,
        baseline_cycles: 0,
        next_due_date: '2026-06-01',
      })),
    )
    .execute();
  const uow = new PgUnitOfWork(db.db);
  const workers = [0, 1].map(() => new DueListService({ uow, overdueBatchSize: 25 }));
  const counts = await Promise.all(workers.map((w) => w.markOverdue({ actor, now: NOW })));
  expect(counts[0]! + counts[1]!).toBe(240);
  const events = await db.db
    .selectFrom('outbox_events')
    .select(({ fn }) => [
      fn.countAll<number>().as('n'),
      fn.count<number>('aggregate_id').distinct().as('rows'),
    ])
    .where('org_id', '=', orgId)
    .where('event_type', '=', 'directive_overdue')
    .executeTakeFirstOrThrow();
  expect(events).toEqual({ n: 240, rows: 240 });
});

it('the worker job runs at start and says how many limits it marked overdue', async () => {
  const { orgId, aircraftId } = await fleet();
  await insertAircraftDirective(db.db, {
    org_id: orgId,
    aircraft_id: aircraftId,
    next_due_date: '2026-06-01',
  });
  const job = directiveDueTrackerJob(service, { everyMs: 15 * 60_000, now: () => NOW });
  expect(job).toMatchObject({ runAtStart: true, schedule: { everyMs: 900_000 } });
  expect(await job.run()).toMatch(/^marked [1-9]\d* directive limit\(s\) overdue$/);
});

it('runs every 15 minutes unless DIRECTIVE_DUE_INTERVAL says otherwise', () => {
  expect(loadConfig({ APP_ENV: 'test' }).directiveDueIntervalMs).toBe(900_000);
  expect(loadConfig({ APP_ENV: 'test', DIRECTIVE_DUE_INTERVAL: '2m' }).directiveDueIntervalMs).toBe(120_000);
  expect(() => loadConfig({ APP_ENV: 'test', DIRECTIVE_DUE_INTERVAL: 'soon' })).toThrow(
    /DIRECTIVE_DUE_INTERVAL/,
  );
});
