import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAppRole } from '../../src/infra/postgres/app-role.js';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { connectAsAppRole, type AppRoleConnection } from '../support/app-role.js';
import { complianceRows } from '../support/compliance.js';
import { insertAuditLog, rejectionOf } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

// The server runs as the role `amss migrate grant-app-role` makes; the test keeps its own connection
// as the schema owner (t.db) to set up and to read back.
let t: TestApp;
let app: AppRoleConnection;
let tenant: Tenant;
beforeAll(async () => {
  t = await createTestApp({}, { connect: async (db) => (app = await connectAsAppRole(db)) });
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

describe('the application role', () => {
  it('runs the API: aircraft, a compliance sign-off and the audit log they leave', async () => {
    const aircraft = await t.request(tenant.tokens.scheduler, 'POST', '/api/v1/aircraft', {
      tail_number: 'N42AR',
      model: 'A320neo',
    });
    expect(aircraft.statusCode, aircraft.body).toBe(201);
    const item = await complianceRows(t).newItem(tenant.org.id);
    const signed = await t.request(
      tenant.tokens.mechanic,
      'PATCH',
      `/api/v1/compliance-items/${item.id}/sign-off`,
      { result: 'pass', password: TEST_PASSWORD },
    );
    expect(signed.statusCode, signed.body).toBe(200);
    const audit = await t.request(tenant.tokens.auditor, 'GET', '/api/v1/audit-logs?entity_type=aircraft');
    expect(audit.statusCode, audit.body).toBe(200);
    expect(audit.json<unknown[]>()).toHaveLength(1);
    const connectedAs = await sql<{ user: string }>`SELECT current_user AS user`.execute(app.db);
    expect(connectedAs.rows[0]!.user).toBe(app.role);
  });

  it('is granted row access to a table a later migration adds, and granting again changes nothing', async () => {
    await sql`CREATE TABLE later_migration (id int PRIMARY KEY)`.execute(t.db.db);
    await sql`INSERT INTO later_migration VALUES (1)`.execute(app.db);
    await grantAppRole(t.db.db, { role: app.role });
    const rows = await sql<{ id: number }>`SELECT id FROM later_migration`.execute(app.db);
    expect(rows.rows).toEqual([{ id: 1 }]);
  });

  it('cannot alter or remove audit rows or signed sign-offs by any statement', async () => {
    const audit = await insertAuditLog(t.db.db, { org_id: tenant.org.id });
    const rows = complianceRows(t);
    const item = await rows.newItem(tenant.org.id, 'pass');
    await t.request(tenant.tokens.mechanic, 'PATCH', `/api/v1/compliance-items/${item.id}/sign-off`, {
      password: TEST_PASSWORD,
    });
    const signed = await rows.item(item.id);
    const statements = [
      `UPDATE audit_logs SET actor = 'forged' WHERE id = '${audit.id}'`,
      `DELETE FROM audit_logs WHERE id = '${audit.id}'`,
      'TRUNCATE audit_logs',
      `UPDATE compliance_items SET result = 'fail' WHERE id = '${item.id}'`,
      `DELETE FROM compliance_items WHERE id = '${item.id}'`,
      'TRUNCATE compliance_items',
      'TRUNCATE organizations CASCADE',
      'ALTER TABLE audit_logs DISABLE TRIGGER ALL',
      'ALTER TABLE compliance_items DISABLE TRIGGER compliance_items_immutable_after_sign_off',
      'DROP TRIGGER audit_logs_immutable ON audit_logs',
      'DROP TRIGGER compliance_items_immutable_after_sign_off ON compliance_items',
      "CREATE OR REPLACE FUNCTION audit_logs_reject_mutation() RETURNS trigger LANGUAGE sql AS 'SELECT NULL'",
      'SET session_replication_role = replica',
      'DROP TABLE audit_logs CASCADE',
      'DROP TABLE compliance_items CASCADE',
      `ALTER TABLE audit_logs OWNER TO ${app.role}`,
      'ALTER TABLE audit_logs RENAME TO audit_logs_old',
      `ALTER ROLE ${app.role} SUPERUSER`,
    ];
    for (const statement of statements) {
      const error = await rejectionOf(sql.raw(statement).execute(app.db));
      expect(error, statement).toMatchObject({
        code: expect.stringMatching(/^(42501|AM001|AM002)$/) as string,
      });
    }
    expect(
      await t.db.db.selectFrom('audit_logs').selectAll().where('id', '=', audit.id).executeTakeFirst(),
    ).toEqual(audit);
    expect(await rows.item(item.id)).toEqual(signed);
  });
});
