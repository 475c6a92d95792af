import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { credentials, status, type Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditAction,
  AuditServiceClient,
  InventoryServiceClient,
  ProgramServiceClient,
  ReservationState,
  TaskServiceClient,
  TaskState,
  TaskPriority,
  TaskType,
} from '../../src/api/grpc/gen/amss.js';
import type { GrpcServer } from '../../src/api/grpc/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { auth, call, failure, startTestGrpc } from '../support/grpc.js';
import { insertAircraft, insertPartItem, insertProgram, insertTask } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let grpc: GrpcServer;
let address: string;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  ({ server: grpc, address } = await startTestGrpc(t));
  tenant = await createTenant(t);
  other = await createTenant(t);
});

afterAll(async () => {
  await grpc.close(1000);
  await t.close();
});

const tasks = () => new TaskServiceClient(address, credentials.createInsecure());
const inventory = () => new InventoryServiceClient(address, credentials.createInsecure());
const audit = () => new AuditServiceClient(address, credentials.createInsecure());
const programs = () => new ProgramServiceClient(address, credentials.createInsecure());

const HOUR = 3_600_000;
const window = (startInHours: number) => ({
  startTime: new Date(Date.UTC(2031, 0, 1) + startInHours * HOUR),
  endTime: new Date(Date.UTC(2031, 0, 1) + (startInHours + 2) * HOUR),
});

describe('gRPC TaskService', () => {
  it('creates, reads, lists and cancels a task through the same rules as REST', async () => {
    const client = tasks();
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const created = await call(
      client.createTask.bind(client),
      {
        aircraftId: aircraft.id,
        type: TaskType.TASK_TYPE_INSPECTION,
        priority: TaskPriority.TASK_PRIORITY_URGENT,
        requiredParts: [],
        ...window(0),
      },
      auth(tenant.tokens.scheduler),
    );
    const id = created.task!.id;
    expect(created.task).toMatchObject({
      state: TaskState.TASK_STATE_SCHEDULED,
      priority: TaskPriority.TASK_PRIORITY_URGENT,
      version: 1,
      orgId: tenant.org.id,
    });

    const detail = await call(client.getTask.bind(client), { id }, auth(tenant.tokens.auditor));
    expect(detail.task!.startTime).toEqual(window(0).startTime);
    expect(detail.reservations).toEqual([]);

    const listed = await call(
      client.listTasks.bind(client),
      {
        aircraftId: aircraft.id,
        state: TaskState.TASK_STATE_UNSPECIFIED,
        type: TaskType.TASK_TYPE_UNSPECIFIED,
        priority: TaskPriority.TASK_PRIORITY_URGENT,
        pageSize: 0,
        pageToken: '',
      },
      auth(tenant.tokens.mechanic),
    );
    expect(listed.tasks.map((task) => task.id)).toEqual([id]);
    expect(listed.nextPageToken).toBe('');

    const cancelled = await call(
      client.transitionState.bind(client),
      { id, newState: TaskState.TASK_STATE_CANCELLED, allowEarlyCompletion: false, allowLateCancel: false },
      auth(tenant.tokens.scheduler),
    );
    expect(cancelled.task).toMatchObject({ state: TaskState.TASK_STATE_CANCELLED, version: 2 });
    const rows = await t.db.db
      .selectFrom('audit_logs')
      .select('action')
      .where('entity_id', '=', id)
      .execute();
    expect(rows.map((row) => row.action).sort()).toEqual(['create', 'state_change']);
  });

  it('pages a task list with page tokens', async () => {
    const client = tasks();
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    for (let i = 0; i < 3; i++) await insertTask(t.db.db, { aircraft_id: aircraft.id });
    const request = { aircraftId: aircraft.id, state: 0, type: 0, priority: 0, pageSize: 2 };

    const first = await call(
      client.listTasks.bind(client),
      { ...request, pageToken: '' },
      auth(tenant.tokens.scheduler),
    );
    const second = await call(
      client.listTasks.bind(client),
      { ...request, pageToken: first.nextPageToken },
      auth(tenant.tokens.scheduler),
    );

    expect(first.tasks).toHaveLength(2);
    expect(second.tasks).toHaveLength(1);
    expect(second.nextPageToken).toBe('');
    expect(new Set([...first.tasks, ...second.tasks].map((task) => task.id)).size).toBe(3);
  });

  it('refuses an overlapping window with FAILED_PRECONDITION and reason TASK_OVERLAP', async () => {
    const client = tasks();
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const request = {
      aircraftId: aircraft.id,
      type: TaskType.TASK_TYPE_REPAIR,
      priority: TaskPriority.TASK_PRIORITY_UNSPECIFIED,
      requiredParts: [],
      ...window(10),
    };
    await call(client.createTask.bind(client), request, auth(tenant.tokens.scheduler));

    const refused = await failure(
      call(client.createTask.bind(client), request, auth(tenant.tokens.scheduler)),
    );

    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.reason).toBe('TASK_OVERLAP');
  });

  it('answers UNAUTHENTICATED without a token, PERMISSION_DENIED for a role that may not, INVALID_ARGUMENT for bad input', async () => {
    const client = tasks();
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const request = {
      aircraftId: aircraft.id,
      type: TaskType.TASK_TYPE_INSPECTION,
      priority: TaskPriority.TASK_PRIORITY_UNSPECIFIED,
      requiredParts: [],
      ...window(20),
    };

    expect((await failure(call(client.createTask.bind(client), request, auth(undefined)))).code).toBe(
      status.UNAUTHENTICATED,
    );
    expect((await failure(call(client.createTask.bind(client), request, auth('not.a.token')))).reason).toBe(
      'INVALID_TOKEN',
    );
    expect(
      (await failure(call(client.createTask.bind(client), request, auth(tenant.tokens.auditor)))).code,
    ).toBe(status.PERMISSION_DENIED);
    const badId = await failure(
      call(client.getTask.bind(client), { id: 'nope' }, auth(tenant.tokens.scheduler)),
    );
    expect(badId).toMatchObject({ code: status.INVALID_ARGUMENT, message: 'id must be a UUID' });
    const noType = await failure(
      call(
        client.createTask.bind(client),
        { ...request, type: TaskType.TASK_TYPE_UNSPECIFIED },
        auth(tenant.tokens.scheduler),
      ),
    );
    expect(noType).toMatchObject({ code: status.INVALID_ARGUMENT, message: 'type is required' });
    const count = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('aircraft_id', '=', aircraft.id)
      .execute();
    expect(count).toEqual([]);
  });

  it('answers NOT_FOUND for another organization’s task, exactly as for a missing one', async () => {
    const client = tasks();
    const foreign = await insertTask(t.db.db, { org_id: other.org.id });

    const refused = await failure(
      call(client.getTask.bind(client), { id: foreign.id }, auth(tenant.tokens.scheduler)),
    );

    expect(refused.code).toBe(status.NOT_FOUND);
  });

  /** CreateTask on a new aircraft with `idempotency-key: key`, and the tasks that aircraft has. */
  const keyedCreateTask = async (key: string, minutes: number) => {
    const client = tasks();
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const request = {
      aircraftId: aircraft.id,
      type: TaskType.TASK_TYPE_INSPECTION,
      priority: TaskPriority.TASK_PRIORITY_UNSPECIFIED,
      requiredParts: [],
      ...window(minutes),
    };
    const send = (body = request) =>
      call(client.createTask.bind(client), body, auth(tenant.tokens.scheduler, { 'idempotency-key': key }));
    const tasksOfAircraft = () =>
      t.db.db.selectFrom('maintenance_tasks').select('id').where('aircraft_id', '=', aircraft.id).execute();
    return { request, send, tasksOfAircraft };
  };

  it('replays a retried CreateTask with the same idempotency-key instead of creating a second task', async () => {
    const { request, send, tasksOfAircraft } = await keyedCreateTask('grpc-retry-1', 30);

    const first = await send();
    const retry = await send();
    const reused = await failure(send({ ...request, ...window(40) }));

    expect(retry.task!.id).toBe(first.task!.id);
    expect(reused.reason).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await tasksOfAircraft()).toHaveLength(1);
  });

  it('answers a retried CreateTask whose first call died after committing with the first task', async () => {
    const { send, tasksOfAircraft } = await keyedCreateTask('grpc-crash-1', 50);
    const first = await send();
    // The process died before the answer was stored.
    await t.db.db
      .updateTable('idempotency_keys')
      .set({ status_code: 0, response_body: null })
      .where('key', '=', 'grpc-crash-1')
      .execute();

    expect(await send()).toEqual(first);
    expect(await tasksOfAircraft()).toHaveLength(1);
  });

  it('echoes the caller’s x-request-id in the response metadata and in an error’s trailers', async () => {
    const client = tasks();
    const headers = new Promise<Metadata>((resolve) => {
      const pending = client.getTask(
        { id: '00000000-0000-4000-8000-000000000000' },
        auth(tenant.tokens.scheduler, { 'x-request-id': 'trace-me-42' }),
        () => {},
      );
      pending.on('metadata', resolve);
    });
    expect((await headers).get('x-request-id')).toEqual(['trace-me-42']);
  });
});

describe('gRPC InventoryService', () => {
  it('reserves all listed items or none, and releases reservations', async () => {
    const client = inventory();
    const task = await insertTask(t.db.db, { org_id: tenant.org.id });
    const free = await insertPartItem(t.db.db, { org_id: tenant.org.id });
    const used = await insertPartItem(t.db.db, { org_id: tenant.org.id, status: 'used' });

    const refused = await failure(
      call(
        client.reserveParts.bind(client),
        { taskId: task.id, partItemIds: [free.id, used.id] },
        auth(tenant.tokens.scheduler),
      ),
    );
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    const active = await t.db.db
      .selectFrom('part_reservations')
      .select('state')
      .where('part_item_id', '=', free.id)
      .execute();
    expect(active).toEqual([{ state: 'released' }]);

    const reserved = await call(
      client.reserveParts.bind(client),
      { taskId: task.id, partItemIds: [free.id] },
      auth(tenant.tokens.mechanic),
    );
    expect(reserved.reservations[0]!.state).toBe(ReservationState.RESERVATION_STATE_RESERVED);
    const released = await call(
      client.releaseParts.bind(client),
      { reservationIds: [reserved.reservations[0]!.id] },
      auth(tenant.tokens.scheduler),
    );
    expect(released.reservations[0]!.state).toBe(ReservationState.RESERVATION_STATE_RELEASED);
  });
});

describe('gRPC AuditService', () => {
  it('records an action of another system, with its event, and lists it', async () => {
    const client = audit();
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });

    const logged = await call(
      client.logAction.bind(client),
      {
        entityType: 'aircraft',
        entityId: aircraft.id,
        action: AuditAction.AUDIT_ACTION_UPDATE,
        details: { note: 'weighed' },
      },
      auth(tenant.tokens.mechanic),
    );
    expect(logged.auditLog).toMatchObject({
      entityId: aircraft.id,
      userId: tenant.userIds.mechanic,
      details: { note: 'weighed', source: 'external' },
    });
    const event = await t.db.db
      .selectFrom('outbox_events')
      .select('event_type')
      .where('aggregate_id', '=', logged.auditLog!.id)
      .executeTakeFirst();
    expect(event).toEqual({ event_type: 'audit_logged' });

    const listed = await call(
      client.listAuditLogs.bind(client),
      { entityId: aircraft.id, action: 0, pageSize: 10, pageToken: '' },
      auth(tenant.tokens.auditor),
    );
    expect(listed.auditLogs.map((log) => log.id)).toEqual([logged.auditLog!.id]);
    const denied = await failure(
      call(
        client.logAction.bind(client),
        { entityType: 'aircraft', entityId: aircraft.id, action: AuditAction.AUDIT_ACTION_UPDATE },
        auth(tenant.tokens.auditor),
      ),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);
  });
});

describe('gRPC ProgramService', () => {
  it('generates the due tasks of the caller’s organization only', async () => {
    const client = programs();
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const program = await insertProgram(t.db.db, {
      aircraft_id: aircraft.id,
      interval_type: 'calendar',
      interval_value: 30,
    });
    const foreign = await insertProgram(t.db.db, {
      org_id: other.org.id,
      interval_type: 'calendar',
      interval_value: 30,
    });

    const result = await call(client.generateTasks.bind(client), {}, auth(tenant.tokens.scheduler));

    expect(result.generated.filter(({ task }) => task!.programId === program.id)).toHaveLength(1);
    expect(result.generated.every(({ task }) => task!.orgId === tenant.org.id)).toBe(true);
    const refused = await failure(
      call(client.generateTasks.bind(client), { programId: foreign.id }, auth(tenant.tokens.scheduler)),
    );
    expect(refused.code).toBe(status.NOT_FOUND);
  });
});

describe('gRPC health and reflection', () => {
  // The server runs in this process: the client must run beside it, not block it (no spawnSync).
  const bufCurl = async (...args: string[]) =>
    (
      await promisify(execFile)('npx', [
        'buf',
        'curl',
        '--protocol',
        'grpc',
        '--http2-prior-knowledge',
        ...args,
      ])
    ).stdout;

  it('lists the services by reflection, as `buf curl` uses it', async () => {
    const services = (await bufCurl('--list-services', `http://${address}`)).split('\n');

    expect(services).toEqual(
      expect.arrayContaining([
        'amss.v1.TaskService',
        'amss.v1.InventoryService',
        'amss.v1.AuditService',
        'amss.v1.ProgramService',
        'grpc.health.v1.Health',
      ]),
    );
  });

  it('answers SERVING on the standard health service', async () => {
    const health = await bufCurl(`http://${address}/grpc.health.v1.Health/Check`);

    expect(JSON.parse(health)).toEqual({ status: 'SERVING' });
  });

  it('calls an AMSS method by reflection with a bearer token', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const task = await insertTask(t.db.db, { aircraft_id: aircraft.id });

    const answer = await bufCurl(
      '-H',
      `authorization: Bearer ${tenant.tokens.auditor}`,
      '-d',
      JSON.stringify({ id: task.id }),
      `http://${address}/amss.v1.TaskService/GetTask`,
    );

    expect(JSON.parse(answer)).toMatchObject({ task: { id: task.id, state: 'TASK_STATE_SCHEDULED' } });
  });
});
