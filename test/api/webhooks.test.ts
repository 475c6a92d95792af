import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppError } from '../../src/app/errors.js';
import { WebhookService } from '../../src/app/webhooks.js';
import type { UserActor } from '../../src/app/actor.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertOutboxEvent, insertWebhook, insertWebhookDelivery } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
  other = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

interface WebhookJson {
  id: string;
  org_id: string;
  url: string;
  events: string[];
  secret?: string;
}

const admin = () => home.tokens.tenant_admin;
const create = (body: Record<string, unknown>, token = admin(), headers?: Record<string, string>) =>
  t.request(
    token,
    'POST',
    '/api/v1/webhooks',
    { url: 'https://hooks.example.com/amss', events: ['*'], ...body },
    headers,
  );
const createdWebhook = async (body: Record<string, unknown> = {}) => {
  const response = await create(body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<WebhookJson>();
};
const auditRowsOf = (entityId: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('entity_id', '=', entityId)
    .orderBy('timestamp')
    .execute();
const eventsOf = (aggregateId: string) =>
  t.db.db
    .selectFrom('outbox_events')
    .selectAll()
    .where('aggregate_id', '=', aggregateId)
    .orderBy('created_at')
    .execute();
const rowCounts = async () => {
  const row = await sql<{ webhooks: number; audit: number; outbox: number }>`
    SELECT (SELECT count(*) FROM webhooks)::int AS webhooks, (SELECT count(*) FROM audit_logs)::int AS audit,
           (SELECT count(*) FROM outbox_events)::int AS outbox`.execute(t.db.db);
  return row.rows[0];
};

describe('creating webhooks', () => {
  it('answers 201 with the secret once, stores it, and audits and publishes the webhook without it', async () => {
    const response = await create({
      url: 'https://hooks.example.com/a',
      events: ['task_created', 'part_reserved', 'task_created'],
    });
    expect(response.statusCode).toBe(201);
    const webhook = response.json<WebhookJson>();
    expect(response.headers.location).toBe(`/api/v1/webhooks/${webhook.id}`);
    expect(webhook).toMatchObject({
      org_id: home.org.id,
      url: 'https://hooks.example.com/a',
      events: ['task_created', 'part_reserved'],
    });
    expect(webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    const stored = await t.db.db
      .selectFrom('webhooks')
      .select('secret')
      .where('id', '=', webhook.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret).toBe(webhook.secret);

    const audit = await auditRowsOf(webhook.id);
    expect(audit.map((row) => [row.entity_type, row.action])).toEqual([['webhook', 'create']]);
    expect(JSON.stringify(audit[0]!.details)).not.toContain(webhook.secret);
    const events = await eventsOf(webhook.id);
    expect(events.map((event) => event.event_type)).toEqual(['webhook_created']);
    expect(JSON.stringify(events[0]!.payload)).not.toContain(webhook.secret);
  });

  it('never shows the secret again: not in the list, not in the webhook', async () => {
    const webhook = await createdWebhook();
    const list = await t.request(admin(), 'GET', '/api/v1/webhooks?limit=200');
    expect(list.statusCode).toBe(200);
    const listed = list.json<WebhookJson[]>();
    expect(listed.map((w) => w.id)).toContain(webhook.id);
    expect(list.body).not.toContain(webhook.secret);
    expect(listed.every((w) => !('secret' in w))).toBe(true);
    const one = await t.request(admin(), 'GET', `/api/v1/webhooks/${webhook.id}`);
    expect(one.json()).not.toHaveProperty('secret');
    expect(one.json()).toMatchObject({ id: webhook.id, url: webhook.url });
  });

  it('replays an Idempotency-Key with the same webhook and secret, creating one webhook', async () => {
    const headers = { 'idempotency-key': `create-${randomUUID()}` };
    const first = await create({ url: 'https://hooks.example.com/idem' }, admin(), headers);
    const again = await create({ url: 'https://hooks.example.com/idem' }, admin(), headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    const rows = await t.db.db
      .selectFrom('webhooks')
      .select('id')
      .where('url', '=', 'https://hooks.example.com/idem')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses bad URLs and events with 400 naming the field, writing nothing', async () => {
    const before = await rowCounts();
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ url: 'ftp://hooks.example.com/x' }, 'body.url', 'INVALID_WEBHOOK_URL'],
      [{ url: 'hooks.example.com' }, 'body.url', 'INVALID_WEBHOOK_URL'],
      [{ url: 'https://user:pw@hooks.example.com/' }, 'body.url', 'INVALID_WEBHOOK_URL'],
      [{ url: '' }, 'body.url'],
      [{ url: undefined }, 'body.url'],
      [{ events: [] }, 'body.events'],
      [{ events: ['task_created', 'task_exploded'] }, 'body.events', 'INVALID_WEBHOOK_EVENTS'],
      [{ events: 'task_created' }, 'body.events'],
      [{ secret: 'mine' }, 'body.secret'],
    ];
    for (const [body, field, reason] of cases) {
      const response = await create(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      const error = response.json<{ reason: string; details: { field: string }[] }>();
      expect(
        error.details.map((d) => d.field),
        JSON.stringify(body),
      ).toContain(field);
      if (reason) expect(error.reason).toBe(reason);
    }
    expect(await rowCounts()).toEqual(before);
  });
});

describe('production URL rules', () => {
  const actor = (): UserActor => ({
    kind: 'user',
    userId: home.userIds.tenant_admin,
    orgId: home.org.id,
    role: 'tenant_admin',
    scopes: [],
  });
  const service = (addresses: Record<string, string[]>) =>
    new WebhookService({
      uow: t.container.uow,
      urlRules: { publicHttpsOnly: true },
      resolveHost: async (host) => addresses[host] ?? Promise.reject(new Error('ENOTFOUND')),
    });
  const refusal = async (svc: WebhookService, url: string) => {
    try {
      await svc.create({ actor: actor() }, { url, events: ['*'] });
    } catch (error) {
      return error as AppError;
    }
    throw new Error(`${url} was accepted`);
  };

  it('accepts https to a host whose addresses are all public', async () => {
    const svc = service({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'] });
    const { webhook, secret } = await svc.create(
      { actor: actor() },
      { url: 'https://hooks.example.com/p', events: ['*'] },
    );
    expect(webhook.url).toBe('https://hooks.example.com/p');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses http, non-public literal addresses and hosts that resolve to one, as 400 INVALID_WEBHOOK_URL', async () => {
    const svc = service({
      'internal.example.com': ['93.184.216.34', '10.0.0.7'],
      'meta.example.com': ['169.254.169.254'],
    });
    const cases: [string, RegExp][] = [
      ['http://hooks.example.com/p', /https in production/],
      ['https://127.0.0.1/p', /loopback/],
      ['https://10.2.3.4/p', /private/],
      ['https://[fd12::1]/p', /unique-local/],
      ['https://100.64.1.1/p', /carrier-grade NAT/],
      ['https://0.0.0.0/p', /unspecified/],
      ['https://internal.example.com/p', /resolves to a private address \(10\.0\.0\.7\)/],
      ['https://meta.example.com/p', /resolves to a link-local address/],
      ['https://nowhere.example.com/p', /does not resolve/],
    ];
    for (const [url, message] of cases) {
      const error = await refusal(svc, url);
      expect(error.kind, url).toBe('validation');
      expect(error.reason).toBe('INVALID_WEBHOOK_URL');
      expect(error.details).toEqual([
        { field: 'body.url', message: expect.stringMatching(message) as unknown },
      ]);
    }
  });
});

describe('deleting webhooks', () => {
  it('soft-deletes: gone from reads, its pending deliveries failed, its history still readable, audited', async () => {
    const webhook = await createdWebhook();
    const delivered = await insertWebhookDelivery(t.db.db, {
      webhook_id: webhook.id,
      status: 'delivered',
      attempt_count: 1,
      delivered_at: new Date(),
    });
    const pending = await insertWebhookDelivery(t.db.db, { webhook_id: webhook.id });

    const response = await t.request(admin(), 'DELETE', `/api/v1/webhooks/${webhook.id}`);
    expect(response.statusCode).toBe(204);
    expect((await t.request(admin(), 'GET', `/api/v1/webhooks/${webhook.id}`)).statusCode).toBe(404);
    expect((await t.request(admin(), 'DELETE', `/api/v1/webhooks/${webhook.id}`)).statusCode).toBe(404);
    const listed = (await t.request(admin(), 'GET', '/api/v1/webhooks?limit=200')).json<WebhookJson[]>();
    expect(listed.map((w) => w.id)).not.toContain(webhook.id);

    const history = await t.request(admin(), 'GET', `/api/v1/webhooks/${webhook.id}/deliveries`);
    expect(history.statusCode).toBe(200);
    const byId = Object.fromEntries(
      history.json<{ id: string; status: string; last_error: string | null }[]>().map((d) => [d.id, d]),
    );
    expect(byId[delivered.id]).toMatchObject({ status: 'delivered', last_error: null });
    expect(byId[pending.id]).toMatchObject({
      status: 'failed',
      last_error: expect.stringMatching(/webhook was deleted/) as unknown,
    });

    expect((await auditRowsOf(webhook.id)).map((row) => row.action)).toEqual(['create', 'delete']);
    expect((await eventsOf(webhook.id)).map((event) => event.event_type)).toEqual([
      'webhook_created',
      'webhook_deleted',
    ]);
  });
});

describe('testing webhooks', () => {
  it('queues a new webhook_test event for this webhook on every call, audited, answering 202', async () => {
    const webhook = await createdWebhook({ events: ['task_created'] });
    const first = await t.request(admin(), 'POST', `/api/v1/webhooks/${webhook.id}/test`);
    const second = await t.request(admin(), 'POST', `/api/v1/webhooks/${webhook.id}/test`);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    const ids = [first.json<{ event_id: string }>().event_id, second.json<{ event_id: string }>().event_id];
    expect(new Set(ids).size).toBe(2);
    expect(first.json()).toEqual({ event_id: ids[0], webhook_id: webhook.id });

    const events = await t.db.db.selectFrom('outbox_events').selectAll().where('id', 'in', ids).execute();
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event).toMatchObject({ org_id: home.org.id, event_type: 'webhook_test', status: 'pending' });
      expect(event.payload).toMatchObject({
        version: 1,
        event_type: 'webhook_test',
        data: { webhook_id: webhook.id },
      });
    }
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_type', '=', 'webhook_test')
      .where(sql<boolean>`details -> 'after' ->> 'webhook_id' = ${webhook.id}`)
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ action: 'create', user_id: home.userIds.tenant_admin });
  });

  it('answers 404 for a deleted webhook and queues nothing', async () => {
    const webhook = await createdWebhook();
    await t.request(admin(), 'DELETE', `/api/v1/webhooks/${webhook.id}`);
    const before = await rowCounts();
    expect((await t.request(admin(), 'POST', `/api/v1/webhooks/${webhook.id}/test`)).statusCode).toBe(404);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('delivery history', () => {
  it('lists deliveries newest first with their attempt state, filterable by status and paginated', async () => {
    const webhook = await createdWebhook();
    const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 0, minutes));
    const event = await insertOutboxEvent(t.db.db, { org_id: home.org.id, event_type: 'part_reserved' });
    const oldest = await insertWebhookDelivery(t.db.db, {
      webhook_id: webhook.id,
      created_at: at(1),
      status: 'failed',
      attempt_count: 10,
      last_error: 'the endpoint answered 500; gave up after 10 attempts',
      last_response_code: 500,
    });
    const middle = await insertWebhookDelivery(t.db.db, {
      webhook_id: webhook.id,
      event_id: event.id,
      created_at: at(2),
      status: 'delivered',
      attempt_count: 2,
      last_response_code: 200,
      delivered_at: at(3),
    });
    const newest = await insertWebhookDelivery(t.db.db, {
      webhook_id: webhook.id,
      created_at: at(4),
      attempt_count: 1,
      next_attempt_at: at(9),
      last_error: 'no answer within 10000 ms (timeout)',
    });

    const all = await t.request(admin(), 'GET', `/api/v1/webhooks/${webhook.id}/deliveries`);
    expect(all.json<{ id: string }[]>().map((d) => d.id)).toEqual([newest.id, middle.id, oldest.id]);
    expect(all.json<unknown[]>()[1]).toEqual({
      id: middle.id,
      webhook_id: webhook.id,
      event_id: event.id,
      event_type: 'part_reserved',
      status: 'delivered',
      attempt_count: 2,
      next_attempt_at: null,
      last_response_code: 200,
      last_error: null,
      created_at: at(2).toISOString(),
      delivered_at: at(3).toISOString(),
    });
    expect(all.json<unknown[]>()[0]).toMatchObject({
      status: 'pending',
      next_attempt_at: at(9).toISOString(),
    });

    const failed = await t.request(admin(), 'GET', `/api/v1/webhooks/${webhook.id}/deliveries?status=failed`);
    expect(failed.json<{ id: string }[]>().map((d) => d.id)).toEqual([oldest.id]);

    const page = await t.request(admin(), 'GET', `/api/v1/webhooks/${webhook.id}/deliveries?limit=2`);
    expect(page.json<unknown[]>()).toHaveLength(2);
    expect(page.headers.link).toBe(
      `</api/v1/webhooks/${webhook.id}/deliveries?limit=2&offset=2>; rel="next"`,
    );

    expect(
      (await t.request(admin(), 'GET', `/api/v1/webhooks/${webhook.id}/deliveries?status=lost`)).statusCode,
    ).toBe(400);
  });
});

describe('tenant isolation', () => {
  it("answers another org's webhook like an unknown id: 404 everywhere, nothing changed", async () => {
    const foreign = await insertWebhook(t.db.db, { org_id: other.org.id });
    for (const id of [foreign.id, randomUUID()]) {
      for (const [method, path] of [
        ['GET', `/webhooks/${id}`],
        ['DELETE', `/webhooks/${id}`],
        ['POST', `/webhooks/${id}/test`],
        ['GET', `/webhooks/${id}/deliveries`],
      ] as const) {
        const response = await t.request(admin(), method, `/api/v1${path}`);
        expect(response.statusCode, `${method} ${path}`).toBe(404);
        expect(response.json()).toMatchObject({ code: 'not_found', reason: 'WEBHOOK_NOT_FOUND' });
      }
    }
    const list = (await t.request(admin(), 'GET', '/api/v1/webhooks?limit=200')).json<WebhookJson[]>();
    expect(list.map((w) => w.id)).not.toContain(foreign.id);
    const row = await t.db.db
      .selectFrom('webhooks')
      .select('deleted_at')
      .where('id', '=', foreign.id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).toBeNull();
  });

  it('lets the system admin manage the webhooks of another org named with org_id', async () => {
    const response = await create({ url: 'https://hooks.example.com/cross' }, home.tokens.admin, {});
    expect(response.json()).toMatchObject({ org_id: home.org.id });
    const created = await t.request(home.tokens.admin, 'POST', `/api/v1/webhooks?org_id=${other.org.id}`, {
      url: 'https://hooks.example.com/other',
      events: ['*'],
    });
    expect(created.statusCode).toBe(201);
    const webhook = created.json<WebhookJson>();
    expect(webhook.org_id).toBe(other.org.id);
    expect(created.headers.location).toBe(`/api/v1/webhooks/${webhook.id}?org_id=${other.org.id}`);
    expect(
      (await t.request(other.tokens.tenant_admin, 'GET', `/api/v1/webhooks/${webhook.id}`)).statusCode,
    ).toBe(200);
    expect((await t.request(admin(), 'GET', `/api/v1/webhooks?org_id=${other.org.id}`)).statusCode).toBe(403);
  });

  it('refuses a malformed id with 400', async () => {
    expect((await t.request(admin(), 'GET', '/api/v1/webhooks/not-a-uuid')).statusCode).toBe(400);
  });
});
