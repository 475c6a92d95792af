import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_PROCESSOR_ACTOR } from '../../src/app/imports.js';
import { applyPartsBatch } from '../../src/app/import-parts.js';
import type { CheckedRow } from '../../src/app/import-rows.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The bulk path of parts imports on its own: which rows it applies together, which it refuses
// and which it hands back to go row by row. test/api/imports.test.ts compares what it records
// with what the REST requests record.

let db: TestDatabase;
let uow: PgUnitOfWork;

beforeAll(async () => {
  db = await createTestDatabase();
  uow = new PgUnitOfWork(db.db);
});
afterAll(async () => {
  await db.drop();
});

const rows = (...values: Record<string, unknown>[]): CheckedRow[] =>
  values.map((value, i) => ({ id: `row-${i + 1}`, rowNumber: i + 1, value }));

/** Runs one batch in `orgId` and answers its outcome by row number. */
async function applyBatch(orgId: string, batch: CheckedRow[]) {
  const outcome = await uow.transaction((repos) =>
    applyPartsBatch(
      repos,
      orgId,
      batch,
      () => ({ actor: IMPORT_PROCESSOR_ACTOR, request: { requestId: 'import:test' } }),
      new Date(),
    ),
  );
  return {
    applied: outcome.applied.map(({ row, outcome: what }) => [row.rowNumber, what]),
    refused: outcome.refused.map(({ row, error }) => [row.rowNumber, error.reason]),
    oneByOne: outcome.oneByOne.map((row) => row.rowNumber),
  };
}

const newOrg = async (name: string) => (await uow.repos.organizations.insert({ name })).id;

const stockOf = async (orgId: string) =>
  (
    await uow.repos.parts.listDefinitions(orgId, {}, [{ field: 'name', direction: 'asc' }], {
      limit: 50,
      offset: 0,
    })
  ).map((d) => [d.name, d.stock.inStock]);

describe('applying parts rows together', () => {
  it('creates definitions once and every item of them in one batch, counting the stock item by item', async () => {
    const orgId = await newOrg('Bulk parts');
    const result = await applyBatch(
      orgId,
      rows(
        { name: 'Brake', category: 'gear', reorder_point: 1, serial_number: 'B-1' },
        { name: 'Brake', category: 'gear', serial_number: 'B-2' },
        { name: 'Brake', category: 'gear', serial_number: 'B-3', status: 'used' },
        { name: 'Seat', category: 'cabin' },
      ),
    );
    expect(result).toEqual({
      applied: [
        [1, 'created'],
        [2, 'created'],
        [3, 'created'],
        [4, 'created'],
      ],
      refused: [],
      oneByOne: [],
    });
    expect(await stockOf(orgId)).toEqual([
      ['Brake', 2],
      ['Seat', 0],
    ]);
    const events = await db.db
      .selectFrom('outbox_events')
      .select('event_type')
      .where('org_id', '=', orgId)
      .where('event_type', 'like', 'part_stock%')
      .execute();
    // Out of stock to 1 (at the reorder point: still low), then 2: replenished once.
    expect(events.map((e) => e.event_type)).toEqual(['part_stock_replenished']);
  });

  it('refuses a serial number of another definition without creating the definition of the row', async () => {
    const orgId = await newOrg('Taken serials');
    await applyBatch(
      orgId,
      rows(
        { name: 'Pump', category: 'hydraulics', serial_number: 'P-1' },
        { name: 'Pump', category: 'hydraulics', serial_number: 'P-2' },
      ),
    );
    const result = await applyBatch(
      orgId,
      rows(
        { name: 'Valve', category: 'hydraulics', serial_number: 'P-1' },
        { name: 'Pump', category: 'hydraulics', serial_number: 'P-1' },
        { name: 'Filter', category: 'engine', serial_number: 'P-1' },
        { name: 'Filter', category: 'engine' },
      ),
    );
    // P-1 is named three times in the batch: those definitions go row by row, in file order.
    expect(result.oneByOne).toEqual([1, 2, 3, 4]);

    const once = await applyBatch(
      orgId,
      rows(
        { name: 'Valve', category: 'hydraulics', serial_number: 'P-1' },
        { name: 'Valve', category: 'hydraulics', serial_number: 'V-1' },
        { name: 'Gasket', category: 'engine', serial_number: 'P-2' },
      ),
    );
    expect(once).toEqual({
      applied: [[2, 'created']],
      refused: [
        [1, 'SERIAL_TAKEN'],
        [3, 'SERIAL_TAKEN'],
      ],
      oneByOne: [],
    });
    expect(await stockOf(orgId)).toEqual([
      ['Pump', 2],
      ['Valve', 1],
    ]);
  });

  it('hands back every row of a definition whose rows change one of its items', async () => {
    const orgId = await newOrg('Changed items');
    await applyBatch(orgId, rows({ name: 'Hose', category: 'hydraulics', serial_number: 'H-1' }));
    const result = await applyBatch(
      orgId,
      rows(
        { name: 'Hose', category: 'hydraulics', serial_number: 'H-2' },
        { name: 'Hose', category: 'hydraulics', serial_number: 'H-1', status: 'disposed' },
        { name: 'Hose', category: 'hydraulics', serial_number: 'H-1', status: 'in_stock' },
        { name: 'Lamp', category: 'cabin', serial_number: 'L-1' },
      ),
    );
    expect(result.oneByOne).toEqual([1, 2, 3]);
    expect(result.applied).toEqual([[4, 'created']]);
  });

  it('answers an unchanged row as unchanged and writes nothing for it', async () => {
    const orgId = await newOrg('Unchanged');
    const row = { name: 'Wiper', category: 'cockpit', min_stock_level: 2, serial_number: 'W-1' };
    await applyBatch(orgId, rows(row));
    const audit = async () =>
      (await db.db.selectFrom('audit_logs').select('id').where('org_id', '=', orgId).execute()).length;
    const before = await audit();
    const raised = { name: 'Wiper', category: 'cockpit', min_stock_level: 3 };
    expect(await applyBatch(orgId, rows(row, raised))).toEqual({
      applied: [
        [1, 'unchanged'],
        [2, 'updated'],
      ],
      refused: [],
      oneByOne: [],
    });
    expect(await audit()).toBe(before + 1);
  });
});
