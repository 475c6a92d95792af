import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertTask } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { connectAs, publish, testStream } from '../support/ws.js';

const stream = testStream();
let t: TestApp;
let replica: TestApp;
let tenant: Tenant;
let other: Tenant;
beforeAll(async () => {
  t = await createTestApp({}, { liveEvents: { stream } });
  replica = await createTestApp({}, { replicaOf: t, liveEvents: { stream } });
  tenant = await createTenant(t);
  other = await createTenant(t);
});
afterAll(async () => {
  await replica.close();
  await t.close();
});

const aircraftEvent = (orgId: string, tail: string) => ({
  orgId,
  type: 'aircraft_status_updated',
  data: { tail_number: tail },
});

describe('live events', () => {
  it('arrive as {id, type, occurred_at, data} with the stream id, and never from another organization', async () => {
    const client = await connectAs(t, tenant.tokens.scheduler);
    const [, id] = await publish(t, stream, [
      aircraftEvent(other.org.id, 'N-OTHER'),
      aircraftEvent(tenant.org.id, 'N-OURS'),
    ]);

    const message = await client.next((m) => m.type !== 'authenticated');

    expect(message).toMatchObject({ id, type: 'aircraft_status_updated', data: { tail_number: 'N-OURS' } });
    expect(Date.parse(message.occurred_at)).not.toBeNaN();
    client.close();
  });

  it('are not sent for types outside the live set (users, webhooks)', async () => {
    const client = await connectAs(t, tenant.tokens.admin);
    await publish(t, stream, [
      { orgId: tenant.org.id, type: 'user_created', data: {} },
      aircraftEvent(tenant.org.id, 'N-AFTER'),
    ]);

    expect((await client.next((m) => m.type !== 'authenticated')).type).toBe('aircraft_status_updated');
    client.close();
  });

  it('reach a mechanic only for their own tasks and alerts (looked up when the event names only the task)', async () => {
    const me = tenant.userIds.mechanic;
    const myTask = await insertTask(t.db.db, { org_id: tenant.org.id, assigned_mechanic_id: me });
    const mechanic = await connectAs(t, tenant.tokens.mechanic);
    const scheduler = await connectAs(t, tenant.tokens.scheduler);
    await publish(t, stream, [
      {
        orgId: tenant.org.id,
        type: 'task_state_changed',
        data: { id: 'a', assigned_mechanic_id: 'someone-else' },
      },
      aircraftEvent(tenant.org.id, 'N-NOT-FOR-MECHANICS'),
      { orgId: tenant.org.id, type: 'alert_raised', data: { id: 'b', user_id: null } },
      { orgId: tenant.org.id, type: 'task_state_changed', data: { id: 'c', assigned_mechanic_id: me } },
      { orgId: tenant.org.id, type: 'task_rescheduled', data: { task_id: myTask.id } },
      { orgId: tenant.org.id, type: 'alert_raised', data: { id: 'd', user_id: me } },
    ]);

    const last = await scheduler.next((m) => m.data.id === 'd');
    expect(last.type).toBe('alert_raised');
    const received = [
      await mechanic.next((m) => m.type !== 'authenticated'),
      await mechanic.next(),
      await mechanic.next(),
    ];
    expect(received.map((m) => m.data.id ?? m.data.task_id)).toEqual(['c', myTask.id, 'd']);
    expect(scheduler.messages.filter((m) => m.id !== null)).toHaveLength(6);
    mechanic.close();
    scheduler.close();
  });

  it('made through one server instance reach a client of another on the same Redis', async () => {
    const client = await connectAs(replica, tenant.tokens.auditor);
    const response = await t.request(tenant.tokens.scheduler, 'POST', '/api/v1/aircraft', {
      tail_number: `N${Date.now() % 100000}`,
      model: 'A320',
    });
    expect(response.statusCode).toBe(201);
    // What the outbox publisher does on the worker: the committed event onto the stream.
    const row = await t.db.db
      .selectFrom('outbox_events')
      .select('payload')
      .where('org_id', '=', tenant.org.id)
      .where('event_type', '=', 'aircraft_created')
      .executeTakeFirstOrThrow();
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      data: Record<string, unknown>;
    };
    await publish(t, stream, [{ orgId: tenant.org.id, type: 'aircraft_created', data: payload.data }]);

    const message = await client.next((m) => m.type === 'aircraft_created');
    expect(message.data.id).toBe(response.json<{ id: string }>().id);
    client.close();
  });

  it('missed while disconnected are sent on reconnect with last_id, then live ones', async () => {
    const first = await connectAs(t, tenant.tokens.scheduler);
    const [seen] = await publish(t, stream, [aircraftEvent(tenant.org.id, 'N-SEEN')]);
    await first.next((m) => m.id === seen);
    first.close();
    const missed = await publish(t, stream, [
      aircraftEvent(tenant.org.id, 'N-MISSED-1'),
      aircraftEvent(tenant.org.id, 'N-MISSED-2'),
    ]);

    const again = await connectAs(replica, tenant.tokens.scheduler, { query: `last_id=${seen}` });
    const [live] = await publish(t, stream, [aircraftEvent(tenant.org.id, 'N-LIVE')]);
    await again.next((m) => m.id === live);

    expect(again.messages.filter((m) => m.id !== null).map((m) => m.id)).toEqual([...missed, live]);
    again.close();
  });

  it('answer `resync` when the events after last_id are no longer kept', async () => {
    const ids = await publish(
      t,
      stream,
      Array.from({ length: 20 }, (_, i) => aircraftEvent(other.org.id, `N${i}`)),
    );
    await t.redis.xtrim(stream, 'MAXLEN', 5);

    const client = await connectAs(t, tenant.tokens.scheduler, { query: `last_id=${ids[0]}` });

    expect(await client.next((m) => m.type === 'resync')).toMatchObject({
      id: null,
      data: { last_id: ids[0] },
    });
    client.close();
  });
});
