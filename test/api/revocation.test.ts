import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TaskServiceClient } from '../../src/api/grpc/gen/amss.js';
import type { GrpcServer } from '../../src/api/grpc/server.js';
import { TokenIssuer } from '../../src/auth/jwt.js';
import { createTestApp, TEST_PASSWORD, testKeys, type TestApp } from '../support/app.js';
import { insertAircraft } from '../support/factories.js';
import { createTask, failure, listTasks, startTestGrpc } from '../support/grpc.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let grpc: GrpcServer;
let tasks: TaskServiceClient;
let tenant: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  let address: string;
  ({ server: grpc, address } = await startTestGrpc(t));
  tasks = new TaskServiceClient(address, credentials.createInsecure());
  tenant = await createTenant(t);
});
afterAll(async () => {
  tasks.close();
  await grpc.close(1000);
  await t.close();
});

/** A user of the tenant with a fresh token, whose state the server has just cached by serving it. */
async function signedIn(role: 'scheduler' | 'mechanic' = 'scheduler') {
  const user = await t.createUser(tenant.org.id, role);
  const token = await t.tokenFor(user);
  expect((await t.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
  return { user, token };
}

const createTaskFor = async (token: string) =>
  createTask(tasks, token, (await insertAircraft(t.db.db, { org_id: tenant.org.id })).id);

const newAircraft = (token: string) =>
  t.request(token, 'POST', '/api/v1/aircraft', { tail_number: `N${Date.now() % 1e6}`, model: 'A320' });

describe('revocation', () => {
  it("refuses a deleted user's access token at once, on REST and gRPC", async () => {
    const { user, token } = await signedIn();
    await listTasks(tasks, token);
    const deleted = await t.request(tenant.tokens.tenant_admin, 'DELETE', `/api/v1/users/${user.id}`);
    expect(deleted.statusCode).toBe(204);

    const rest = await newAircraft(token);
    expect(rest.statusCode).toBe(401);
    expect(rest.json()).toMatchObject({ code: 'auth', reason: 'INVALID_TOKEN' });
    expect((await failure(listTasks(tasks, token))).code).toBe(status.UNAUTHENTICATED);
  });

  it('gives a scheduler demoted to auditor the rights of an auditor at once, on REST and gRPC', async () => {
    const { user, token } = await signedIn();
    const demoted = await t.request(tenant.tokens.tenant_admin, 'PATCH', `/api/v1/users/${user.id}`, {
      role: 'auditor',
    });
    expect(demoted.statusCode).toBe(200);

    const rest = await newAircraft(token);
    expect(rest.statusCode).toBe(403);
    expect(rest.json()).toMatchObject({ code: 'forbidden' });
    expect((await failure(createTaskFor(token))).code).toBe(status.PERMISSION_DENIED);
    expect((await t.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
  });

  it('signs a user out everywhere when their password changes, and the new password signs in', async () => {
    const user = await t.createUser(tenant.org.id, 'mechanic');
    // Issued a minute ago: token times are whole seconds, so only tokens of earlier seconds can be told apart.
    const earlier = new TokenIssuer({ keys: await testKeys(), now: () => new Date(Date.now() - 60_000) });
    const token = await earlier.signAccessToken({ sub: user.id, org_id: tenant.org.id, role: 'mechanic' });
    expect((await t.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);

    const changed = await t.request(tenant.tokens.tenant_admin, 'PATCH', `/api/v1/users/${user.id}`, {
      password: `${TEST_PASSWORD}-new`,
    });
    expect(changed.statusCode).toBe(200);

    expect((await t.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(401);
    expect((await failure(listTasks(tasks, token))).code).toBe(status.UNAUTHENTICATED);
    const login = await t.request(undefined, 'POST', '/api/v1/auth/login', {
      org_id: tenant.org.id,
      email: user.email,
      password: `${TEST_PASSWORD}-new`,
    });
    const fresh = login.json<{ access_token: string }>().access_token;
    expect((await t.request(fresh, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
  });

  it('refuses a token signed a moment before a password change, even within the same second', async () => {
    const user = await t.createUser(tenant.org.id, 'mechanic');
    const now = Date.now();
    // Signed at the start of this second, the change comes later in the same second (or the next one).
    const sameSecond = new TokenIssuer({ keys: await testKeys(), now: () => new Date(now - (now % 1000)) });
    const token = await sameSecond.signAccessToken({ sub: user.id, org_id: tenant.org.id, role: 'mechanic' });
    expect((await t.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);

    const changed = await t.request(tenant.tokens.tenant_admin, 'PATCH', `/api/v1/users/${user.id}`, {
      password: `${TEST_PASSWORD}-new`,
    });
    expect(changed.statusCode).toBe(200);
    expect((await t.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(401);
  });

  it("refuses the tokens of a deleted organization's users at once, on REST and gRPC", async () => {
    const doomed = await createTenant(t);
    const token = doomed.tokens.scheduler;
    expect((await t.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
    const deleted = await t.request(tenant.tokens.admin, 'DELETE', `/api/v1/organizations/${doomed.org.id}`);
    expect(deleted.statusCode).toBe(204);

    expect((await t.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(401);
    expect((await failure(listTasks(tasks, token))).code).toBe(status.UNAUTHENTICATED);
  });
});

describe('revocation on another replica', () => {
  it('reaches a replica sharing the database and Redis through the announcement, long before its cache expires', async () => {
    // The replica trusts cached state for a minute: only the announcement can make it refuse sooner.
    const replica = await createTestApp({}, { replicaOf: t, principalCache: { ttlMs: 60_000 } });
    try {
      const { user, token } = await signedIn();
      expect((await replica.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);

      await t.request(tenant.tokens.tenant_admin, 'DELETE', `/api/v1/users/${user.id}`);
      await vi.waitFor(async () => {
        expect((await replica.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(401);
      });
    } finally {
      await replica.close();
    }
  });

  it('still refuses within the cache TTL a change no announcement reached (Redis away)', async () => {
    let now = Date.parse('2031-01-01T00:00:00Z');
    const replica = await createTestApp(
      {},
      { replicaOf: t, principalCache: { ttlMs: 5_000, now: () => now } },
    );
    try {
      const { user, token } = await signedIn();
      expect((await replica.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(200);
      // Deleted behind the server's back: nobody announces it.
      await t.db.db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', user.id).execute();

      now += 5_001;
      expect((await replica.request(token, 'GET', '/api/v1/aircraft')).statusCode).toBe(401);
    } finally {
      await replica.close();
    }
  });
});
