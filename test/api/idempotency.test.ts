import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgIdempotencyStore } from '../../src/infra/postgres/idempotency.js';
import { expiryCleaner } from '../../src/jobs/expiry-cleaner.js';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { insertAircraft } from '../support/factories.js';

let t: TestApp;
let home: { id: string };
let admin: string;
let tenantAdmin: string;
let tenantAdminId: string;
let otherTenantAdmin: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
  const ta = await t.createUser(home.id, 'tenant_admin');
  tenantAdminId = ta.id;
  tenantAdmin = await t.tokenFor(ta);
  otherTenantAdmin = await t.tokenFor(await t.createUser(home.id, 'tenant_admin'));
});
afterAll(async () => {
  await t.close();
});

const newKey = () => `key-${randomUUID()}`;
const newUser = () => ({
  email: `idem-${randomUUID().slice(0, 8)}@idempotency.test`,
  role: 'mechanic',
  password: TEST_PASSWORD,
});
const withKey = (key: string) => ({ 'idempotency-key': key });
const postUser = (token: string, body: Record<string, unknown>, key?: string) =>
  t.request(token, 'POST', '/api/v1/users', body, key === undefined ? {} : withKey(key));
const postOrg = (name: string, key: string) =>
  t.request(admin, 'POST', '/api/v1/organizations', { name }, withKey(key));
const usersNamed = (email: string) =>
  t.db.db.selectFrom('users').select('id').where('email', '=', email).execute();
const auditRows = (entityId: string) =>
  t.db.db.selectFrom('audit_logs').select('action').where('entity_id', '=', entityId).execute();
const keyRow = (key: string) => t.db.db.updateTable('idempotency_keys').where('key', '=', key);
const replayed = (response: LightMyRequestResponse) => response.headers['idempotent-replayed'];

describe('Idempotency-Key on creates', () => {
  it('replays a repeated user create byte for byte, with its Location, creating one user and one audit row', async () => {
    const key = newKey();
    const body = newUser();
    const first = await postUser(tenantAdmin, body, key);
    const again = await postUser(tenantAdmin, body, key);
    expect(first.statusCode).toBe(201);
    expect(replayed(first)).toBeUndefined();
    expect(again.statusCode).toBe(201);
    expect(replayed(again)).toBe('true');
    expect(again.body).toBe(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(await usersNamed(body.email)).toHaveLength(1);
    expect(await auditRows(first.json<{ id: string }>().id)).toEqual([{ action: 'create' }]);
  });

  it('replays a repeated organization create and leaves one organization behind', async () => {
    const key = newKey();
    const name = `Replay Air ${randomUUID().slice(0, 6)}`;
    const [first, again] = [await postOrg(name, key), await postOrg(name, key)];
    expect([first.statusCode, again.statusCode]).toEqual([201, 201]);
    expect(replayed(again)).toBe('true');
    expect(again.body).toBe(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    const orgs = await t.db.db.selectFrom('organizations').select('id').where('name', '=', name).execute();
    expect(orgs).toHaveLength(1);
    expect(await auditRows(orgs[0]!.id)).toHaveLength(1);
  });

  it('treats the same body with its fields in another order as the same request', async () => {
    const key = newKey();
    const { email, role, password } = newUser();
    const first = await postUser(tenantAdmin, { email, role, password }, key);
    const reordered = await postUser(tenantAdmin, { password, role, email }, key);
    expect(reordered.statusCode).toBe(201);
    expect(replayed(reordered)).toBe('true');
    expect(reordered.body).toBe(first.body);
    expect(await usersNamed(email)).toHaveLength(1);
  });

  it('refuses the same key with a different body with 409 IDEMPOTENCY_KEY_REUSED and creates nothing', async () => {
    const key = newKey();
    await postUser(tenantAdmin, newUser(), key);
    const other = newUser();
    const reused = await postUser(tenantAdmin, other, key);
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ code: 'conflict', reason: 'IDEMPOTENCY_KEY_REUSED' });
    expect(replayed(reused)).toBeUndefined();
    expect(await usersNamed(other.email)).toHaveLength(0);
  });

  it('creates exactly one user when five requests with the same key arrive at once', async () => {
    const key = newKey();
    const body = newUser();
    const responses = await Promise.all(Array.from({ length: 5 }, () => postUser(tenantAdmin, body, key)));
    const fresh = responses.filter((r) => r.statusCode === 201 && replayed(r) === undefined);
    expect(fresh).toHaveLength(1);
    for (const response of responses.filter((r) => r !== fresh[0])) {
      if (response.statusCode === 201) {
        expect(replayed(response)).toBe('true');
        expect(response.body).toBe(fresh[0]!.body);
      } else {
        expect(response.statusCode).toBe(409);
        expect(response.json()).toMatchObject({ reason: 'IDEMPOTENCY_IN_PROGRESS' });
        expect(response.headers['retry-after']).toBe('1');
      }
    }
    expect(await usersNamed(body.email)).toHaveLength(1);
  });

  it('keeps a key apart per user and per endpoint: each runs its own request', async () => {
    const key = newKey();
    const [mine, theirs] = [newUser(), newUser()];
    const first = await postUser(tenantAdmin, mine, key);
    const otherUser = await postUser(otherTenantAdmin, theirs, key);
    const otherEndpoint = await postOrg(`Keyed Air ${randomUUID().slice(0, 6)}`, key);
    for (const response of [first, otherUser, otherEndpoint]) {
      expect(response.statusCode).toBe(201);
      expect(replayed(response)).toBeUndefined();
    }
    expect(await usersNamed(theirs.email)).toHaveLength(1);
  });
});

describe('Idempotency-Key on failures', () => {
  it('replays a 409 EMAIL_TAKEN as it was, even after the email became free', async () => {
    const taken = newUser();
    const existing = (await postUser(tenantAdmin, taken)).json<{ id: string }>();
    const key = newKey();
    const first = await postUser(tenantAdmin, taken, key);
    expect(first.json()).toMatchObject({ code: 'conflict', reason: 'EMAIL_TAKEN' });
    expect((await t.request(tenantAdmin, 'DELETE', `/api/v1/users/${existing.id}`)).statusCode).toBe(204);

    const again = await postUser(tenantAdmin, taken, key);
    expect(again.statusCode).toBe(409);
    expect(replayed(again)).toBe('true');
    expect(again.body).toBe(first.body);
    expect(await usersNamed(taken.email)).toHaveLength(1);
  });

  it('replays a 400 WEAK_PASSWORD byte for byte', async () => {
    const key = newKey();
    const body = { ...newUser(), password: 'short' };
    const first = await postUser(tenantAdmin, body, key);
    const again = await postUser(tenantAdmin, body, key);
    expect(first.statusCode).toBe(400);
    expect(first.json()).toMatchObject({ reason: 'WEAK_PASSWORD' });
    expect(again.statusCode).toBe(400);
    expect(replayed(again)).toBe('true');
    expect(again.body).toBe(first.body);
  });

  it('refuses a malformed key with 400 and runs nothing', async () => {
    for (const key of ['k'.repeat(300), 'has a space']) {
      const body = newUser();
      const response = await postUser(tenantAdmin, body, key);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'validation',
        details: [{ field: 'headers.idempotency-key' }],
      });
      expect(await usersNamed(body.email)).toHaveLength(0);
    }
  });
});

/** As if the process died after the request's change committed, before its response was stored. */
const forgetResponse = (key: string) =>
  keyRow(key).set({ status_code: 0, response_body: null, response_headers: null }).execute();

describe('Idempotency-Key after a crash between the commit and the stored response', () => {
  it('answers the retry of a task create with the first task, not a second one nor 409 TASK_OVERLAP', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: home.id });
    const key = newKey();
    const task = {
      aircraft_id: aircraft.id,
      type: 'inspection',
      start_time: '2031-05-01T08:00:00.000Z',
      end_time: '2031-05-01T12:00:00.000Z',
    };
    const post = () => t.request(admin, 'POST', '/api/v1/maintenance-tasks', task, withKey(key));
    const first = await post();
    expect(first.statusCode, first.body).toBe(201);
    await forgetResponse(key);

    const retry = await post();
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(replayed(retry)).toBe('true');
    const tasks = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('aircraft_id', '=', aircraft.id)
      .execute();
    expect(tasks).toHaveLength(1);
    expect(await auditRows(tasks[0]!.id)).toEqual([{ action: 'create' }]);
    // The recovered answer is now the stored one.
    expect((await post()).body).toBe(first.body);
  });

  it('gives two retries racing to recover the same answer, and one compliance item', async () => {
    const [task] = await t.db.db
      .insertInto('maintenance_tasks')
      .values({
        org_id: home.id,
        aircraft_id: (await insertAircraft(t.db.db, { org_id: home.id })).id,
        type: 'inspection',
        start_time: new Date('2031-06-01T08:00:00Z'),
        end_time: new Date('2031-06-01T10:00:00Z'),
      })
      .returning('id')
      .execute();
    const key = newKey();
    const item = { task_id: task!.id, description: `Torque check ${key}` };
    const post = () => t.request(admin, 'POST', '/api/v1/compliance-items', item, withKey(key));
    const first = await post();
    expect(first.statusCode, first.body).toBe(201);
    await forgetResponse(key);

    const retries = await Promise.all([post(), post()]);
    expect(retries.map((r) => [r.statusCode, r.body])).toEqual([
      [201, first.body],
      [201, first.body],
    ]);
    const items = await t.db.db
      .selectFrom('compliance_items')
      .select('id')
      .where('description', '=', item.description)
      .execute();
    expect(items).toHaveLength(1);
  });
});

describe('Idempotency-Key lifetime', () => {
  it('runs the request again once its key has expired', async () => {
    const key = newKey();
    const first = await postOrg(`Expiring Air ${randomUUID().slice(0, 6)}`, key);
    await keyRow(key)
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    const second = await postOrg(`Renewed Air ${randomUUID().slice(0, 6)}`, key);
    expect(second.statusCode).toBe(201);
    expect(replayed(second)).toBeUndefined();
    expect(second.json<{ id: string }>().id).not.toBe(first.json<{ id: string }>().id);
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS with Retry-After while the first request is under 5 minutes old', async () => {
    const key = newKey();
    const body = newUser();
    await postUser(tenantAdmin, body, key);
    // As if the first request were still running after 4 minutes, its change not yet committed.
    await keyRow(key)
      .set({ status_code: 0, response_body: null, created_at: new Date(Date.now() - 4 * 60_000) })
      .execute();
    await t.db.db
      .deleteFrom('idempotency_mutations')
      .where('key_id', 'in', t.db.db.selectFrom('idempotency_keys').select('id').where('key', '=', key))
      .execute();
    const waiting = await postUser(tenantAdmin, body, key);
    expect(waiting.statusCode).toBe(409);
    expect(waiting.json()).toMatchObject({ code: 'conflict', reason: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(waiting.headers['retry-after']).toBe('1');
    expect(await usersNamed(body.email)).toHaveLength(1);
  });

  it('takes over a key whose first request was abandoned more than 5 minutes ago', async () => {
    const key = newKey();
    await t.db.db
      .insertInto('idempotency_keys')
      .values({
        org_id: home.id,
        user_id: tenantAdminId,
        key,
        endpoint: 'POST /api/v1/users',
        request_hash: 'a crashed request',
        created_at: new Date(Date.now() - 6 * 60_000),
        expires_at: new Date(Date.now() + 3_600_000),
      })
      .execute();
    const body = newUser();
    const response = await postUser(tenantAdmin, body, key);
    expect(response.statusCode).toBe(201);
    expect(replayed(response)).toBeUndefined();
    expect(await usersNamed(body.email)).toHaveLength(1);
    expect((await postUser(tenantAdmin, body, key)).body).toBe(response.body);
  });

  it('leaves requests without a key alone: two identical changes both run', async () => {
    const target = await t.createUser(home.id, 'mechanic');
    const patch = () => t.request(tenantAdmin, 'PATCH', `/api/v1/users/${target.id}`, { role: 'auditor' });
    const [first, second] = [await patch(), await patch()];
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect([replayed(first), replayed(second)]).toEqual([undefined, undefined]);
    expect(await auditRows(target.id)).toHaveLength(2);

    const key = newKey();
    const keyed = () =>
      t.request(tenantAdmin, 'PATCH', `/api/v1/users/${target.id}`, { role: 'scheduler' }, withKey(key));
    const [third, fourth] = [await keyed(), await keyed()];
    expect(fourth.body).toBe(third.body);
    expect(await auditRows(target.id)).toHaveLength(3);
  });

  it('cleans up expired keys and only those', async () => {
    const [expired, live] = [newKey(), newKey()];
    await postOrg(`Cleaned Air ${randomUUID().slice(0, 6)}`, expired);
    await postOrg(`Kept Air ${randomUUID().slice(0, 6)}`, live);
    await keyRow(expired)
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .execute();

    const job = expiryCleaner(t.container.uow, new PgIdempotencyStore(t.db.db));
    expect(await job.run()).toMatch(/removed [1-9]\d* expired idempotency keys/);
    const left = await t.db.db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('key', 'in', [expired, live])
      .execute();
    expect(left).toEqual([{ key: live }]);
  });
});
