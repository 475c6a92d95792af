import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_COMPLIANCE_ITEM, DEMO_PASSWORD, DEMO_USERS, seedDemoData } from '../../src/app/demo-data.js';
import { generateDevKeyPair } from '../../src/auth/keys.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { buildServer, createContainer, type Container } from '../../src/cmd/container.js';
import { loadConfig } from '../../src/config/config.js';
import { IN_MEMORY, openEmbeddedDatabase } from '../../src/infra/embedded/pglite.js';
import type { DatabaseHandle } from '../../src/infra/postgres/database.js';
import { migrateToLatest } from '../../src/infra/postgres/migrator.js';
import { createLogger } from '../../src/observability/logger.js';

// `amss dev` with no DB_URL and no REDIS_ADDR: PGlite, in-process limiter, ephemeral keys.
// PGlite takes seconds to start and hundreds of MB, so the whole file shares one instance.
let database: DatabaseHandle;
let container: Container;
let app: FastifyInstance;
let demoOrgId: string;
const seed = () => seedDemoData(container.uow, (plain) => hashPassword(plain, 4));

beforeAll(async () => {
  database = await openEmbeddedDatabase(IN_MEMORY);
  await migrateToLatest(database.db);
  const config = loadConfig({ BCRYPT_COST: '4', LOG_LEVEL: 'silent' });
  const logger = createLogger(config.logLevel);
  container = createContainer({
    config,
    logger,
    database,
    redis: undefined,
    keys: await generateDevKeyPair(),
  });
  demoOrgId = (await seed()).orgId;
  app = await buildServer(container);
  await app.ready();
}, 60_000);
afterAll(async () => {
  await app?.close();
  await database?.close();
}, 60_000);

interface Pair {
  access_token: string;
  refresh_token: string;
}
const login = (email: string, password = DEMO_PASSWORD) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
const as = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

describe('amss dev on embedded PostgreSQL without Redis', () => {
  it('is ready with only PostgreSQL checked', async () => {
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: { postgres: 'ok' } });
  });

  it('signs the demo scheduler in without org_id, tells who it is, and refreshes', async () => {
    const response = await login('scheduler@demo.local');
    expect(response.statusCode).toBe(200);
    const pair = response.json<Pair>();
    const me = await as(pair.access_token, 'GET', '/api/v1/auth/me');
    expect(me.json()).toMatchObject({ email: 'scheduler@demo.local', role: 'scheduler', org_id: demoOrgId });

    const refreshed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: pair.refresh_token },
    });
    expect(refreshed.statusCode).toBe(200);
    expect((await as(refreshed.json<Pair>().access_token, 'GET', '/api/v1/auth/me')).statusCode).toBe(200);
  });

  it('shows the qualification features on the demo data: a qualified, free mechanic and an inspection by the inspector', async () => {
    const scheduler = (await login('scheduler@demo.local')).json<Pair>().access_token;
    const tasks = (await as(scheduler, 'GET', '/api/v1/maintenance-tasks')).json<
      { id: string; notes: string }[]
    >();
    const aCheck = tasks.find((task) => task.notes === DEMO_COMPLIANCE_ITEM.taskNotes)!;
    const dialog = await as(scheduler, 'GET', `/api/v1/qualified-mechanics?task_id=${aCheck.id}`);
    expect(dialog.statusCode, dialog.body).toBe(200);
    expect(dialog.json<unknown[]>()).toContainEqual(
      expect.objectContaining({ email: 'mechanic@demo.local', qualified: true, free: true }),
    );

    const items = await as(scheduler, 'GET', `/api/v1/compliance-items?task_id=${aCheck.id}`);
    const item = items
      .json<{ id: string; description: string; requires_inspection: boolean }[]>()
      .find((candidate) => candidate.description === DEMO_COMPLIANCE_ITEM.description)!;
    expect(item.requires_inspection).toBe(true);
    const mechanic = (await login('mechanic@demo.local')).json<Pair>().access_token;
    const signed = await app.inject({
      method: 'PATCH',
      url: `/api/v1/compliance-items/${item.id}/sign-off`,
      headers: { authorization: `Bearer ${mechanic}` },
      payload: { result: 'pass', password: DEMO_PASSWORD },
    });
    expect(signed.json()).toMatchObject({ signed_off: true, inspection_pending: true });
    const inspector = (await login('inspector@demo.local')).json<Pair>().access_token;
    const inspected = await as(inspector, 'POST', `/api/v1/compliance-items/${item.id}/inspect`, {
      password: DEMO_PASSWORD,
    });
    expect(inspected.statusCode, inspected.body).toBe(200);
    expect(inspected.json()).toMatchObject({ inspection_pending: false, inspection_meaning: 'inspected' });
  });

  it('locks an email out after 5 wrong passwords, even for the right one', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await login('mechanic@demo.local', 'Wrong-Password-1')).statusCode).toBe(401);
    }
    const locked = await login('mechanic@demo.local');
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('lets the tenant admin create a user and list the organization’s users', async () => {
    const token = (await login('tenant-admin@demo.local')).json<Pair>().access_token;
    const created = await as(token, 'POST', '/api/v1/users', {
      email: 'new.mechanic@demo.local',
      role: 'mechanic',
      password: 'Torque-Wrench-77',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ org_id: demoOrgId, email: 'new.mechanic@demo.local' });
    const listed = await as(token, 'GET', '/api/v1/users');
    const emails = listed.json<{ email: string }[]>().map((u) => u.email);
    expect(emails).toEqual(
      expect.arrayContaining([...DEMO_USERS.map((u) => u.email), 'new.mechanic@demo.local']),
    );
    expect((await login('new.mechanic@demo.local', 'Torque-Wrench-77')).statusCode).toBe(200);
  });

  it('creates nothing when the demo data is seeded again', async () => {
    const count = async () =>
      (await database.db.selectFrom('users').select('id').execute()).length +
      (await database.db.selectFrom('organizations').select('id').execute()).length;
    const before = await count();
    expect(await seed()).toEqual({ orgId: demoOrgId, created: 0 });
    expect(await count()).toBe(before);
  });
});
