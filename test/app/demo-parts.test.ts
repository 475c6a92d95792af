import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PARTS, seedDemoParts } from '../../src/app/demo-data.js';
import { partDefinitionView } from '../../src/app/parts.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertOrganization } from '../support/factories.js';

let db: TestDatabase;
let uow: PgUnitOfWork;
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  uow = new PgUnitOfWork(db.db);
  orgId = (await insertOrganization(db.db)).id;
});
afterAll(async () => {
  await db.drop();
});

const page = { limit: 50, offset: 0 };

describe('demo parts', () => {
  it('seeds the catalogue with its serialized items once, audited as system:seed', async () => {
    const expected = DEMO_PARTS.length + DEMO_PARTS.reduce((sum, part) => sum + part.serials.length, 0);
    expect(await seedDemoParts(uow, orgId)).toBe(expected);
    expect(await seedDemoParts(uow, orgId)).toBe(0);

    const definitions = await uow.repos.parts.listDefinitions(
      orgId,
      {},
      [{ field: 'name', direction: 'asc' }],
      page,
    );
    expect(definitions.map(partDefinitionView)).toEqual([
      expect.objectContaining({
        name: 'Brake assembly',
        category: 'landing gear',
        available: 3,
        below_min_stock: false,
      }),
      expect.objectContaining({
        name: 'Fire extinguisher cartridge',
        category: 'fire protection',
        available: 2,
        below_min_stock: false,
      }),
      expect.objectContaining({
        name: 'Oil filter',
        category: 'engine',
        available: 3,
        below_min_stock: true,
      }),
      expect.objectContaining({
        name: 'Pitot probe',
        category: 'air data',
        available: 0,
        below_min_stock: true,
      }),
    ]);
    const actors = await db.db
      .selectFrom('audit_logs')
      .select('actor')
      .distinct()
      .where('org_id', '=', orgId)
      .execute();
    expect(actors).toEqual([{ actor: 'system:seed' }]);
  });

  it('adds back only what is missing', async () => {
    const [item] = await uow.repos.parts.listItems(
      orgId,
      { serial: 'BRK-1001' },
      [{ field: 'serial_number', direction: 'asc' }],
      page,
    );
    await db.db
      .updateTable('part_items')
      .set({ deleted_at: new Date() })
      .where('id', '=', item!.id)
      .execute();
    expect(await seedDemoParts(uow, orgId)).toBe(1);
  });
});
