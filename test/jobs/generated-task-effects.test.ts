/**
 * The program generator writes each task's audit row and events in the statement that inserts the
 * task, building the task's view inside PostgreSQL (src/infra/postgres/json-views.ts). Here they
 * are compared with what the rest of AMSS builds in Node for the same task — `taskView`,
 * `auditRecord`, `domainEvent` — so the two cannot drift apart: an auditor or a webhook consumer
 * sees a generated task exactly as they see one a person created.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../src/app/actor.js';
import { auditRecord } from '../../src/app/audit.js';
import { ProgramGenerationService } from '../../src/app/program-generation.js';
import { taskView } from '../../src/app/tasks.js';
import { domainEvent } from '../../src/domain/events.js';
import { newTaskViewJson } from '../../src/infra/postgres/json-views.js';
import { PgTaskRepository } from '../../src/infra/postgres/tasks.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertDirective } from '../support/directive-factories.js';
import {
  insertAircraft,
  insertApiKey,
  insertOrganization,
  insertProgram,
  insertTask,
  insertUser,
} from '../support/factories.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const NOW = new Date('2026-06-15T10:30:07.123Z');
const DAY = 24 * 3_600_000;

it('a generated task’s audit row and events show it exactly as a person’s creation would, with how it came about', async () => {
  const org = await insertOrganization(db.db);
  await db.db.insertInto('org_policies').values({ org_id: org.id }).execute();
  const scheduler = await insertUser(db.db, { org_id: org.id, role: 'scheduler' });
  const key = await insertApiKey(db.db, { org_id: org.id, created_by: scheduler.id, scope: 'scheduler' });
  // Through an API key, from a request: every actor column and the key's id are filled.
  const actor: UserActor = {
    kind: 'user',
    userId: scheduler.id,
    orgId: org.id,
    role: 'scheduler',
    scopes: [],
    apiKey: { id: key.id, name: key.name },
  };
  const request = { requestId: 'req-generated-effects', ip: '203.0.113.9', userAgent: 'planner-tool/2.1' };
  // One program due in two days, and one overdue whose next slot another task holds (moved).
  const free = await insertAircraft(db.db, { org_id: org.id });
  const busy = await insertAircraft(db.db, { org_id: org.id });
  await insertProgram(db.db, {
    aircraft_id: free.id,
    interval_value: 30,
    last_performed: new Date(NOW.getTime() - 28 * DAY),
    task_priority: 'urgent',
    task_type: 'overhaul',
  });
  await insertProgram(db.db, { aircraft_id: busy.id, interval_value: 10 });
  // A usage program within its lead: a remaining counter, no due date.
  const flown = await insertAircraft(db.db, { org_id: org.id, flight_hours_total: '1195.5' });
  await insertProgram(db.db, {
    aircraft_id: flown.id,
    interval_type: 'flight_hours',
    interval_value: 200,
    lead_value: 20,
    last_performed_flight_hours: '1000',
  });
  await insertTask(db.db, {
    aircraft_id: busy.id,
    start_time: new Date('2026-06-15T10:00:00Z'),
    end_time: new Date('2026-06-15T15:00:00Z'),
  });

  const service = new ProgramGenerationService({ uow: new PgUnitOfWork(db.db) });
  const { generated, counts } = await service.generateDue({ now: NOW, actor, request });

  expect(counts).toEqual({ generated: 3, moved: 1 });
  expect(generated.map(({ plan }) => plan.remaining !== null && plan.dueAt === null)).toContain(true);
  const tasks = new PgTaskRepository(db.db);
  for (const { task: answered, plan } of generated) {
    const task = (await tasks.findById(org.id, answered.id))!;
    const view = taskView(task);
    expect(taskView(answered)).toEqual(view);
    const details = {
      program_id: plan.programId,
      due_at: plan.dueAt?.toISOString() ?? null,
      remaining: plan.remaining,
      planned_start_time: plan.startTime.toISOString(),
      moved: task.startTime.getTime() !== plan.startTime.getTime(),
      generated_at: NOW.toISOString(),
    };
    const expected = auditRecord(
      {
        orgId: org.id,
        entityType: 'maintenance_task',
        entityId: task.id,
        action: 'create',
        entityVersion: task.version,
        after: view,
        extra: { generated: details },
      },
      actor,
      request,
    );
    const audit = await db.db.selectFrom('audit_logs').selectAll().where('entity_id', '=', task.id).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toEqual(expected.details);
    expect(audit[0]).toMatchObject({
      org_id: expected.orgId,
      actor_org_id: expected.actorOrgId,
      user_id: expected.userId,
      actor: `api_key:${key.name}`,
      entity_type: expected.entityType,
      entity_id: expected.entityId,
      action: expected.action,
      entity_version: expected.entityVersion,
      request_id: expected.requestId,
      ip_address: expected.ipAddress,
      user_agent: expected.userAgent,
    });

    const events = [
      domainEvent({
        orgId: org.id,
        type: 'task_created',
        aggregateType: 'maintenance_task',
        aggregateId: task.id,
        data: view,
        occurredAt: task.createdAt,
      }),
      domainEvent({
        orgId: org.id,
        type: 'program_task_generated',
        aggregateType: 'maintenance_program',
        aggregateId: plan.programId,
        discriminator: task.id,
        data: { ...details, task_id: task.id, task: view },
        occurredAt: task.createdAt,
      }),
    ];
    const written = await db.db
      .selectFrom('outbox_events')
      .select(['aggregate_type', 'aggregate_id', 'event_type', 'dedupe_key', 'payload'])
      .where('dedupe_key', 'in', [events[0]!.dedupeKey, events[1]!.dedupeKey])
      // the order the publisher sends them in
      .orderBy('seq')
      .execute();
    expect(written).toEqual(
      events.map((event) => ({
        aggregate_type: event.aggregateType,
        aggregate_id: event.aggregateId,
        event_type: event.type,
        dedupe_key: event.dedupeKey,
        payload: event.payload,
      })),
    );
  }
  expect(generated.map(({ task }) => task.priority).sort()).toEqual(['routine', 'routine', 'urgent']);
});

it('the task view built in SQL matches the API’s for a task with every field filled in', async () => {
  const org = await insertOrganization(db.db);
  const mechanic = await insertUser(db.db, { org_id: org.id, role: 'mechanic' });
  const directive = await insertDirective(db.db, { org_id: org.id });
  const program = await insertProgram(db.db, {
    org_id: org.id,
    aircraft_id: (await insertAircraft(db.db, { org_id: org.id })).id,
  });
  const row = await insertTask(db.db, {
    org_id: org.id,
    aircraft_id: program.aircraft_id!,
    program_id: program.id,
    directive_id: directive.id,
    assigned_mechanic_id: mechanic.id,
    priority: 'aog',
    type: 'repair',
    state: 'completed',
    notes: 'Spar inspected; "no findings" — signed',
    started_at: new Date('2026-06-15T10:31:02.456Z'),
    completed_at: new Date('2026-06-15T12:59:59.999Z'),
  });
  const { rows } = await sql<{ view: unknown }>`
    SELECT ${newTaskViewJson('t')} AS view FROM maintenance_tasks t WHERE t.id = ${row.id}`.execute(db.db);
  const task = (await new PgTaskRepository(db.db).findById(org.id, row.id))!;

  expect(rows[0]!.view).toEqual(taskView(task));
});
