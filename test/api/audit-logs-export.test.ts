import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAuditLog } from '../support/factories.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
const tokens = new Map<Role, string>();

/** Text that CSV must quote: commas, double quotes and a line break. */
const AWKWARD = 'left, right "quoted"\nsecond line';

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  for (const role of ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'] as const) {
    tokens.set(role, await t.tokenFor(await t.createUser(home.id, role)));
  }
  // 5 000 rows one second apart, each with awkward text in its details.
  await sql`
    INSERT INTO audit_logs (org_id, actor, entity_type, entity_id, action, "timestamp", details)
    SELECT ${home.id}::uuid, 'system:test', 'aircraft', gen_random_uuid(), 'update',
           timestamptz '2025-01-01T00:00:00Z' + g * interval '1 second',
           jsonb_build_object('n', g, 'note', ${AWKWARD}::text)
    FROM generate_series(1, 5000) AS g`.execute(t.db.db);
});
afterAll(async () => {
  await t.close();
});

const exportAs = (role: Role, query = '') =>
  t.request(tokens.get(role), 'GET', `/api/v1/audit-logs/export${query}`);
const rowsOf = (body: string) => parse<Record<string, string>>(body, { columns: true });

describe('CSV export', () => {
  it('streams all 5 000 rows oldest first under one header, with details surviving commas, quotes and newlines', async () => {
    const response = await exportAs('auditor', '?entity_type=aircraft');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['transfer-encoding']).toBe('chunked');
    const date = new Date().toISOString().slice(0, 10);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="audit-logs-${home.id}-${date}.csv"`,
    );
    expect(response.body.split('\n', 1)[0]).toBe(
      'id,org_id,actor_org_id,user_id,actor,entity_type,entity_id,action,entity_version,request_id,ip_address,user_agent,timestamp,details',
    );
    const rows = rowsOf(response.body);
    expect(rows).toHaveLength(5000);
    expect(rows.map((row) => (JSON.parse(row.details!) as { n: number }).n)).toEqual(
      Array.from({ length: 5000 }, (_, i) => i + 1),
    );
    expect(JSON.parse(rows[0]!.details!)).toEqual({ n: 1, note: AWKWARD });
    expect(rows[0]).toMatchObject({
      org_id: home.id,
      actor: 'system:test',
      user_id: '',
      timestamp: '2025-01-01T00:00:01.000Z',
    });
  });

  it('applies the list’s filters', async () => {
    const response = await exportAs('admin', '?from=2025-01-01T00:00:10Z&to=2025-01-01T00:00:20Z');
    const rows = rowsOf(response.body);
    expect(rows.map((row) => (JSON.parse(row.details!) as { n: number }).n)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 10),
    );
  });

  it('defuses cells a spreadsheet would run as a formula', async () => {
    const row = await insertAuditLog(t.db.db, {
      org_id: home.id,
      entity_type: 'formula_probe',
      user_agent: '=HYPERLINK("http://evil.example","click")',
    });
    const [exported] = rowsOf((await exportAs('auditor', '?entity_type=formula_probe')).body);
    expect(exported).toMatchObject({ id: row.id, user_agent: `'=HYPERLINK("http://evil.example","click")` });
  });

  it.each(['scheduler', 'mechanic', 'tenant_admin'] as const)('refuses a %s with 403', async (role) => {
    const response = await exportAs(role);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'forbidden' });
  });

  it('answers a bad filter with the JSON error envelope, not a CSV', async () => {
    const response = await exportAs('auditor', '?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json()).toMatchObject({ reason: 'INVALID_TIME_RANGE' });
  });

  it('never exports another org’s rows; an admin exports them by naming the org', async () => {
    const foreign = await insertAuditLog(t.db.db, { org_id: other.id, entity_type: 'foreign_probe' });
    expect(rowsOf((await exportAs('auditor', '?entity_type=foreign_probe')).body)).toEqual([]);
    const forAdmin = await exportAs('admin', `?org_id=${other.id}&entity_type=foreign_probe`);
    expect(rowsOf(forAdmin.body).map((row) => row.id)).toEqual([foreign.id]);
    expect(forAdmin.headers['content-disposition']).toContain(`audit-logs-${other.id}-`);
    expect((await exportAs('auditor', `?org_id=${other.id}`)).statusCode).toBe(403);
  });
});
