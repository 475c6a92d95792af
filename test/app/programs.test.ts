import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROGRAM_AIRCRAFT, seedDemoData, seedDemoPrograms } from '../../src/app/demo-data.js';
import { mutate } from '../../src/app/mutation.js';
import { recordProgramPerformed } from '../../src/app/programs.js';
import { systemActor } from '../../src/app/actor.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraft, insertOrganization, insertProgram } from '../support/factories.js';

let db: TestDatabase;
let uow: PgUnitOfWork;

beforeAll(async () => {
  db = await createTestDatabase();
  uow = new PgUnitOfWork(db.db);
});
afterAll(async () => {
  await db.drop();
});

const programsOf = (orgId: string) =>
  db.db
    .selectFrom('maintenance_programs')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('deleted_at', 'is', null)
    .orderBy('name')
    .execute();

describe('demo programs', () => {
  it('binds an A-check and an oil change to aircraft N101DA once, however often the seed runs', async () => {
    const seed = () => seedDemoData(uow, async () => 'not-a-real-hash');
    const { orgId } = await seed();
    const existing = await uow.repos.aircraft.findByTailNumber(orgId, DEMO_PROGRAM_AIRCRAFT);
    const aircraftId =
      existing?.id ?? (await insertAircraft(db.db, { org_id: orgId, tail_number: 'N101DA' })).id;
    await seed();
    expect(await seed()).toMatchObject({ created: 0 });
    const programs = await programsOf(orgId);
    expect(programs.map((p) => [p.name, p.interval_type, p.interval_value, p.aircraft_id])).toEqual([
      ['A-check', 'calendar', 120, aircraftId],
      ['Oil change', 'flight_hours', 500, aircraftId],
    ]);
    const audits = await db.db
      .selectFrom('audit_logs')
      .select(['actor', 'action'])
      .where(
        'entity_id',
        'in',
        programs.map((p) => p.id),
      )
      .execute();
    expect(audits).toEqual([
      { actor: 'system:seed', action: 'create' },
      { actor: 'system:seed', action: 'create' },
    ]);
  });

  it('creates nothing in an organization without aircraft N101DA', async () => {
    const org = await insertOrganization(db.db);
    await insertAircraft(db.db, { org_id: org.id, tail_number: 'N202DA' });
    expect(await seedDemoPrograms(uow, org.id)).toBe(0);
    expect(await programsOf(org.id)).toEqual([]);
  });
});

describe('recording a performance (task completion)', () => {
  const record = (orgId: string, programId: string, at: Date) =>
    mutate(uow, { actor: systemActor('test') }, async (repos) => {
      const effects = await recordProgramPerformed(repos, { orgId, programId, at, changeId: randomUUID() });
      return { result: effects, audit: effects.audit, events: effects.events };
    });

  it('copies the aircraft’s counters and the time, audited and evented as a program update', async () => {
    const aircraft = await insertAircraft(db.db, { flight_hours_total: '812.40', cycles_total: 377 });
    const program = await insertProgram(db.db, { aircraft_id: aircraft.id, interval_type: 'flight_hours' });
    const at = new Date('2025-02-03T04:05:06Z');
    const { audit, events } = await record(aircraft.org_id, program.id, at);
    const [stored] = await db.db
      .selectFrom('maintenance_programs')
      .selectAll()
      .where('id', '=', program.id)
      .execute();
    expect(stored).toMatchObject({
      last_performed: at,
      last_performed_flight_hours: '812.40',
      last_performed_cycles: 377,
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'update',
      before: { last_performed_flight_hours: null },
      after: { last_performed_flight_hours: 812.4, next_due: { flight_hours: 842.4, remaining: 30 } },
    });
    expect(events.map((e) => e.type)).toEqual(['program_updated']);
  });

  it('keeps a template’s counters (it has no aircraft) and does nothing for a deleted program', async () => {
    const template = await insertProgram(db.db, { last_performed_cycles: 12 });
    await record(template.org_id, template.id, new Date('2025-01-01T00:00:00Z'));
    const [stored] = await db.db
      .selectFrom('maintenance_programs')
      .selectAll()
      .where('id', '=', template.id)
      .execute();
    expect(stored).toMatchObject({ last_performed_cycles: 12, last_performed_flight_hours: null });
    const gone = await insertProgram(db.db, { deleted_at: new Date() });
    await expect(
      uow.transaction((repos) =>
        recordProgramPerformed(repos, {
          orgId: gone.org_id,
          programId: gone.id,
          at: new Date(),
          changeId: 'x',
        }),
      ),
    ).resolves.toEqual({ audit: [], events: [] });
  });
});
