import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAuditLog } from '../support/factories.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let mechanic: string;
let admin: string;
let schedulerUser: { id: string; email: string; orgId: string };
let scheduler: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  mechanic = await t.tokenFor(await t.createUser(home.id, 'mechanic'));
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
  schedulerUser = await t.createUser(home.id, 'scheduler');
  scheduler = await t.tokenFor(schedulerUser);
});
afterAll(async () => {
  await t.close();
});

interface AuditJson {
  id: string;
  org_id: string;
  entity_type: string;
  entity_id: string;
  action: string;
  timestamp: string;
  details: Record<string, unknown>;
}

const url = '/api/v1/audit-logs';
const ids = async (token: string, query: string) => {
  const response = await t.request(token, 'GET', `${url}?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<AuditJson[]>().map((row) => row.id);
};
const nextLink = (response: LightMyRequestResponse) =>
  /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link))?.[1];
/** A fresh org with rows at the given instants (a row each), for exact list assertions. */
const orgWithRows = async (instants: string[]) => {
  const org = await t.createOrg();
  const rows = [];
  for (const timestamp of instants) rows.push(await insertAuditLog(t.db.db, { org_id: org.id, timestamp }));
  return { org, ids: rows.map((row) => row.id) };
};

describe('reading the audit log', () => {
  it('shows the row a change wrote, with who, from where and the record before and after', async () => {
    const created = await t.request(scheduler, 'POST', '/api/v1/maintenance-programs', {
      name: 'A-check',
      interval_type: 'calendar',
      interval_value: 120,
    });
    const programId = created.json<{ id: string }>().id;
    const [row, ...rest] = (await t.request(mechanic, 'GET', `${url}?entity_id=${programId}`)).json<
      AuditJson[]
    >();
    expect(rest).toEqual([]);
    expect(Object.keys(row!).sort()).toEqual(
      [
        'id',
        'org_id',
        'actor_org_id',
        'user_id',
        'actor',
        'entity_type',
        'entity_id',
        'action',
        'entity_version',
        'request_id',
        'ip_address',
        'user_agent',
        'timestamp',
        'details',
      ].sort(),
    );
    expect(row).toMatchObject({
      org_id: home.id,
      actor_org_id: home.id,
      user_id: schedulerUser.id,
      actor: 'user:scheduler',
      entity_type: 'maintenance_program',
      action: 'create',
      request_id: created.headers['x-request-id'],
      details: { after: created.json<Record<string, unknown>>() },
    });
    expect((await t.request(mechanic, 'GET', `${url}/${row!.id}`)).json()).toEqual(row);
  });

  it('lists newest first by default and oldest first with sort=timestamp', async () => {
    const { org, ids: written } = await orgWithRows([
      '2025-01-01T00:00:00Z',
      '2025-01-02T00:00:00Z',
      '2025-01-03T00:00:00Z',
    ]);
    expect(await ids(admin, `org_id=${org.id}`)).toEqual([...written].reverse());
    expect(await ids(admin, `org_id=${org.id}&sort=timestamp`)).toEqual(written);
  });

  it('narrows by entity type, entity id, user, action and time range', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'scheduler');
    const entity = randomUUID();
    const row = (values: Parameters<typeof insertAuditLog>[1]) =>
      insertAuditLog(t.db.db, { org_id: org.id, timestamp: '2025-05-01T00:00:00Z', ...values }).then(
        (r) => r.id,
      );
    const aircraft = await row({ entity_type: 'aircraft' });
    const ofEntity = await row({ entity_type: 'user', entity_id: entity });
    const byUser = await row({
      entity_type: 'user',
      actor_org_id: org.id,
      user_id: user.id,
      actor: 'user:scheduler',
    });
    const deleted = await row({ entity_type: 'user', action: 'delete' });
    const early = await row({ entity_type: 'user', timestamp: '2025-04-30T23:59:59.999Z' });
    const late = await row({ entity_type: 'user', timestamp: '2025-05-02T00:00:00Z' });
    const scope = `org_id=${org.id}`;
    const sorted = (list: string[]) => [...list].sort();
    expect(await ids(admin, `${scope}&entity_type=aircraft`)).toEqual([aircraft]);
    expect(await ids(admin, `${scope}&entity_id=${entity}`)).toEqual([ofEntity]);
    expect(await ids(admin, `${scope}&user_id=${user.id}`)).toEqual([byUser]);
    expect(await ids(admin, `${scope}&action=delete`)).toEqual([deleted]);
    expect(await ids(admin, `${scope}&to=2025-05-01T00:00:00Z`)).toEqual([early]);
    expect(await ids(admin, `${scope}&from=2025-05-01T00:00:01Z`)).toEqual([late]);
    expect(sorted(await ids(admin, `${scope}&from=2025-05-01T00:00:00Z&to=2025-05-02T00:00:00Z`))).toEqual(
      sorted([aircraft, ofEntity, byUser, deleted]),
    );
  });

  it('pages by offset with a Link header that keeps the filters', async () => {
    const { org, ids: written } = await orgWithRows([
      '2025-01-01T00:00:00Z',
      '2025-01-02T00:00:00Z',
      '2025-01-03T00:00:00Z',
    ]);
    const first = await t.request(admin, 'GET', `${url}?org_id=${org.id}&action=create&limit=2`);
    const next = nextLink(first);
    expect(next).toContain('offset=2');
    expect(next).toContain('action=create');
    expect((await t.request(admin, 'GET', next!)).json<AuditJson[]>().map((r) => r.id)).toEqual([written[0]]);
  });
});

describe('cursor pagination', () => {
  it('walks every row exactly once while new rows are written between pages', async () => {
    const { org, ids: written } = await orgWithRows([
      '2025-01-01T00:00:00Z',
      '2025-01-02T00:00:00Z',
      '2025-01-03T00:00:00Z',
      '2025-01-04T00:00:00Z',
      '2025-01-05T00:00:00Z',
    ]);
    const seen: string[] = [];
    let next: string | undefined = `${url}?org_id=${org.id}&limit=2&cursor=`;
    while (next) {
      const page = await t.request(admin, 'GET', next);
      seen.push(...page.json<AuditJson[]>().map((r) => r.id));
      // Newer rows land in front of the walk; an offset would now shift everything by one.
      await insertAuditLog(t.db.db, { org_id: org.id });
      next = nextLink(page);
      if (next) expect(next).not.toContain('offset');
    }
    expect(seen).toEqual([...written].reverse());
  });

  it('tells rows of the same instant apart, to the microsecond, oldest first too', async () => {
    const instants = [
      '2025-01-01T00:00:00.000001Z',
      '2025-01-01T00:00:00.000001Z',
      '2025-01-01T00:00:00.000002Z',
    ];
    const { org, ids: written } = await orgWithRows([...instants, ...instants]);
    const seen: string[] = [];
    let next: string | undefined = `${url}?org_id=${org.id}&limit=1&sort=timestamp&cursor=`;
    while (next) {
      const page = await t.request(admin, 'GET', next);
      seen.push(...page.json<AuditJson[]>().map((r) => r.id));
      next = nextLink(page);
    }
    expect([...seen].sort()).toEqual([...written].sort());
    expect(new Set(seen).size).toBe(6);
  });

  it.each([
    ['a cursor that is not one', 'cursor=bm9wZQ', 'INVALID_CURSOR'],
    ['a cursor with offset', 'cursor=&offset=10', 'CURSOR_WITH_OFFSET'],
    ['to not after from', 'from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z', 'INVALID_TIME_RANGE'],
    ['to equal to from', 'from=2025-01-02T00:00:00Z&to=2025-01-02T00:00:00Z', 'INVALID_TIME_RANGE'],
    ['a timestamp without a zone', 'from=2025-01-02T00:00:00', 'VALIDATION_FAILED'],
    ['an unknown action', 'action=erase', 'VALIDATION_FAILED'],
    ['a malformed entity id', 'entity_id=42', 'VALIDATION_FAILED'],
    ['a malformed user id', 'user_id=me', 'VALIDATION_FAILED'],
    ['an entity type that is not one', 'entity_type=DROP%20TABLE', 'VALIDATION_FAILED'],
    ['an unknown sort', 'sort=actor', 'VALIDATION_FAILED'],
    ['an unknown parameter', 'org=1', 'VALIDATION_FAILED'],
  ])('refuses %s with 400 %s', async (_name, query, reason) => {
    const response = await t.request(mechanic, 'GET', `${url}?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation', reason });
  });
});

describe('immutability', () => {
  it('offers no way to change, delete or add a row: 405 with Allow: GET, and the row stays as it was', async () => {
    const row = await insertAuditLog(t.db.db, { org_id: home.id });
    for (const [method, path] of [
      ['PATCH', `${url}/${row.id}`],
      ['DELETE', `${url}/${row.id}`],
      ['PUT', `${url}/${row.id}`],
      ['POST', url],
      ['DELETE', url],
    ] as const) {
      const response = await t.request(
        admin,
        method,
        path,
        method === 'DELETE' ? undefined : { action: 'delete' },
      );
      expect(response.statusCode, `${method} ${path}`).toBe(405);
      expect(response.headers.allow).toBe('GET');
    }
    const [stored] = await t.db.db.selectFrom('audit_logs').selectAll().where('id', '=', row.id).execute();
    expect(stored).toEqual(row);
  });
});

describe('tenant isolation', () => {
  it('never shows another org’s rows, even asked for by entity or id', async () => {
    const foreign = await insertAuditLog(t.db.db, { org_id: other.id });
    expect(await ids(mechanic, `entity_id=${foreign.entity_id}`)).toEqual([]);
    expect(await ids(mechanic, 'limit=200')).not.toContain(foreign.id);
    expect((await t.request(mechanic, 'GET', `${url}/${foreign.id}`)).statusCode).toBe(404);
  });

  it('lets an admin read another org’s log by naming it, and no one else', async () => {
    const foreign = await insertAuditLog(t.db.db, { org_id: other.id });
    expect(await ids(admin, `org_id=${other.id}&entity_id=${foreign.entity_id}`)).toEqual([foreign.id]);
    expect((await t.request(admin, 'GET', `${url}/${foreign.id}?org_id=${other.id}`)).statusCode).toBe(200);
    const refused = await t.request(mechanic, 'GET', `${url}?org_id=${other.id}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
  });
});
