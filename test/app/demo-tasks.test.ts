import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TASKS, seedDemoData, seedDemoTasks } from '../../src/app/demo-data.js';
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
  it('schedules one task per demo aircraft once, however often the seed runs, audited as system:seed', async () => {
    const { orgId } = await seedDemoData(uow, async () => 'not-a-real-hash');
    expect(await seedDemoTasks(uow, orgId)).toBe(0);
    const tasks = await uow.repos.tasks.list(orgId, {}, [{ field: 'start_time', direction: 'asc' }], page);
    expect(tasks.map((task) => task.notes)).toEqual(DEMO_TASKS.map((demo) => demo.notes));
    expect(tasks.every((task) => task.state === 'scheduled' && task.startTime.getTime() > Date.now())).toBe(
      true,
    );
    const [aCheck] = tasks;
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

  it('schedules nothing for an organization without the demo fleet', async () => {
    const org = await uow.repos.organizations.insert({ name: 'No fleet' });
    expect(await seedDemoTasks(uow, org.id)).toBe(0);
  });
});
