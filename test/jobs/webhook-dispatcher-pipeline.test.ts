/**
 * The webhook pipeline end to end: the API queues events, the outbox publisher creates the
 * deliveries, the dispatcher sends them to a receiver that checks each signature with its own code.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UndiciWebhookSender } from '../../src/infra/http/webhook-sender.js';
import { PgOutboxQueue } from '../../src/infra/postgres/outbox-queue.js';
import { PgDeliveryQueue } from '../../src/infra/postgres/webhook-deliveries.js';
import { RedisEventStream } from '../../src/infra/streams/event-stream.js';
import { outboxPublisher } from '../../src/jobs/outbox-publisher.js';
import { webhookDispatcher } from '../../src/jobs/webhook-dispatcher.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTenant, type Tenant } from '../support/tenants.js';

interface Received {
  path: string;
  event: string;
  deliveryId: string;
  body: string;
  signatureValid: boolean;
}

let t: TestApp;
let tenant: Tenant;
let server: Server;
let base: string;
const received: Received[] = [];
/** The secret of the webhook behind each receiver path, as the API handed it out once. */
const secrets = new Map<string, string>();
const silent = { info: () => {}, warn: () => {}, error: () => {} };

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = request.url ?? '/';
      const timestamp = String(request.headers['x-webhook-timestamp']);
      const expected = Buffer.from(
        `v1=${createHmac('sha256', secrets.get(path) ?? '')
          .update(`${timestamp}.${body}`)
          .digest('hex')}`,
      );
      const given = Buffer.from(String(request.headers['x-webhook-signature']));
      received.push({
        path,
        event: String(request.headers['x-webhook-event']),
        deliveryId: String(request.headers['x-webhook-delivery-id']),
        body,
        signatureValid: expected.length === given.length && timingSafeEqual(expected, given),
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

async function subscribe(path: string, events: string[]): Promise<string> {
  const response = await t.request(tenant.tokens.tenant_admin, 'POST', '/api/v1/webhooks', {
    url: `${base}${path}`,
    events,
  });
  expect(response.statusCode, response.body).toBe(201);
  const { id, secret } = response.json<{ id: string; secret: string }>();
  secrets.set(path, secret);
  return id;
}

describe('webhook pipeline', () => {
  it('sends each test event, signed, to the tested webhook only, and shows it in its delivery history', async () => {
    const tested = await subscribe('/tested', ['task_created']);
    await subscribe('/everything', ['*']);
    const eventIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await t.request(tenant.tokens.tenant_admin, 'POST', `/api/v1/webhooks/${tested}/test`);
      expect(response.statusCode).toBe(202);
      eventIds.push(response.json<{ event_id: string }>().event_id);
    }

    const run = randomUUID();
    const stream = new RedisEventStream(t.redis, 10_000, {
      events: `test.${run}.events`,
      dlq: `test.${run}.dlq`,
    });
    const publisher = outboxPublisher({
      queue: new PgOutboxQueue(t.db.db),
      stream,
      workerId: 'pipeline-publisher',
      logger: silent,
    });
    const dispatcher = webhookDispatcher({
      queue: new PgDeliveryQueue(t.db.db),
      sender: new UndiciWebhookSender(),
      stream,
      workerId: 'pipeline-dispatcher',
      logger: silent,
    });
    try {
      await publisher.run();
      await dispatcher.run();
    } finally {
      await dispatcher.stop();
    }

    const tests = received.filter((r) => r.event === 'webhook_test');
    expect(tests.map((r) => r.path)).toEqual(['/tested', '/tested']);
    expect(received.every((r) => r.signatureValid)).toBe(true);
    for (const request of tests) {
      expect(JSON.parse(request.body)).toMatchObject({
        event_type: 'webhook_test',
        data: { webhook_id: tested },
      });
    }

    const history = await t.request(
      tenant.tokens.tenant_admin,
      'GET',
      `/api/v1/webhooks/${tested}/deliveries`,
    );
    const deliveries = history.json<{ id: string; event_id: string; status: string; event_type: string }[]>();
    expect(deliveries.map((d) => d.event_id).sort()).toEqual([...eventIds].sort());
    expect(deliveries.every((d) => d.status === 'delivered' && d.event_type === 'webhook_test')).toBe(true);
    expect(tests.map((r) => r.deliveryId).sort()).toEqual(deliveries.map((d) => d.id).sort());
  });
});
