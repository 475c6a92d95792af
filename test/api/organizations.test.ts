import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';

let t: TestApp;
let home: { id: string; name: string };
let admin: string;
let tenantAdmin: string;
let other: { id: string; name: string };

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
  tenantAdmin = await t.tokenFor(await t.createUser(home.id, 'tenant_admin'));
});
afterAll(async () => {
  await t.close();
});

const auditRows = (entityType: 'organization' | 'org_policy', entityId: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('entity_type', '=', entityType)
    .where('entity_id', '=', entityId)
    .execute();

/** Any RFC 3339 timestamp in UTC with a `Z`. */
const utcTimestamp: unknown = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

const createOrg = (name: string) => t.request(admin, 'POST', '/api/v1/organizations', { name });

describe('organizations', () => {
  it('creates an organization with a trimmed name and the default policy', async () => {
    const created = await createOrg('  Skyward   Air ');
    expect(created.statusCode).toBe(201);
    const org = created.json<{ id: string; name: string; created_at: string }>();
    expect(org).toMatchObject({ name: 'Skyward Air', created_at: utcTimestamp });
    expect(created.headers.location).toBe(`/api/v1/organizations/${org.id}`);

    const policy = await t.request(admin, 'GET', `/api/v1/organizations/${org.id}/policy`);
    expect(policy.statusCode).toBe(200);
    expect(policy.json()).toEqual({
      org_id: org.id,
      retention_interval: 'P365D',
      max_webhook_attempts: 10,
      webhook_replay_window_seconds: 300,
      api_rate_limit_per_min: 100,
      api_key_rate_limit_per_min: 10,
      grounding_lead_time: 'PT24H',
      sign_off_reauthentication: true,
      alert_escalation_after: 'PT4H',
      directive_warning_days: 30,
      updated_at: utcTimestamp,
    });
  });

  it('records one audit row and one organization_created event per new organization', async () => {
    const org = (await createOrg('Audit Airways')).json<{ id: string }>();
    const audits = await auditRows('organization', org.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ action: 'create', actor: 'user:admin', entity_type: 'organization' });
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select('event_type')
      .where('aggregate_id', '=', org.id)
      .execute();
    expect(events).toEqual([{ event_type: 'organization_created' }]);
  });

  it('refuses a name already taken in another case with 409', async () => {
    await createOrg('Duplicate Air');
    const again = await createOrg('DUPLICATE air');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'conflict', reason: 'ORGANIZATION_NAME_TAKEN' });
  });

  it('lets a tenant_admin read and rename its own organization, audited with before and after', async () => {
    const read = await t.request(tenantAdmin, 'GET', `/api/v1/organizations/${home.id}`);
    expect(read.json()).toMatchObject({ id: home.id, name: home.name });

    const renamed = await t.request(tenantAdmin, 'PATCH', `/api/v1/organizations/${home.id}`, {
      name: 'Home Renamed',
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: home.id, name: 'Home Renamed' });
    const audits = await auditRows('organization', home.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details).toMatchObject({
      before: { name: home.name },
      after: { name: 'Home Renamed' },
    });
    home.name = 'Home Renamed';
  });

  it.each([
    ['GET', ''],
    ['PATCH', ''],
    ['GET', '/policy'],
    ['PATCH', '/policy'],
  ] as const)(
    "answers a tenant_admin's %s%s on another organization with 404, like a missing one",
    async (method, path) => {
      const body =
        method === 'PATCH' ? (path ? { max_webhook_attempts: 3 } : { name: 'Taken Over' }) : undefined;
      const foreign = await t.request(tenantAdmin, method, `/api/v1/organizations/${other.id}${path}`, body);
      const missing = await t.request(
        tenantAdmin,
        method,
        `/api/v1/organizations/${randomUUID()}${path}`,
        body,
      );
      expect(foreign.statusCode).toBe(404);
      expect(missing.statusCode).toBe(404);
      expect(foreign.json<{ error: string }>().error).toBe(missing.json<{ error: string }>().error);
    },
  );

  it('lists organizations page by page with a Link header while more exist', async () => {
    for (const name of ['Page A', 'Page B', 'Page C']) await createOrg(name);
    const ids: string[] = [];
    let url: string | undefined = '/api/v1/organizations?limit=2';
    while (url) {
      const page = await t.request(admin, 'GET', url);
      expect(page.statusCode).toBe(200);
      const items = page.json<{ id: string }[]>();
      expect(items.length).toBeLessThanOrEqual(2);
      ids.push(...items.map((org) => org.id));
      url = /^<([^>]+)>; rel="next"$/.exec(String(page.headers.link ?? ''))?.[1];
    }
    const total = await t.db.db
      .selectFrom('organizations')
      .select('id')
      .where('deleted_at', 'is', null)
      .execute();
    expect(new Set(ids).size).toBe(total.length);
  });
});

describe('deleting an organization', () => {
  it('stops its users signing in, ends their sessions, and answers 404 from then on; audited with its event', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'scheduler');
    const login = () =>
      t.request(undefined, 'POST', '/api/v1/auth/login', {
        org_id: org.id,
        email: user.email,
        password: TEST_PASSWORD,
      });
    const session = (await login()).json<{ refresh_token: string }>();

    const deleted = await t.request(admin, 'DELETE', `/api/v1/organizations/${org.id}`);
    expect(deleted.statusCode, deleted.body).toBe(204);

    expect((await login()).statusCode).toBe(401);
    const refresh = await t.request(undefined, 'POST', '/api/v1/auth/refresh', {
      refresh_token: session.refresh_token,
    });
    expect(refresh.statusCode).toBe(401);
    for (const [method, url] of [
      ['GET', `/api/v1/organizations/${org.id}`],
      ['DELETE', `/api/v1/organizations/${org.id}`],
    ] as const) {
      expect((await t.request(admin, method, url)).statusCode, `${method} ${url}`).toBe(404);
    }
    // Its records stay within the system admin's reach, and only theirs.
    expect((await t.request(admin, 'GET', `/api/v1/audit-logs?org_id=${org.id}`)).statusCode).toBe(200);
    expect((await t.request(tenantAdmin, 'GET', `/api/v1/audit-logs?org_id=${org.id}`)).statusCode).toBe(403);
    const listed = (await t.request(admin, 'GET', '/api/v1/organizations?limit=200')).json<
      { id: string }[]
    >();
    expect(listed.map((o) => o.id)).not.toContain(org.id);
    const row = await t.db.db
      .selectFrom('organizations')
      .select('deleted_at')
      .where('id', '=', org.id)
      .executeTakeFirst();
    expect(row?.deleted_at).toBeInstanceOf(Date);
    expect((await auditRows('organization', org.id)).map((a) => a.action)).toContain('delete');
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select('event_type')
      .where('aggregate_id', '=', org.id)
      .execute();
    expect(events.map((e) => e.event_type)).toContain('organization_deleted');
  });

  it('refuses an admin deleting their own organization with 409 and an unknown id with 404', async () => {
    const own = await t.request(admin, 'DELETE', `/api/v1/organizations/${home.id}`);
    expect(own.statusCode).toBe(409);
    expect(own.json()).toMatchObject({ reason: 'CANNOT_DELETE_OWN_ORGANIZATION' });
    expect((await t.request(admin, 'DELETE', `/api/v1/organizations/${randomUUID()}`)).statusCode).toBe(404);
    expect((await t.request(tenantAdmin, 'DELETE', `/api/v1/organizations/${other.id}`)).statusCode).toBe(
      403,
    );
  });
});

describe('organization policy', () => {
  it('accepts ISO 8601 and PostgreSQL interval text and returns ISO durations', async () => {
    const response = await t.request(tenantAdmin, 'PATCH', `/api/v1/organizations/${home.id}/policy`, {
      retention_interval: '30 days',
      grounding_lead_time: 'PT12H',
      max_webhook_attempts: 5,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      retention_interval: 'P30D',
      grounding_lead_time: 'PT12H',
      max_webhook_attempts: 5,
      api_rate_limit_per_min: 100,
    });
    const audits = await auditRows('org_policy', home.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details).toMatchObject({
      before: { max_webhook_attempts: 10 },
      after: { max_webhook_attempts: 5 },
    });
  });

  it('refuses out-of-range or unreadable settings with one detail per field', async () => {
    const intervals = await t.request(admin, 'PATCH', `/api/v1/organizations/${other.id}/policy`, {
      retention_interval: '1 hour',
      grounding_lead_time: 'soon',
    });
    expect(intervals.statusCode).toBe(400);
    expect(intervals.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toEqual([
      'retention_interval',
      'grounding_lead_time',
    ]);
    const number = await t.request(admin, 'PATCH', `/api/v1/organizations/${other.id}/policy`, {
      webhook_replay_window_seconds: 5,
    });
    expect(number.statusCode).toBe(400);
    expect(number.json()).toMatchObject({ details: [{ field: 'body.webhook_replay_window_seconds' }] });
  });
});

describe('alert escalation policy', () => {
  it('sets how long an alert waits for an acknowledgement, and refuses less than a minute or more than 30 days', async () => {
    const url = `/api/v1/organizations/${home.id}/policy`;
    const changed = await t.request(tenantAdmin, 'PATCH', url, { alert_escalation_after: '90 minutes' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ alert_escalation_after: 'PT1H30M' });
    expect((await t.request(tenantAdmin, 'GET', url)).json()).toMatchObject({
      alert_escalation_after: 'PT1H30M',
    });

    for (const value of ['PT30S', 'P31D', 'whenever']) {
      const refused = await t.request(tenantAdmin, 'PATCH', url, { alert_escalation_after: value });
      expect(refused.statusCode, value).toBe(400);
      expect(refused.json()).toMatchObject({ details: [{ field: 'alert_escalation_after' }] });
    }
  });
});

describe('directive warning policy', () => {
  it('sets how many days ahead a directive limit counts as due, and refuses 0 or more than a year', async () => {
    const url = `/api/v1/organizations/${home.id}/policy`;
    const changed = await t.request(tenantAdmin, 'PATCH', url, { directive_warning_days: 45 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await t.request(tenantAdmin, 'GET', url)).json()).toMatchObject({ directive_warning_days: 45 });
    for (const value of [0, 366, 'soon']) {
      const refused = await t.request(tenantAdmin, 'PATCH', url, { directive_warning_days: value });
      expect(refused.statusCode, String(value)).toBe(400);
      expect(refused.json()).toMatchObject({ details: [{ field: 'body.directive_warning_days' }] });
    }
  });
});

describe('organization requests', () => {
  it('answers a malformed id with 400 naming the parameter', async () => {
    const response = await t.request(admin, 'GET', '/api/v1/organizations/not-a-uuid');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ details: [{ field: 'params.id', message: 'must be a UUID' }] });
  });

  it('refuses an unknown body field naming it, an empty change and a blank name', async () => {
    const url = `/api/v1/organizations/${other.id}`;
    const unknown = await t.request(admin, 'PATCH', url, { name: 'Fine', colour: 'blue' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<{ details: { field: string }[] }>().details).toContainEqual({
      field: 'body.colour',
      message: 'is not a known field',
    });
    expect((await t.request(admin, 'PATCH', url, {})).statusCode).toBe(400);
    const blank = await t.request(admin, 'PATCH', url, { name: '   ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json()).toMatchObject({ details: [{ field: 'name' }] });
  });
});
