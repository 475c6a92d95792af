import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_DEPENDENCIES,
  DEMO_TASKS,
  seedDemoData,
  seedDemoDependencies,
  seedDemoTasks,
} from '../../src/app/demo-data.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let uow: PgUnitOfWork;

beforeAll(async () => {
  db = await createTestDatabase();
  uow = new PgUnitOfWork(db.db);
});
afterAll(async () => {
  await db.drop();
});

const page = { limit: 50, offset: 0 };

describe('demo tasks', () => {
  it('schedules the demo tasks once, however often the seed runs, audited as system:seed', async () => {
    const { orgId } = await seedDemoData(uow, async () => 'not-a-real-hash');
    expect(await seedDemoTasks(uow, orgId)).toBe(0);
    const demoNotes = new Set<string | null>(DEMO_TASKS.map((demo) => demo.notes));
    const tasks = (
      await uow.repos.tasks.list(orgId, {}, [{ field: 'start_time', direction: 'asc' }], page)
    ).filter((task) => demoNotes.has(task.notes));
    expect(tasks.map((task) => task.notes).sort()).toEqual([...demoNotes].sort());
    expect(tasks.every((task) => task.state === 'scheduled' && task.startTime.getTime() > Date.now())).toBe(
      true,
    );
    const aCheck = tasks.find((task) => task.notes === 'Demo: A-check with brake inspection');
    expect(aCheck?.programId).toEqual(expect.any(String));
    expect(aCheck?.assignedMechanicId).toEqual(expect.any(String));
    expect(aCheck?.requiredParts.map((part) => part.quantity)).toEqual([1]);
    const actors = await db.db
      .selectFrom('audit_logs')
      .select('actor')
      .distinct()
      .where('entity_type', '=', 'maintenance_task')
      .execute();
    expect(actors).toEqual([{ actor: 'system:seed' }]);
  });

  it('links the C-check’s tasks by dependencies once and shows an AOG task', async () => {
    const { orgId } = await seedDemoData(uow, async () => 'not-a-real-hash');
    expect(await seedDemoDependencies(uow, orgId)).toBe(0);
    const tasks = await uow.repos.tasks.list(orgId, {}, [{ field: 'start_time', direction: 'asc' }], page);
    const id = (notes: string) => tasks.find((task) => task.notes === notes)?.id;
    const links = await db.db
      .selectFrom('task_dependencies')
      .select(['predecessor_id', 'successor_id', 'lag_minutes'])
      .where('org_id', '=', orgId)
      .orderBy('lag_minutes')
      .execute();
    expect(links).toEqual(
      DEMO_DEPENDENCIES.map((d) => ({
        predecessor_id: id(d.predecessor),
        successor_id: id(d.successor),
        lag_minutes: d.lagMinutes,
      })),
    );
    expect(tasks.filter((task) => task.priority === 'aog').map((task) => task.notes)).toEqual([
      'Demo: AOG — bird strike damage assessment, left engine inlet',
    ]);
  });

  it('shows the AOG aircraft grounded by hand, the aircraft in the hangar in maintenance and one still in service', async () => {
    const { orgId } = await seedDemoData(uow, async () => 'not-a-real-hash');
    const aircraft = async (tailNumber: string) =>
      (await uow.repos.aircraft.findByTailNumber(orgId, tailNumber))!;
    const aog = await aircraft('N102DA');
    expect(aog).toMatchObject({ status: 'grounded', statusSource: 'manual' });
    expect(await aircraft('N201DA')).toMatchObject({ status: 'maintenance' });
    expect(await aircraft('N301DA')).toMatchObject({ status: 'operational', statusSource: 'manual' });
    const grounding = await db.db
      .selectFrom('audit_logs')
      .select(['actor', 'action'])
      .where('entity_type', '=', 'aircraft')
      .where('entity_id', '=', aog.id)
      .where(
        sql<boolean>`details->'after'->>'status' = 'grounded' AND details->'before'->>'status' = 'operational'`,
      )
      .execute();
    expect(grounding).toEqual([{ actor: 'system:seed', action: 'update' }]);
  });

  it('schedules nothing for an organization without the demo fleet', async () => {
    const org = await uow.repos.organizations.insert({ name: 'No fleet' });
    expect(await seedDemoTasks(uow, org.id)).toBe(0);
  });
});
