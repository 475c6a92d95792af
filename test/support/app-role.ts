import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { connectPostgres, type DatabaseHandle } from '../../src/infra/postgres/database.js';
import { grantAppRole } from '../../src/infra/postgres/app-role.js';
import { adminQuery, type TestDatabase } from './database.js';

/** A connection to a test database as an application role made by `amss migrate grant-app-role`. */
export interface AppRoleConnection extends DatabaseHandle {
  role: string;
}

/**
 * Creates an application role of its own (roles are cluster-wide, so the name is unique per test
 * database), grants it as the schema owner would and connects as it. `close` drops the role too;
 * call it before the database is dropped.
 */
export async function connectAsAppRole(db: TestDatabase): Promise<AppRoleConnection> {
  const role = `amss_app_${randomBytes(5).toString('hex')}`;
  await grantAppRole(db.db, { role });
  const url = new URL(db.url);
  url.username = role;
  const handle = connectPostgres(url.toString(), { max: 5, applicationName: 'amss-test-app-role' });
  return {
    ...handle,
    role,
    async close() {
      await handle.close();
      // Its privileges (tables, default privileges, CONNECT) go first, or the role cannot be dropped.
      await sql`DROP OWNED BY ${sql.id(role)}`.execute(db.db);
      await adminQuery(`DROP ROLE IF EXISTS "${role}"`);
    },
  };
}
