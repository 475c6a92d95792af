import { afterAll, beforeAll, expect, it } from 'vitest';
import { rangeOf } from '../../src/app/program-generation.js';
import { planGeneration } from '../../src/domain/program-generation.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraft, insertOrganization, insertProgram } from '../support/factories.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const DAY = 86_400_000;
const NOW = new Date('2026-03-10T06:45:00Z');

// The generator's SQL picks candidates, the domain's planGeneration decides: they must agree on
// every program, around every boundary, or a due program would be missed or reported wrongly.
it('selects in SQL exactly the programs the domain rules call due', async () => {
  const org = await insertOrganization(db.db);
  const ids: string[] = [];
  const add = async (
    aircraft: { flight_hours_total?: string; cycles_total?: number; next_due?: Date },
    program: object,
  ) => {
    const plane = await insertAircraft(db.db, { org_id: org.id, ...aircraft });
    ids.push((await insertProgram(db.db, { aircraft_id: plane.id, ...program })).id);
  };
  for (const interval of [1, 10, 30, 365]) {
    for (const lead of [null, 0, 3, 400]) {
      for (const ageDays of [0, interval - 4, interval - 3, interval - 2.5, interval, interval + 1]) {
        await add(
          {},
          {
            interval_value: interval,
            lead_value: lead,
            last_performed: new Date(NOW.getTime() - ageDays * DAY),
          },
        );
      }
      // Never performed: due at the aircraft's next_due, when it has one.
      for (const aheadDays of [-1, 2.5, 3, 3.5, interval]) {
        await add(
          { next_due: new Date(NOW.getTime() + aheadDays * DAY) },
          { interval_value: interval, lead_value: lead },
        );
      }
      for (const [type, counter, last] of [
        ['flight_hours', 'flight_hours_total', 'last_performed_flight_hours'],
        ['cycles', 'cycles_total', 'last_performed_cycles'],
      ] as const) {
        for (const used of [0, interval - 4, interval - 3, interval - 1, interval, interval + 7]) {
          await add(
            { [counter]: type === 'cycles' ? 1000 + used : `${1000 + used}.25` },
            {
              interval_type: type,
              interval_value: interval,
              lead_value: lead,
              [last]: type === 'cycles' ? 1000 : '1000.25',
            },
          );
        }
        await add({}, { interval_type: type, interval_value: interval, lead_value: lead });
      }
    }
  }
  const uow = new PgUnitOfWork(db.db);
  const aircraft = await uow.repos.programGeneration.nextAircraft({ orgId: org.id, limit: 10_000 });
  const candidates = await uow.repos.programGeneration.findCandidates({ now: NOW, range: rangeOf(aircraft) });
  const dueByDomain: string[] = [];
  for (const id of ids) {
    const program = (await uow.repos.programs.findById(org.id, id))!;
    if ('plan' in planGeneration(program, NOW)) dueByDomain.push(id);
  }
  expect(dueByDomain.length).toBeGreaterThan(0);
  expect(dueByDomain.length).toBeLessThan(ids.length);
  expect(candidates.map((p) => p.id).sort()).toEqual(dueByDomain.sort());
});
