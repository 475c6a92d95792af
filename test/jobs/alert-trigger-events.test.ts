import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { AlertTriggerService } from '../../src/app/alert-triggers.js';
import { taskEffects } from '../../src/app/tasks.js';
import { createWorker } from '../../src/cmd/worker.js';
import { loadConfig } from '../../src/config/config.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraftDirective } from '../support/directive-factories.js';
import {
  insertAircraft,
  insertPartDefinition,
  insertPartItem,
  insertReservation,
  insertTask,
  insertWebhookDelivery,
} from '../support/factories.js';
import { connectTestRedis } from '../support/redis.js';
import { insertEmployeeCertification } from '../support/qualification-factories.js';

let db: TestDatabase;
let triggers: AlertTriggerService;

beforeAll(async () => {
  db = await createTestDatabase();
  triggers = new AlertTriggerService({ uow: new PgUnitOfWork(db.db) });
});
afterAll(async () => {
  await db.drop();
});

const NOW = new Date('2026-06-15T10:30:00Z');
const HOUR = 3_600_000;

/** A stream entry of amss.events as the outbox publisher writes it. */
const message = (eventType: string, orgId: string, aggregateType: string, aggregateId: string) => ({
  id: '1-0',
  fields: {
    event_id: randomUUID(),
    org_id: orgId,
    event_type: eventType,
    dedupe_key: `${eventType}:${aggregateId}`,
    payload: JSON.stringify({
      version: 1,
      event_type: eventType,
      org_id: orgId,
      aggregate_type: aggregateType,
      aggregate_id: aggregateId,
      occurred_at: NOW.toISOString(),
      data: {},
    }),
  },
});

const openOf = (orgId: string) =>
  db.db
    .selectFrom('alerts')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('resolved_at', 'is', null)
    .orderBy('category')
    .execute();
const alertEvents = (orgId: string) =>
  db.db
    .selectFrom('outbox_events')
    .select('event_type')
    .where('org_id', '=', orgId)
    .where('aggregate_type', '=', 'alert')
    .execute();

it('raises out of stock for the definition a stock event names, once however often it is delivered', async () => {
  const definition = await insertPartDefinition(db.db, { reorder_point: 1 });
  await insertPartDefinition(db.db, { org_id: definition.org_id, reorder_point: 1 });
  const item = await insertPartItem(db.db, { part_definition_id: definition.id });
  await insertReservation(db.db, { part_item_id: item.id });
  const stockEvent = message('part_out_of_stock', definition.org_id, 'part_definition', definition.id);
  await Promise.all([triggers.handleEvent(stockEvent, NOW), triggers.handleEvent(stockEvent, NOW)]);
  await triggers.handleEvent(stockEvent, NOW);
  expect(await openOf(definition.org_id)).toMatchObject([
    { category: 'part_out_of_stock', entity_id: definition.id },
  ]);
  expect(await alertEvents(definition.org_id)).toEqual([{ event_type: 'alert_raised' }]);

  await insertPartItem(db.db, { part_definition_id: definition.id });
  await insertPartItem(db.db, { part_definition_id: definition.id });
  await triggers.handleEvent(
    message('part_stock_replenished', definition.org_id, 'part_definition', definition.id),
    NOW,
  );
  expect(await openOf(definition.org_id)).toEqual([]);
});

it('raises AOG when an AOG task is created and resolves AOG and overdue when the task completes', async () => {
  const aircraft = await insertAircraft(db.db);
  const task = await insertTask(db.db, {
    aircraft_id: aircraft.id,
    priority: 'aog',
    start_time: new Date(NOW.getTime() - HOUR),
    end_time: new Date(NOW.getTime() + HOUR),
  });
  await triggers.handleEvent(message('task_created', aircraft.org_id, 'maintenance_task', task.id), NOW);
  expect((await openOf(aircraft.org_id)).map((a) => [a.category, a.level, a.entity_id])).toEqual([
    ['task_overdue', 'critical', task.id],
    ['aircraft_aog', 'critical', aircraft.id],
  ]);

  await db.db
    .updateTable('maintenance_tasks')
    .set({ state: 'cancelled' })
    .where('id', '=', task.id)
    .execute();
  await triggers.handleEvent(
    message('task_state_changed', aircraft.org_id, 'maintenance_task', task.id),
    NOW,
  );
  expect(await openOf(aircraft.org_id)).toEqual([]);
});

it('reacts to a task event as the task service writes it, not only to a hand-made one', async () => {
  const row = await insertTask(db.db, {
    start_time: new Date(NOW.getTime() - 2 * HOUR),
    end_time: new Date(NOW.getTime() - HOUR),
  });
  const task = await new PgUnitOfWork(db.db).repos.tasks.findById(row.org_id, row.id);
  const [event] = taskEffects({
    action: 'create',
    type: 'task_created',
    after: task!,
    occurredAt: NOW,
  }).events;
  await triggers.handleEvent(
    message('task_created', row.org_id, event!.aggregateType, event!.aggregateId),
    NOW,
  );
  expect(await openOf(row.org_id)).toMatchObject([{ category: 'task_overdue', entity_id: row.id }]);
});

it('resolves a certification alert when the certification event tells of its renewal', async () => {
  const cert = await insertEmployeeCertification(db.db, { expiry_date: new Date(NOW.getTime() - HOUR) });
  await triggers.handleEvent(
    message('certification_created', cert.org_id, 'employee_certification', cert.id),
    NOW,
  );
  expect(await openOf(cert.org_id)).toMatchObject([
    { category: 'certification_expired', user_id: cert.user_id },
  ]);
  await db.db
    .updateTable('employee_certifications')
    .set({ expiry_date: new Date(NOW.getTime() + 500 * 24 * HOUR) })
    .where('id', '=', cert.id)
    .execute();
  await triggers.handleEvent(
    message('certification_updated', cert.org_id, 'employee_certification', cert.id),
    NOW,
  );
  expect(await openOf(cert.org_id)).toEqual([]);
});

it('resolves a directive alert on the event of its compliance', async () => {
  const tracking = await insertAircraftDirective(db.db, { status: 'overdue', next_due_date: '2026-06-01' });
  const event = (type: string) => message(type, tracking.org_id, 'aircraft_directive', tracking.id);
  await triggers.handleEvent(event('directive_overdue'), NOW);
  expect(await openOf(tracking.org_id)).toMatchObject([{ category: 'directive_overdue', level: 'critical' }]);
  await db.db
    .updateTable('aircraft_directives')
    .set({ status: 'not_applicable', status_reason: 'modification embodied' })
    .where('id', '=', tracking.id)
    .execute();
  await triggers.handleEvent(event('directive_compliance_recorded'), NOW);
  expect(await openOf(tracking.org_id)).toEqual([]);
});

it('reports a failing webhook from its dead-lettered delivery and ignores malformed entries', async () => {
  const delivery = await insertWebhookDelivery(db.db, { status: 'failed', updated_at: NOW });
  await triggers.handleDeadLetter({ fields: { kind: 'outbox_event', id: delivery.id } }, NOW);
  await triggers.handleDeadLetter({ fields: { kind: 'webhook_delivery', id: 'not-a-uuid' } }, NOW);
  await triggers.handleEvent({ fields: { payload: '{not json' } }, NOW);
  expect(await openOf(delivery.org_id)).toEqual([]);
  await triggers.handleDeadLetter({ fields: { kind: 'webhook_delivery', id: delivery.id } }, NOW);
  expect(await openOf(delivery.org_id)).toMatchObject([
    { category: 'webhook_failing', entity_id: delivery.webhook_id, level: 'warning' },
  ]);
});

it('runs the handlers in the worker: an event on Redis reaches them through the amss.workers group', async () => {
  const redis = connectTestRedis();
  const streams = { events: `test.alerts.events.${randomUUID()}`, dlq: `test.alerts.dlq.${randomUUID()}` };
  const worker = createWorker({
    config: loadConfig({ APP_ENV: 'test', WORKER_ID: `alerts-${randomUUID()}` }),
    logger: createLogger('silent'),
    database: db,
    redis,
    streams,
  });
  try {
    // The job's run at start evaluates every category, AOG last: once this AOG alert is up, only
    // the event handler can raise the low-stock alert below (the next run is minutes away).
    const sentinel = await insertTask(db.db, { priority: 'aog' });
    worker.start();
    await vi.waitFor(async () => expect(await openOf(sentinel.org_id)).toHaveLength(1), {
      timeout: 15_000,
      interval: 100,
    });
    const definition = await insertPartDefinition(db.db, { reorder_point: 3 });
    await insertPartItem(db.db, { part_definition_id: definition.id });
    const { fields } = message('part_stock_low', definition.org_id, 'part_definition', definition.id);
    await redis.xadd(streams.events, '*', ...Object.entries(fields).flat());
    await vi.waitFor(async () => expect(await openOf(definition.org_id)).toHaveLength(1), {
      timeout: 15_000,
      interval: 100,
    });
    expect((await openOf(definition.org_id))[0]).toMatchObject({
      category: 'part_low_stock',
      entity_id: definition.id,
    });
  } finally {
    await worker.stop();
    await Promise.all([redis.del(streams.events), redis.del(streams.dlq)]);
    redis.disconnect();
  }
});
