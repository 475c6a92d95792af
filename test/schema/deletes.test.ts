import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  insertAuditLog,
  insertImport,
  insertRefreshToken,
  insertTask,
  insertUser,
  rejectionOf,
} from '../support/factories.js';
import { insertAircraftDirective, insertDirective } from '../support/directive-factories.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe('hard deletes', () => {
  it('deleting a successor token clears replaced_by but keeps the older token', async () => {
    const successor = await insertRefreshToken(t.db);
    const older = await insertRefreshToken(t.db, { user_id: successor.user_id, replaced_by: successor.id });
    await t.db.deleteFrom('refresh_tokens').where('id', '=', successor.id).execute();
    const row = await t.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('id', '=', older.id)
      .executeTakeFirst();
    expect(row).toMatchObject({ org_id: older.org_id, user_id: older.user_id, replaced_by: null });
  });

  it('deleting a user removes their refresh tokens and idempotency keys', async () => {
    const token = await insertRefreshToken(t.db);
    await t.db
      .insertInto('idempotency_keys')
      .values({
        org_id: token.org_id,
        user_id: token.user_id,
        key: 'k',
        endpoint: 'POST /api/v1/aircraft',
        request_hash: 'h',
        expires_at: new Date(Date.now() + 86_400_000),
      })
      .execute();
    await t.db.deleteFrom('users').where('id', '=', token.user_id).execute();
    const tokens = await t.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('user_id', '=', token.user_id)
      .execute();
    const keys = await t.db
      .selectFrom('idempotency_keys')
      .select('id')
      .where('user_id', '=', token.user_id)
      .execute();
    expect([tokens, keys]).toEqual([[], []]);
  });

  it('deleting an import removes its rows', async () => {
    const job = await insertImport(t.db);
    await t.db
      .insertInto('import_rows')
      .values([1, 2, 3].map((n) => ({ org_id: job.org_id, import_id: job.id, row_number: n, raw: '{}' })))
      .execute();
    await t.db.deleteFrom('imports').where('id', '=', job.id).execute();
    const rows = await t.db.selectFrom('import_rows').select('id').where('import_id', '=', job.id).execute();
    expect(rows).toEqual([]);
  });

  it('an aircraft with tasks cannot be hard-deleted (soft delete it instead)', async () => {
    const task = await insertTask(t.db);
    const error = await rejectionOf(t.db.deleteFrom('aircraft').where('id', '=', task.aircraft_id).execute());
    expect(error).toMatchObject({ code: '23503', constraint: 'maintenance_tasks_aircraft_fkey' });
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'conflict', reason: 'STILL_REFERENCED' });
  });

  it('a user named in the audit log cannot be hard-deleted', async () => {
    const user = await insertUser(t.db);
    await insertAuditLog(t.db, {
      org_id: user.org_id,
      actor_org_id: user.org_id,
      user_id: user.id,
      actor: 'user',
    });
    const error = await rejectionOf(t.db.deleteFrom('users').where('id', '=', user.id).execute());
    expect(error).toMatchObject({ code: '23503', constraint: 'audit_logs_actor_user_fkey' });
  });

  it('deleting a directive removes the aircraft types it applies to', async () => {
    const directive = await insertDirective(t.db, {}, ['A20N', 'B38M']);
    await t.db.deleteFrom('directives').where('id', '=', directive.id).execute();
    const types = await t.db
      .selectFrom('directive_aircraft_types')
      .select('aircraft_type_id')
      .where('directive_id', '=', directive.id)
      .execute();
    expect(types).toEqual([]);
  });

  it('a directive tracked on an aircraft, and that aircraft, cannot be hard-deleted', async () => {
    const tracking = await insertAircraftDirective(t.db);
    for (const statement of [
      t.db.deleteFrom('directives').where('id', '=', tracking.directive_id),
      t.db.deleteFrom('aircraft').where('id', '=', tracking.aircraft_id),
    ]) {
      const error = await rejectionOf(statement.execute());
      expect(error).toMatchObject({ code: '23503' });
      expect(translateDatabaseError(error)).toMatchObject({ kind: 'conflict', reason: 'STILL_REFERENCED' });
    }
  });
});
