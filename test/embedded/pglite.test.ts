import { NO_MIGRATIONS, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import { IN_MEMORY, openEmbeddedDatabase } from '../../src/infra/embedded/pglite.js';
import type { DatabaseHandle } from '../../src/infra/postgres/database.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import {
  assertMigrationsSucceeded,
  createMigrator,
  migrateToLatest,
} from '../../src/infra/postgres/migrator.js';
import {
  insertAircraft,
  insertAuditLog,
  insertComplianceItem,
  insertOrganization,
  insertTask,
  insertUser,
  rejectionOf,
} from '../support/factories.js';

// PGlite takes seconds to start and hundreds of MB, so the whole file shares one instance.
let handle: DatabaseHandle;
let applied: string[];
beforeAll(async () => {
  handle = await openEmbeddedDatabase(IN_MEMORY);
  applied = await migrateToLatest(handle.db);
}, 60_000);
afterAll(async () => {
  await handle?.close();
}, 60_000);

const schemaObjects = async () => {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname NOT LIKE 'amss\\_migrations%'
    UNION ALL SELECT t.typname FROM pg_type t
     WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e'
    UNION ALL SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace`.execute(
    handle.db,
  );
  return rows.map((r) => r.name);
};

describe('embedded PostgreSQL (PGlite)', () => {
  it('applies every migration, rolls all of them back and applies them again', async () => {
    expect(applied.length).toBeGreaterThanOrEqual(4);
    assertMigrationsSucceeded(await createMigrator(handle.db).migrateTo(NO_MIGRATIONS));
    expect(await schemaObjects()).toEqual([]);
    expect(await migrateToLatest(handle.db)).toEqual(applied);
    expect(await schemaObjects()).toContain('maintenance_tasks');
  }, 60_000);

  it('speaks UTC and ISO 8601 intervals in every session', async () => {
    const { rows } = await sql<{ tz: string; stamp: string }>`
      SELECT current_setting('TimeZone') AS tz, '2030-01-01T12:00:00+02:00'::timestamptz::text AS stamp`.execute(
      handle.db,
    );
    expect(rows[0]).toEqual({ tz: 'UTC', stamp: '2030-01-01 10:00:00+00' });
    const org = await insertOrganization(handle.db);
    const policy = await handle.db
      .insertInto('org_policies')
      .values({ org_id: org.id })
      .returning('grounding_lead_time')
      .executeTakeFirstOrThrow();
    expect(policy.grounding_lead_time).toBe('PT24H');
  });

  it('rejects overlapping tasks on one aircraft exactly as PostgreSQL does', async () => {
    const aircraft = await insertAircraft(handle.db);
    const window = { start_time: '2030-01-01T10:00:00Z', end_time: '2030-01-01T12:00:00Z' };
    await insertTask(handle.db, { aircraft_id: aircraft.id, ...window });
    await insertTask(handle.db, { aircraft_id: aircraft.id, ...window, state: 'cancelled' });
    const error = await rejectionOf(insertTask(handle.db, { aircraft_id: aircraft.id, ...window }));
    expect(error).toMatchObject({ code: '23P01', constraint: 'maintenance_tasks_no_overlap' });
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'conflict' });
  });

  it('keeps the audit log append-only', async () => {
    const row = await insertAuditLog(handle.db);
    const update = await rejectionOf(
      sql`UPDATE audit_logs SET actor = 'x' WHERE id = ${row.id}`.execute(handle.db),
    );
    expect(update).toMatchObject({ code: 'AM002', constraint: 'audit_logs_immutable' });
    expect(translateDatabaseError(update)).toMatchObject({ kind: 'conflict', reason: 'AUDIT_LOG_IMMUTABLE' });
    await expect(sql`TRUNCATE audit_logs`.execute(handle.db)).rejects.toMatchObject({ code: 'AM002' });
    const kept = await handle.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirst();
    expect(kept).toEqual(row);
  });

  it('freezes a signed-off compliance item', async () => {
    const mechanic = await insertUser(handle.db);
    const item = await insertComplianceItem(handle.db, {
      org_id: mechanic.org_id,
      result: 'pass',
      sign_off_user_id: mechanic.id,
      sign_off_time: new Date(),
    });
    const error = await rejectionOf(
      handle.db.deleteFrom('compliance_items').where('id', '=', item.id).execute(),
    );
    expect(error).toMatchObject({ code: 'AM001' });
    expect(translateDatabaseError(error)).toMatchObject({ kind: 'conflict', reason: 'ALREADY_SIGNED_OFF' });
  });

  it('compares emails case-insensitively (citext is loaded)', async () => {
    const user = await insertUser(handle.db, { email: 'Mech@Example.com' });
    const error = await rejectionOf(
      insertUser(handle.db, { org_id: user.org_id, email: 'mech@example.COM' }),
    );
    expect(error).toMatchObject({ code: '23505', constraint: 'users_org_id_email_live_key' });
  });
});
