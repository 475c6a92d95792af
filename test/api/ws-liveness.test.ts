import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { UserActor } from '../../src/app/actor.js';
import { buildServer, createContainer } from '../../src/cmd/container.js';
import { InProcessEventStream } from '../../src/infra/streams/event-stream.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestApp, testKeys, type TestApp } from '../support/app.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { connectAs, publish, testStream } from '../support/ws.js';

const stream = testStream();
let t: TestApp;
let tenant: Tenant;
const dashboardsFor: UserActor[] = [];
beforeAll(async () => {
  t = await createTestApp({}, { liveEvents: { stream, heartbeatMs: 200, maxBufferedBytes: 256 * 1024 } });
  tenant = await createTenant(t);
});
afterAll(() => t.close());

describe('a live connection', () => {
  it('gets a ping and a `heartbeat` message every interval', async () => {
    const client = await connectAs(t, tenant.tokens.auditor);
    let pinged = false;
    client.socket.once('ping', () => (pinged = true));

    expect(await client.next((m) => m.type === 'heartbeat')).toMatchObject({ id: null, data: {} });
    expect(pinged).toBe(true);
    client.close();
  });

  it('is closed with 4003 when it does not answer pings', async () => {
    const client = await connectAs(t, tenant.tokens.auditor, { autoPong: false });

    expect(await client.closed).toMatchObject({ code: 4003 });
  });

  it('is dropped with 4429 when it does not read and its buffer passes the bound', async () => {
    // A replica whose pings come rarely: a paused client answers none, and on a busy machine the
    // filling below could outlast two 200 ms intervals and end the connection with 4003 first.
    const slowPings = await createTestApp(
      {},
      { replicaOf: t, liveEvents: { stream, heartbeatMs: 60_000, maxBufferedBytes: 256 * 1024 } },
    );
    onTestFinished(() => slowPings.close());
    const client = await connectAs(slowPings, tenant.tokens.scheduler);
    client.socket.pause();
    const big = 'x'.repeat(64 * 1024);
    // Batches of 2.5 MB until the hub has dropped it (the kernel's socket buffers take the first ones).
    for (let i = 0; i < 20 && slowPings.container.liveHub.connectionCount(tenant.org.id) > 0; i += 1) {
      const batch = Array.from({ length: 40 }, () => ({
        orgId: tenant.org.id,
        type: 'aircraft_updated',
        data: { big },
      }));
      await publish(slowPings, stream, batch);
      await new Promise((resolve) => setTimeout(resolve, 20)); // lets the hub's own connection read the batch
    }
    client.socket.resume();

    expect(await client.closed).toMatchObject({ code: 4429 });
  });
});

describe('dashboard messages', () => {
  it('are sent to each client with the metrics of its actor (a mechanic their own view)', async () => {
    const app = await createTestApp(
      {},
      {
        replicaOf: t,
        liveEvents: { stream, dashboardMs: 100 },
        dashboard: async (actor) => {
          dashboardsFor.push(actor);
          return { computed_at: new Date().toISOString(), role: actor.role };
        },
      },
    );
    const mechanic = await connectAs(app, tenant.tokens.mechanic);
    const scheduler = await connectAs(app, tenant.tokens.scheduler);

    expect(await mechanic.next((m) => m.type === 'dashboard')).toMatchObject({
      id: null,
      data: { role: 'mechanic' },
    });
    expect(await scheduler.next((m) => m.type === 'dashboard')).toMatchObject({
      data: { role: 'scheduler' },
    });
    mechanic.close();
    scheduler.close();
    await app.close();
  });
});

describe('without Redis (amss dev)', () => {
  it('follows the in-process stream the worker publishes to', async () => {
    const eventStream = new InProcessEventStream();
    const config = loadConfig({ APP_ENV: 'test', BCRYPT_COST: '4', LOG_LEVEL: 'silent' });
    const container = createContainer({
      config,
      logger: createLogger('silent'),
      database: t.db,
      redis: undefined,
      keys: await testKeys(),
      eventStream,
      apiRateLimits: { enabled: false },
    });
    const app = await buildServer(container);
    const embedded = { ...t, app, container };
    const client = await connectAs(embedded, tenant.tokens.scheduler);
    const payload = JSON.stringify({ occurred_at: new Date().toISOString(), data: { tail_number: 'N-DEV' } });
    await eventStream.publish([
      {
        id: randomUUID(),
        orgId: tenant.org.id,
        eventType: 'aircraft_created',
        dedupeKey: 'x',
        payload,
        attemptCount: 0,
        createdAt: new Date(),
      },
    ]);

    expect(await client.next((m) => m.type === 'aircraft_created')).toMatchObject({
      id: eventStream.lastId(),
      data: { tail_number: 'N-DEV' },
    });
    client.close();
    await app.close();
    await container.close();
  });
});
