import { createHash, randomUUID } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let admin: string;
let tenantAdmin: string;
let tenantAdminId: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
  const ta = await t.createUser(home.id, 'tenant_admin');
  tenantAdminId = ta.id;
  tenantAdmin = await t.tokenFor(ta);
});
afterAll(async () => {
  await t.close();
});

interface UserJson {
  id: string;
  org_id: string;
  email: string;
  role: string;
}

let emails = 0;
const newEmail = () => `person-${++emails}-${randomUUID().slice(0, 6)}@users.test`;
const createUser = (token: string, body: Record<string, unknown>, query = '') =>
  t.request(token, 'POST', `/api/v1/users${query}`, {
    email: newEmail(),
    role: 'mechanic',
    password: TEST_PASSWORD,
    ...body,
  });
const audits = (entityId: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('entity_id', '=', entityId)
    .orderBy('timestamp')
    .execute();

describe('creating users', () => {
  it('creates a user in the tenant_admin’s org who can then log in; no password hash is returned', async () => {
    const email = newEmail();
    const response = await createUser(tenantAdmin, { email, role: 'scheduler' });
    expect(response.statusCode).toBe(201);
    const user = response.json<UserJson>();
    expect(Object.keys(user).sort()).toEqual(
      ['created_at', 'email', 'id', 'last_login', 'org_id', 'role', 'updated_at'].sort(),
    );
    expect(user).toMatchObject({ org_id: home.id, email, role: 'scheduler', last_login: null });
    await expect(t.tokenFor({ email, orgId: home.id })).resolves.toEqual(expect.any(String));
  });

  it('records one audit row and one user_created event, neither holding the password or its hash', async () => {
    const user = (await createUser(tenantAdmin, {})).json<UserJson>();
    const rows = await audits(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'create', org_id: home.id, user_id: tenantAdminId });
    const events = await t.db.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', user.id)
      .execute();
    expect(events.map((e) => e.event_type)).toEqual(['user_created']);
    const written = JSON.stringify([rows, events]);
    expect(written).not.toContain(TEST_PASSWORD);
    expect(written).not.toMatch(/\$2[aby]\$/);
  });

  it('refuses an email taken in another case with 409 EMAIL_TAKEN, and frees it once the user is deleted', async () => {
    const email = newEmail();
    const first = (await createUser(tenantAdmin, { email })).json<UserJson>();
    const clash = await createUser(tenantAdmin, { email: email.toUpperCase() });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: 'conflict', reason: 'EMAIL_TAKEN' });

    expect((await t.request(tenantAdmin, 'DELETE', `/api/v1/users/${first.id}`)).statusCode).toBe(204);
    expect((await createUser(tenantAdmin, { email: email.toUpperCase() })).statusCode).toBe(201);
  });

  it('refuses a weak password with 400 and one detail per problem', async () => {
    const response = await createUser(tenantAdmin, { password: 'short' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation', reason: 'WEAK_PASSWORD' });
    const details = response.json<{ details: { field: string; message: string }[] }>().details;
    expect(details.map((d) => d.field)).toEqual(['password', 'password']);
    expect(details.map((d) => d.message).join(' ')).toMatch(/at least 12 characters.*digit/);
  });

  it('refuses an unknown body field, naming it', async () => {
    const response = await createUser(admin, { org_id: other.id });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ details: { field: string }[] }>().details).toContainEqual({
      field: 'body.org_id',
      message: 'is not a known field',
    });
  });
});

describe('admin protection', () => {
  it('never lets a tenant_admin create, change or delete an admin, nor grant the admin role', async () => {
    const anAdmin = await t.createUser(home.id, 'admin');
    const aMechanic = await t.createUser(home.id, 'mechanic');
    const attempts = await Promise.all([
      createUser(tenantAdmin, { role: 'admin' }),
      t.request(tenantAdmin, 'PATCH', `/api/v1/users/${anAdmin.id}`, { email: newEmail() }),
      t.request(tenantAdmin, 'DELETE', `/api/v1/users/${anAdmin.id}`),
      t.request(tenantAdmin, 'PATCH', `/api/v1/users/${aMechanic.id}`, { role: 'admin' }),
    ]);
    for (const response of attempts) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden', reason: 'ADMIN_PROTECTED' });
    }
    expect(
      (await t.request(admin, 'PATCH', `/api/v1/users/${aMechanic.id}`, { role: 'admin' })).statusCode,
    ).toBe(200);
  });
});

describe('changing and deleting users', () => {
  it('ends the user’s sessions when their password or role changes', async () => {
    for (const change of [{ password: 'Another-Secret-99' }, { role: 'auditor' }]) {
      const user = await t.createUser(home.id, 'mechanic');
      await t.tokenFor(user);
      const live = () =>
        t.db.db
          .selectFrom('refresh_tokens')
          .select('id')
          .where('user_id', '=', user.id)
          .where('revoked_at', 'is', null)
          .execute();
      expect(await live()).toHaveLength(1);
      expect((await t.request(tenantAdmin, 'PATCH', `/api/v1/users/${user.id}`, change)).statusCode).toBe(
        200,
      );
      expect(await live()).toHaveLength(0);
    }
  });

  it('hides a deleted user from lists and answers 404 for it afterwards', async () => {
    const user = await t.createUser(home.id, 'auditor');
    expect((await t.request(tenantAdmin, 'DELETE', `/api/v1/users/${user.id}`)).statusCode).toBe(204);
    expect((await t.request(tenantAdmin, 'GET', `/api/v1/users/${user.id}`)).statusCode).toBe(404);
    expect((await t.request(tenantAdmin, 'DELETE', `/api/v1/users/${user.id}`)).statusCode).toBe(404);
    const list = await t.request(tenantAdmin, 'GET', `/api/v1/users?email=${encodeURIComponent(user.email)}`);
    expect(list.json()).toEqual([]);
  });

  it('refuses to delete yourself or change your own role with 409', async () => {
    const self = await t.request(tenantAdmin, 'DELETE', `/api/v1/users/${tenantAdminId}`);
    expect(self.statusCode).toBe(409);
    expect(self.json()).toMatchObject({ reason: 'CANNOT_DELETE_SELF' });
    const demote = await t.request(tenantAdmin, 'PATCH', `/api/v1/users/${tenantAdminId}`, {
      role: 'auditor',
    });
    expect(demote.json()).toMatchObject({ reason: 'CANNOT_CHANGE_OWN_ROLE' });
  });

  it('leaves exactly one audit row per create, update and delete', async () => {
    const user = (await createUser(tenantAdmin, {})).json<UserJson>();
    await t.request(tenantAdmin, 'PATCH', `/api/v1/users/${user.id}`, { role: 'scheduler' });
    await t.request(tenantAdmin, 'DELETE', `/api/v1/users/${user.id}`);
    const rows = await audits(user.id);
    expect(rows.map((r) => r.action)).toEqual(['create', 'update', 'delete']);
    expect(rows[1]!.details).toMatchObject({ before: { role: 'mechanic' }, after: { role: 'scheduler' } });
    expect(rows[2]!.request_id).toEqual(expect.any(String));
  });
});

describe('Idempotency-Key on routes that carry a password', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const storedRecord = (key: string) =>
    t.db.db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
  /** The stored fingerprint of a request with this body, as the server computes it. */
  const fingerprint = (method: string, url: string, body: unknown) =>
    sha256(`${method}\n${url}\n${stringify(body)}`);

  it('creates a user once: the stored record holds no password nor any hash of it, and a retry replays', async () => {
    const key = { 'idempotency-key': `create-${randomUUID()}` };
    const body = { email: newEmail(), role: 'mechanic', password: 'Create-Secret-4711' };
    const first = await t.request(tenantAdmin, 'POST', '/api/v1/users', body, key);
    expect(first.statusCode, first.body).toBe(201);
    const again = await t.request(tenantAdmin, 'POST', '/api/v1/users', body, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    const stored = await storedRecord(key['idempotency-key']);
    expect(JSON.stringify(stored)).not.toContain(body.password);
    expect(JSON.stringify(stored)).not.toContain(sha256(body.password));
    expect(stored.request_hash).toBe(
      fingerprint('POST', '/api/v1/users', { email: body.email, role: body.role }),
    );
    expect(stored.request_hash).not.toBe(fingerprint('POST', '/api/v1/users', body));
    const created = await t.db.db.selectFrom('users').select('id').where('email', '=', body.email).execute();
    expect(created).toHaveLength(1);
  });

  it('changes a password once: a retry replays, and one differing only in its password replays the first answer', async () => {
    const user = await t.createUser(home.id, 'mechanic');
    const url = `/api/v1/users/${user.id}`;
    const key = { 'idempotency-key': `password-${randomUUID()}` };
    const first = await t.request(tenantAdmin, 'PATCH', url, { password: 'First-Secret-4711' }, key);
    expect(first.statusCode, first.body).toBe(200);
    const other = await t.request(tenantAdmin, 'PATCH', url, { password: 'Second-Secret-4711' }, key);
    expect(other.statusCode).toBe(200);
    expect(other.headers['idempotent-replayed']).toBe('true');
    expect(other.body).toBe(first.body);
    const login = (password: string) =>
      t.request(undefined, 'POST', '/api/v1/auth/login', { org_id: home.id, email: user.email, password });
    expect((await login('First-Secret-4711')).statusCode).toBe(200);
    expect((await login('Second-Secret-4711')).statusCode).toBe(401);
    const stored = await storedRecord(key['idempotency-key']);
    expect(JSON.stringify(stored)).not.toContain('First-Secret-4711');
    expect(JSON.stringify(stored)).not.toContain(sha256('First-Secret-4711'));
    expect(stored.request_hash).toBe(fingerprint('PATCH', url, {}));
    // Any other field is still part of the request: the same key with another role is refused.
    const reused = await t.request(
      tenantAdmin,
      'PATCH',
      url,
      { password: 'First-Secret-4711', role: 'auditor' },
      key,
    );
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ reason: 'IDEMPOTENCY_KEY_REUSED' });
  });
});

describe('tenant isolation', () => {
  it('answers GET, PATCH and DELETE of another org’s user with 404', async () => {
    const foreign = await t.createUser(other.id, 'mechanic');
    for (const [method, body] of [['GET'], ['PATCH', { role: 'auditor' }], ['DELETE']] as const) {
      const response = await t.request(tenantAdmin, method, `/api/v1/users/${foreign.id}`, body);
      expect(response.statusCode).toBe(404);
    }
  });

  it('refuses a tenant_admin naming another org, even to list, with ORG_SCOPE_FORBIDDEN', async () => {
    const list = await t.request(tenantAdmin, 'GET', `/api/v1/users?org_id=${other.id}`);
    const create = await createUser(tenantAdmin, {}, `?org_id=${other.id}`);
    for (const response of [list, create]) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
    }
  });

  it('lets an admin manage another org’s users by naming it with org_id', async () => {
    const scope = `?org_id=${other.id}`;
    const created = await createUser(admin, {}, scope);
    expect(created.json()).toMatchObject({ org_id: other.id });
    const { id } = created.json<UserJson>();
    expect(created.headers.location).toBe(`/api/v1/users/${id}${scope}`);
    expect((await t.request(admin, 'GET', `/api/v1/users/${id}`)).statusCode).toBe(404);
    expect((await t.request(admin, 'GET', `/api/v1/users/${id}${scope}`)).statusCode).toBe(200);
    const listed = await t.request(admin, 'GET', `/api/v1/users${scope}`);
    expect(listed.json<UserJson[]>().map((u) => u.id)).toContain(id);
    expect(
      (await t.request(admin, 'PATCH', `/api/v1/users/${id}${scope}`, { role: 'auditor' })).statusCode,
    ).toBe(200);
    expect((await t.request(admin, 'DELETE', `/api/v1/users/${id}${scope}`)).statusCode).toBe(204);
    const [row] = await audits(id);
    expect(row).toMatchObject({ org_id: other.id, actor_org_id: home.id });
  });

  it('answers an unknown org_id with 404 and a malformed one with 400', async () => {
    const unknown = await t.request(admin, 'GET', `/api/v1/users?org_id=${randomUUID()}`);
    expect(unknown.statusCode).toBe(404);
    const malformed = await t.request(admin, 'GET', '/api/v1/users?org_id=nope');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ details: [{ field: 'querystring.org_id' }] });
  });
});

describe('listing users', () => {
  it('filters by role and email and pages with a Link header', async () => {
    const org = await t.createOrg();
    for (let i = 0; i < 3; i += 1) await t.createUser(org.id, 'auditor', `auditor-${i}@list.test`);
    await t.createUser(org.id, 'mechanic', `mechanic@list.test`);
    const base = `/api/v1/users?org_id=${org.id}&role=auditor&email=LIST.TEST`;
    const first = await t.request(admin, 'GET', `${base}&limit=2`);
    expect(first.json<UserJson[]>().map((u) => u.email)).toEqual([
      'auditor-0@list.test',
      'auditor-1@list.test',
    ]);
    const next = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link))?.[1];
    expect(next).toContain('offset=2');
    const second = await t.request(admin, 'GET', next!);
    expect(second.json<UserJson[]>().map((u) => u.email)).toEqual(['auditor-2@list.test']);
    expect(second.headers.link).toBeUndefined();
  });

  it('refuses an unknown role filter with 400', async () => {
    const response = await t.request(admin, 'GET', '/api/v1/users?role=pilot');
    expect(response.statusCode).toBe(400);
  });
});
