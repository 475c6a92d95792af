import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addCalendar,
  effectiveDue,
  isOverdue,
  projectedDueDate,
  withinHorizon,
  type AircraftPoint,
  type Due,
} from '../../src/domain/directive.js';
import { averageDailyUtilisation, programDue, type DueHorizon } from '../../src/domain/due-list.js';
import { nextDue } from '../../src/domain/program.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraftDirective, insertDirective } from '../support/directive-factories.js';
import {
  insertAircraft,
  insertAircraftUsage,
  insertOrganization,
  insertProgram,
} from '../support/factories.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const DAY = 86_400_000;
const NOW = new Date('2026-03-10T06:45:00Z');
const TODAY = '2026-03-10';

/** What the domain says of one item: its due, the aircraft now and its utilisation. */
interface Case {
  id: string;
  due: Due;
  now: AircraftPoint;
  flown: { flightHours: number; cycles: number };
  markedOverdue: boolean;
}

// The due list's one query mirrors nextDue (programs), effectiveDue (directives),
// projectedDueDate, isOverdue and withinHorizon: on a table of aircraft, programs and directive
// limits around every boundary, it must list exactly what the domain lists, projected alike.
it('lists in SQL exactly the items the domain rules put within each horizon, projected alike', async () => {
  const org = await insertOrganization(db.db);
  const cases: Case[] = [];
  const uses = [null, { hours: '2.37', cycles: 1 }, { hours: '9.00', cycles: 4 }];
  for (const [u, use] of uses.entries()) {
    const a = await insertAircraft(db.db, {
      org_id: org.id,
      flight_hours_total: '1000.25',
      cycles_total: 500,
    });
    if (use) {
      for (let i = 0; i < 30; i++) {
        await insertAircraftUsage(db.db, {
          aircraft_id: a.id,
          flight_hours: use.hours,
          cycles: use.cycles,
          recorded_at: new Date(NOW.getTime() - (i * 3 + 0.5) * DAY),
        });
      }
    }
    const [flown] = await db.db
      .selectFrom('aircraft_usage')
      .select(({ fn }) => [fn.sum<string>('flight_hours').as('h'), fn.sum<string>('cycles').as('c')])
      .where('aircraft_id', '=', a.id)
      .execute();
    const point = { date: TODAY, flightHours: 1000.25, cycles: 500 };
    const base = { now: point, flown: { flightHours: Number(flown?.h ?? 0), cycles: Number(flown?.c ?? 0) } };
    const programs = [];
    for (const days of [-40, -31, -30, -29, -24, -1, 0]) {
      programs.push(
        await insertProgram(db.db, {
          aircraft_id: a.id,
          interval_value: 30,
          last_performed: new Date(NOW.getTime() + days * DAY),
        }),
      );
    }
    programs.push(await insertProgram(db.db, { aircraft_id: a.id, interval_value: 30 }));
    for (const last of ['500.00', '900.25', '950.26', '990.00', '1000.25']) {
      programs.push(
        await insertProgram(db.db, {
          aircraft_id: a.id,
          interval_type: 'flight_hours',
          interval_value: 50,
          last_performed_flight_hours: last,
        }),
      );
    }
    for (const last of [440, 479, 480, 481, 499]) {
      programs.push(
        await insertProgram(db.db, {
          aircraft_id: a.id,
          interval_type: 'cycles',
          interval_value: 20,
          last_performed_cycles: last,
        }),
      );
    }
    const uow = new PgUnitOfWork(db.db);
    for (const program of programs) {
      const full = (await uow.repos.programs.findById(org.id, program.id))!;
      cases.push({ id: program.id, due: programDue(nextDue(full)), markedOverdue: false, ...base });
    }
    for (const [i, due] of [
      { next_due_date: addCalendar(TODAY, -1, 'days') },
      { next_due_date: TODAY },
      { next_due_date: addCalendar(TODAY, 7, 'days') },
      { next_due_date: addCalendar(TODAY, 30, 'days') },
      { next_due_date: addCalendar(TODAY, 31, 'days') },
      { next_due_date: null, next_due_flight_hours: '1010.25' },
      { next_due_date: null, next_due_flight_hours: '1050.25', next_due_cycles: 520 },
      { next_due_date: null, next_due_flight_hours: '1100.00' },
      { next_due_date: null, next_due_cycles: 501 },
      { next_due_date: null, next_due_cycles: 530 },
      { next_due_date: addCalendar(TODAY, 90, 'days'), next_due_cycles: 600 },
      { next_due_date: null },
      { status: 'overdue' as const, next_due_date: addCalendar(TODAY, 40, 'days') },
      {
        status: 'deferred' as const,
        status_reason: 'approved',
        next_due_date: TODAY,
        deferred_until_flight_hours: '1020.00',
      },
    ].entries()) {
      const directive = await insertDirective(db.db, { org_id: org.id, reference_number: `R-${u}-${i}` });
      const row = await insertAircraftDirective(db.db, {
        org_id: org.id,
        aircraft_id: a.id,
        directive_id: directive.id,
        ...due,
      });
      const num = (v: string | null) => (v === null ? null : Number(v));
      const tracked = {
        status: row.status,
        nextDue: {
          date: row.next_due_date,
          flightHours: num(row.next_due_flight_hours),
          cycles: row.next_due_cycles,
        },
        deferredUntil: {
          date: row.deferred_until_date,
          flightHours: num(row.deferred_until_flight_hours),
          cycles: row.deferred_until_cycles,
        },
      };
      cases.push({
        id: row.id,
        due: effectiveDue(tracked),
        markedOverdue: row.status === 'overdue',
        ...base,
      });
    }
  }
  const horizons: DueHorizon[] = [
    { days: 30, flightHours: null, cycles: null },
    { days: null, flightHours: 50, cycles: null },
    { days: null, flightHours: null, cycles: 20 },
    { days: 7, flightHours: 10, cycles: 1 },
  ];
  const repo = new PgUnitOfWork(db.db).repos.dueList;
  for (const horizon of horizons) {
    const listed = await repo.dueItems(org.id, { now: NOW, horizon }, { kind: 'batch', limit: 10_000 });
    const expected = cases.flatMap((c) => {
      const projected = projectedDueDate(c.due, c.now, averageDailyUtilisation(c.flown));
      const overdue = c.markedOverdue || isOverdue(c.due, c.now);
      return overdue || withinHorizon(c.due, c.now, projected, horizon) ? [[c.id, projected, overdue]] : [];
    });
    const actual = listed.map((i) => [i.programId ?? i.aircraftDirectiveId, i.projectedDate, i.overdue]);
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.length).toBeLessThan(cases.length);
    expect(actual.sort()).toEqual(expected.sort());
  }
});
