import { credentials, status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskServiceClient } from '../../src/api/grpc/gen/amss.js';
import type { GrpcServer } from '../../src/api/grpc/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft } from '../support/factories.js';
import { createTask, failure, listTasks, startTestGrpc } from '../support/grpc.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let grpc: GrpcServer;
let tasks: TaskServiceClient;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp({}, { rateLimits: { policyCacheTtlMs: 0 } });
  let address: string;
  ({ server: grpc, address } = await startTestGrpc(t));
  tasks = new TaskServiceClient(address, credentials.createInsecure());
  [tenant, other] = [await createTenant(t), await createTenant(t)];
});
afterAll(async () => {
  tasks.close();
  await grpc.close(1000);
  await t.close();
});

interface CreatedKey {
  id: string;
  name: string;
  scope: string;
  hint: string;
  secret: string;
}

let serial = 0;
async function createKey(scope: string, token = tenant.tokens.tenant_admin): Promise<CreatedKey> {
  const response = await t.request(token, 'POST', '/api/v1/api-keys', { name: `key-${++serial}`, scope });
  expect(response.statusCode).toBe(201);
  return response.json<CreatedKey>();
}

const newAircraft = (secret: string) =>
  t.request(secret, 'POST', '/api/v1/aircraft', { tail_number: `K${++serial}`, model: 'A320' });

describe('API keys', () => {
  it('creates a key whose secret works on REST and gRPC, audited as api_key:<name>, listed with its last use', async () => {
    const key = await createKey('scheduler');
    expect(key.secret).toMatch(/^amss_[A-Za-z0-9_-]{43}$/);
    expect(key.hint).toBe(key.secret.slice(0, 13));

    const aircraft = await newAircraft(key.secret);
    expect(aircraft.statusCode).toBe(201);
    await listTasks(tasks, key.secret);
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .select(['actor', 'user_id'])
      .where('entity_id', '=', aircraft.json<{ id: string }>().id)
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ actor: `api_key:${key.name}`, user_id: tenant.userIds.tenant_admin });

    const list = await t.request(tenant.tokens.tenant_admin, 'GET', '/api/v1/api-keys');
    const listed = list.json<Record<string, unknown>[]>().find((k) => k.id === key.id);
    expect(listed).toMatchObject({ name: key.name, scope: 'scheduler', hint: key.hint });
    expect(listed!.last_used_at).toEqual(expect.any(String));
    expect(listed).not.toHaveProperty('secret');
  });

  it('never shows the secret or its hash again: not in the list, the audit rows or the events', async () => {
    const key = await createKey('read_only');
    await t.request(tenant.tokens.tenant_admin, 'DELETE', `/api/v1/api-keys/${key.id}`);
    const list = await t.request(tenant.tokens.tenant_admin, 'GET', '/api/v1/api-keys');
    const rows = await t.db.db
      .selectFrom('audit_logs')
      .select('details')
      .where('entity_id', '=', key.id)
      .execute();
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select('payload')
      .where('aggregate_id', '=', key.id)
      .execute();
    const stored = await t.db.db
      .selectFrom('api_keys')
      .select('secret_hash')
      .where('id', '=', key.id)
      .executeTakeFirstOrThrow();
    expect(rows).toHaveLength(2);
    expect(events).toHaveLength(2);
    for (const text of [list.body, JSON.stringify(rows), JSON.stringify(events)]) {
      expect(text).not.toContain(key.secret.slice(5));
      expect(text).not.toContain(stored.secret_hash);
    }
  });

  it('stops a revoked key at once on REST and gRPC', async () => {
    const key = await createKey('scheduler');
    expect((await t.request(key.secret, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
    const revoked = await t.request(tenant.tokens.tenant_admin, 'DELETE', `/api/v1/api-keys/${key.id}`);
    expect(revoked.statusCode).toBe(204);

    const rest = await t.request(key.secret, 'GET', '/api/v1/aircraft');
    expect(rest.statusCode).toBe(401);
    expect(rest.json()).toMatchObject({ reason: 'INVALID_TOKEN' });
    expect((await failure(listTasks(tasks, key.secret))).code).toBe(status.UNAUTHENTICATED);
    const list = await t.request(tenant.tokens.tenant_admin, 'GET', '/api/v1/api-keys');
    expect(list.json<{ id: string }[]>().map((k) => k.id)).not.toContain(key.id);
  });

  it('lets a read_only key read but not write (403), on REST and gRPC', async () => {
    const key = await createKey('read_only');
    expect((await t.request(key.secret, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
    await listTasks(tasks, key.secret);
    const write = await newAircraft(key.secret);
    expect(write.statusCode).toBe(403);
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const grpcWrite = createTask(tasks, key.secret, aircraft.id);
    expect((await failure(grpcWrite)).code).toBe(status.PERMISSION_DENIED);
  });

  it('refuses a tenant_admin an admin key, and a key the making of keys', async () => {
    const refused = await t.request(tenant.tokens.tenant_admin, 'POST', '/api/v1/api-keys', {
      name: 'root',
      scope: 'admin',
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ reason: 'API_KEY_SCOPE_FORBIDDEN' });
    expect((await createKey('admin', tenant.tokens.admin)).scope).toBe('admin');

    const key = await createKey('tenant_admin');
    const byKey = await t.request(key.secret, 'POST', '/api/v1/api-keys', {
      name: 'successor',
      scope: 'read_only',
    });
    expect(byKey.statusCode).toBe(403);
    expect(byKey.json()).toMatchObject({ reason: 'API_KEY_FORBIDDEN' });
  });

  it("answers 404 for another organization's key and keeps names unique among live keys (409)", async () => {
    const key = await createKey('auditor');
    const foreign = await t.request(other.tokens.tenant_admin, 'DELETE', `/api/v1/api-keys/${key.id}`);
    expect(foreign.statusCode).toBe(404);
    const otherList = await t.request(other.tokens.tenant_admin, 'GET', '/api/v1/api-keys');
    expect(otherList.json<{ id: string }[]>().map((k) => k.id)).not.toContain(key.id);

    const twin = await t.request(tenant.tokens.tenant_admin, 'POST', '/api/v1/api-keys', {
      name: key.name.toUpperCase(),
      scope: 'read_only',
    });
    expect(twin.statusCode).toBe(409);
    expect(twin.json()).toMatchObject({ reason: 'API_KEY_NAME_TAKEN' });
  });

  it("limits each key by the organization's api_key_rate_limit_per_min (429), apart from other keys", async () => {
    const org = await createTenant(t);
    await t.db.db
      .updateTable('org_policies')
      .set({ api_key_rate_limit_per_min: 2 })
      .where('org_id', '=', org.org.id)
      .execute();
    const [first, second] = [
      await createKey('read_only', org.tokens.tenant_admin),
      await createKey('read_only', org.tokens.tenant_admin),
    ];
    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await t.request(first.secret, 'GET', '/api/v1/aircraft')).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await t.request(first.secret, 'GET', '/api/v1/aircraft');
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    expect(limited.headers['x-ratelimit-limit']).toBe('2');
    expect((await t.request(second.secret, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
  });

  it("refuses a sign-off made with a mechanic-scoped key: a signature is a person's (403)", async () => {
    const key = await createKey('mechanic');
    const response = await t.request(
      key.secret,
      'PATCH',
      `/api/v1/compliance-items/${tenant.org.id}/sign-off`,
      {},
    );
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ reason: 'API_KEY_FORBIDDEN' });
  });

  it('replays a retried create with the same Idempotency-Key instead of making a second key', async () => {
    const headers = { 'idempotency-key': `create-key-${++serial}` };
    const body = { name: `retried-${serial}`, scope: 'read_only' };
    const first = await t.request(tenant.tokens.tenant_admin, 'POST', '/api/v1/api-keys', body, headers);
    const retry = await t.request(tenant.tokens.tenant_admin, 'POST', '/api/v1/api-keys', body, headers);
    expect(first.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    const rows = await t.db.db.selectFrom('api_keys').select('id').where('name', '=', body.name).execute();
    expect(rows).toHaveLength(1);
  });

  it('answers a retry after a crash between commit and response with the secret that was stored, which works', async () => {
    const headers = { 'idempotency-key': `crashed-key-${++serial}` };
    const body = { name: `crashed-${serial}`, scope: 'read_only' };
    const post = () => t.request(tenant.tokens.tenant_admin, 'POST', '/api/v1/api-keys', body, headers);
    expect((await post()).statusCode).toBe(201);
    // As if the process died after the key's insert committed, before its response was stored.
    await t.db.db
      .updateTable('idempotency_keys')
      .set({ status_code: 0, response_body: null, response_headers: null })
      .where('key', '=', headers['idempotency-key'])
      .execute();

    const retry = await post();
    expect(retry.statusCode, retry.body).toBe(201);
    const { secret } = retry.json<CreatedKey>();
    expect((await t.request(secret, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
  });

  it('stops a key whose owner is deleted', async () => {
    const owner = await t.createUser(tenant.org.id, 'tenant_admin');
    const key = await createKey('read_only', await t.tokenFor(owner));
    expect((await t.request(key.secret, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
    await t.request(tenant.tokens.admin, 'DELETE', `/api/v1/users/${owner.id}`);
    expect((await t.request(key.secret, 'GET', '/api/v1/aircraft')).statusCode).toBe(401);
  });
});

describe('API key secrets and the logs', () => {
  it('never writes a key secret to the log, from its creation to its last use', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    const app = await createTestApp({}, { logger });
    try {
      const org = await app.createOrg();
      const admin = await app.tokenFor(await app.createUser(org.id, 'tenant_admin'));
      const created = await app.request(admin, 'POST', '/api/v1/api-keys', {
        name: 'logged',
        scope: 'read_only',
      });
      const secret = created.json<CreatedKey>().secret;
      expect((await app.request(secret, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
      expect((await app.request(`${secret}x`, 'GET', '/api/v1/aircraft')).statusCode).toBe(401);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toContain(secret.slice(5));
    } finally {
      await app.close();
    }
  });
});
