import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraft, insertPartItem, rejectionOf } from '../support/factories.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const DAY = 86_400_000;
const fromNow = (ms: number) => new Date(Date.now() + ms);

/** Lets an item's expiry pass, as time would, behind the trigger that guards explicit changes. */
async function expire(itemId: string): Promise<void> {
  await t.db.transaction().execute(async (tx) => {
    await sql`ALTER TABLE part_items DISABLE TRIGGER part_items_expiry_in_future`.execute(tx);
    await tx
      .updateTable('part_items')
      .set({ expiry_date: fromNow(-DAY) })
      .where('id', '=', itemId)
      .execute();
    await sql`ALTER TABLE part_items ENABLE TRIGGER part_items_expiry_in_future`.execute(tx);
  });
}

describe('part item expiry', () => {
  it('a part item cannot be created already expired', async () => {
    const error = await rejectionOf(insertPartItem(t.db, { expiry_date: fromNow(-DAY) }));
    expect(error).toMatchObject({
      code: '23514',
      constraint: 'part_items_expiry_in_future',
      column: 'expiry_date',
    });
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'validation' });
  });

  it('a part item can be created with a future expiry or none', async () => {
    const fresh = await insertPartItem(t.db, { expiry_date: fromNow(DAY) });
    const forever = await insertPartItem(t.db);
    expect(fresh.status).toBe('in_stock');
    expect(forever.expiry_date).toBeNull();
  });

  it('an expiry cannot be moved into the past', async () => {
    const item = await insertPartItem(t.db, { expiry_date: fromNow(DAY) });
    const backdate = t.db
      .updateTable('part_items')
      .set({ expiry_date: fromNow(-1000) })
      .where('id', '=', item.id)
      .execute();
    await expect(backdate).rejects.toMatchObject({
      code: '23514',
      constraint: 'part_items_expiry_in_future',
    });
  });

  it('an expired item can still be disposed', async () => {
    const item = await insertPartItem(t.db, { expiry_date: fromNow(DAY) });
    await expire(item.id);
    const disposed = await t.db
      .updateTable('part_items')
      .set({ status: 'disposed' })
      .where('id', '=', item.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(disposed.status).toBe('disposed');
  });

  it('an expired item can get a new expiry in the future', async () => {
    const item = await insertPartItem(t.db, { expiry_date: fromNow(DAY) });
    await expire(item.id);
    const extended = fromNow(365 * DAY);
    const row = await t.db
      .updateTable('part_items')
      .set({ expiry_date: extended })
      .where('id', '=', item.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(row.expiry_date).toEqual(extended);
  });
});

describe('updated_at', () => {
  it('an update moves updated_at to the time of the change', async () => {
    const aircraft = await insertAircraft(t.db);
    const before = await sql<{ now: Date }>`SELECT now() AS now`.execute(t.db);
    const row = await t.db
      .updateTable('aircraft')
      .set({ model: 'A321neo' })
      .where('id', '=', aircraft.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(before.rows[0]!.now.getTime());
    expect(row.updated_at.getTime()).toBeGreaterThan(aircraft.updated_at.getTime());
    expect(row.created_at).toEqual(aircraft.created_at);
  });

  it('an update that sets updated_at itself keeps that value (fake clocks win)', async () => {
    const aircraft = await insertAircraft(t.db);
    const clock = new Date('2001-01-01T00:00:00Z');
    const row = await t.db
      .updateTable('aircraft')
      .set({ model: 'A321', updated_at: clock })
      .where('id', '=', aircraft.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(row.updated_at).toEqual(clock);
  });

  it('every table with updated_at has the trigger that maintains it', async () => {
    const { rows } = await sql<{ table_name: string; has_trigger: boolean }>`
      SELECT c.table_name,
             EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid
                      WHERE g.tgrelid = format('public.%I', c.table_name)::regclass
                        AND p.proname = 'amss_touch_updated_at' AND NOT g.tgisinternal) AS has_trigger
        FROM information_schema.columns c
       WHERE c.table_schema = 'public' AND c.column_name = 'updated_at'
       ORDER BY c.table_name`.execute(t.db);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((r) => !r.has_trigger)).toEqual([]);
  });
});
