import { sql, type Selectable } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import type { AircraftTable } from '../../src/infra/postgres/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraft, insertTask, rejectionOf } from '../support/factories.js';

let t: TestDatabase;
let aircraft: Selectable<AircraftTable>;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});
beforeEach(async () => {
  aircraft = await insertAircraft(t.db);
});

/** A task on the current test's aircraft from `from` to `to` (hours of 2030-01-01, UTC). */
const book = (from: number, to: number, extra: { state?: 'scheduled' | 'in_progress' } = {}) =>
  insertTask(t.db, {
    aircraft_id: aircraft.id,
    start_time: new Date(Date.UTC(2030, 0, 1, from)),
    end_time: new Date(Date.UTC(2030, 0, 1, to)),
    ...extra,
  });

describe('one aircraft, one active task at a time', () => {
  it('two active tasks on one aircraft cannot overlap', async () => {
    await book(10, 12);
    const error = await rejectionOf(book(11, 13));
    expect(error).toMatchObject({ code: '23P01', constraint: 'maintenance_tasks_no_overlap' });
  });

  it('an overlap reaches the caller as a conflict, not a database error', async () => {
    await book(10, 12);
    const translated = translateDatabaseError(await rejectionOf(book(9, 11)));
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'conflict' });
  });

  it('a task that is in progress still blocks its window', async () => {
    await book(10, 12, { state: 'in_progress' });
    await expect(book(11, 13)).rejects.toMatchObject({ code: '23P01' });
  });

  it('a window may start exactly when the previous one ends', async () => {
    await book(10, 12);
    await book(12, 14);
    const after = await book(8, 10);
    expect(after.state).toBe('scheduled');
  });

  it('the same window on another aircraft is fine', async () => {
    await book(10, 12);
    const other = await insertTask(t.db, {
      org_id: aircraft.org_id,
      start_time: new Date(Date.UTC(2030, 0, 1, 10)),
      end_time: new Date(Date.UTC(2030, 0, 1, 12)),
    });
    expect(other.aircraft_id).not.toBe(aircraft.id);
  });

  it.each(['cancelled', 'completed'] as const)('a %s task frees its window', async (state) => {
    const first = await book(10, 12);
    await t.db.updateTable('maintenance_tasks').set({ state }).where('id', '=', first.id).execute();
    const second = await book(10, 12);
    expect(second.active_window).not.toBeNull();
  });

  it('a soft-deleted task frees its window', async () => {
    const first = await book(10, 12);
    await t.db
      .updateTable('maintenance_tasks')
      .set({ deleted_at: new Date() })
      .where('id', '=', first.id)
      .execute();
    await expect(book(10, 12)).resolves.toMatchObject({ state: 'scheduled' });
  });

  it('a task cannot be moved onto another task’s window', async () => {
    await book(10, 12);
    const later = await book(14, 16);
    const move = t.db
      .updateTable('maintenance_tasks')
      .set({ start_time: new Date(Date.UTC(2030, 0, 1, 11)), end_time: new Date(Date.UTC(2030, 0, 1, 15)) })
      .where('id', '=', later.id)
      .execute();
    await expect(move).rejects.toMatchObject({ code: '23P01', constraint: 'maintenance_tasks_no_overlap' });
  });

  it('a cancelled task cannot be revived into a window taken since', async () => {
    const first = await book(10, 12);
    await t.db
      .updateTable('maintenance_tasks')
      .set({ state: 'cancelled' })
      .where('id', '=', first.id)
      .execute();
    await book(11, 13);
    const revive = t.db
      .updateTable('maintenance_tasks')
      .set({ state: 'scheduled' })
      .where('id', '=', first.id)
      .execute();
    await expect(revive).rejects.toMatchObject({ code: '23P01' });
  });

  it('two schedulers booking the same window at once: exactly one wins', async () => {
    const attempt = () =>
      t.db.transaction().execute(async (tx) => {
        await insertTask(tx, {
          aircraft_id: aircraft.id,
          start_time: new Date(Date.UTC(2030, 0, 1, 10)),
          end_time: new Date(Date.UTC(2030, 0, 1, 12)),
        });
        // Hold the transaction open so the other insert has to wait for this one's outcome.
        await sql`SELECT pg_sleep(0.2)`.execute(tx);
      });
    const results = await Promise.allSettled([attempt(), attempt()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ code: '23P01' });
  });
});

describe('active_window', () => {
  it('is the half-open [start, end) range of a live task, in UTC', async () => {
    const task = await book(10, 12);
    expect(task.active_window).toBe('["2030-01-01 10:00:00+00","2030-01-01 12:00:00+00")');
  });

  it.each([
    ['cancelled', { state: 'cancelled' }],
    ['completed', { state: 'completed' }],
    ['deleted', { deleted_at: new Date() }],
  ] as const)('is empty for a %s task', async (_label, change) => {
    const task = await book(10, 12);
    const row = await t.db
      .updateTable('maintenance_tasks')
      .set(change)
      .where('id', '=', task.id)
      .returning('active_window')
      .executeTakeFirstOrThrow();
    expect(row.active_window).toBeNull();
  });

  it('cannot be written directly', async () => {
    const write =
      sql`UPDATE maintenance_tasks SET active_window = NULL WHERE aircraft_id = ${aircraft.id}`.execute(t.db);
    // 428C9: generated_always — the column can only be computed.
    await expect(write).rejects.toMatchObject({ code: '428C9' });
  });
});
