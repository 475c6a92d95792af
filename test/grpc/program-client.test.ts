import { credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcProgramGeneration } from '../../src/api/grpc/program-client.js';
import {
  ProgramServiceService,
  TaskServiceClient,
  type GenerateTasksResponse,
} from '../../src/api/grpc/gen/amss.js';
import { taskMessage } from '../../src/api/grpc/mapping.js';
import { toTask as toTaskOf } from '../../src/infra/postgres/tasks.js';
import { TokenIssuer } from '../../src/auth/jwt.js';
import { generateDevKeyPair } from '../../src/auth/keys.js';
import { PROGRAM_GENERATOR_ACTOR } from '../../src/jobs/program-generator.js';
import type { GrpcServer } from '../../src/api/grpc/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startTestGrpc } from '../support/grpc.js';
import { insertAircraft, insertProgram, insertTask } from '../support/factories.js';

let t: TestApp;
let grpc: GrpcServer;
let address: string;

beforeAll(async () => {
  t = await createTestApp();
  ({ server: grpc, address } = await startTestGrpc(t));
});
afterAll(async () => {
  await grpc.close(1000);
  await t.close();
});

describe('the worker’s program generator over gRPC', () => {
  it('generates the due tasks of every organization as system:program-generator, with their plans', async () => {
    const first = await insertProgram(t.db.db, {
      aircraft_id: (await insertAircraft(t.db.db)).id,
      interval_type: 'calendar',
      interval_value: 30,
    });
    const second = await insertProgram(t.db.db, {
      aircraft_id: (await insertAircraft(t.db.db)).id,
      interval_type: 'cycles',
      interval_value: 500,
    });
    const client = new GrpcProgramGeneration(address, t.container.tokens);

    const result = await client.generateDue({ now: new Date(), actor: PROGRAM_GENERATOR_ACTOR });
    client.close();

    const byProgram = new Map(result.generated.map((g) => [g.task.programId, g]));
    expect([...byProgram.keys()]).toEqual(expect.arrayContaining([first.id, second.id]));
    const generated = byProgram.get(first.id)!;
    expect(generated.task.orgId).toBe(first.org_id);
    expect(generated.task.state).toBe('scheduled');
    expect(generated.plan.startTime.getTime()).toBeLessThanOrEqual(generated.task.startTime.getTime());
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .select(['actor', 'user_id'])
      .where('entity_id', '=', generated.task.id)
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ actor: 'system:program-generator', user_id: null });
  });

  it('answers a summary-only call with the counts and no list, as the worker asks', async () => {
    const program = await insertProgram(t.db.db, {
      aircraft_id: (await insertAircraft(t.db.db)).id,
      interval_type: 'calendar',
      interval_value: 30,
    });
    const client = new GrpcProgramGeneration(address, t.container.tokens);
    const result = await client.generateDue({
      now: new Date(),
      actor: PROGRAM_GENERATOR_ACTOR,
      summaryOnly: true,
    });
    client.close();
    expect(result.generated).toEqual([]);
    expect(result.counts.generated).toBeGreaterThanOrEqual(1);
    const tasks = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('program_id', '=', program.id)
      .execute();
    expect(tasks).toHaveLength(1);
  });

  it('counts the list of a server from before the counts (a rolling upgrade) instead of reporting zero', async () => {
    // An older server: it ignores summary_only, lists the tasks and sends no counts.
    const aircraft = await insertAircraft(t.db.db);
    const program = await insertProgram(t.db.db, { aircraft_id: aircraft.id });
    const task = await insertTask(t.db.db, {
      org_id: aircraft.org_id,
      aircraft_id: aircraft.id,
      program_id: program.id,
      start_time: new Date('2031-01-01T02:00:00Z'),
      end_time: new Date('2031-01-01T04:00:00Z'),
    });
    const older = new Server();
    older.addService(ProgramServiceService, {
      generateTasks: (_call: unknown, callback: (error: null, value: GenerateTasksResponse) => void) =>
        callback(null, {
          generated: [
            {
              task: taskMessage(toTaskOf(task)),
              plannedStartTime: new Date('2031-01-01T00:00:00Z'),
              plannedEndTime: new Date('2031-01-01T02:00:00Z'),
            },
          ],
          skipped: [],
          generatedCount: 0,
          movedCount: 0,
        }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      older.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const client = new GrpcProgramGeneration(`127.0.0.1:${port}`, t.container.tokens);
    try {
      const result = await client.generateDue({
        now: new Date(),
        actor: PROGRAM_GENERATOR_ACTOR,
        summaryOnly: true,
      });
      expect(result.counts).toEqual({ generated: 1, moved: 1 });
    } finally {
      client.close();
      older.forceShutdown();
    }
  });

  it('refuses a service token anywhere but GenerateTasks, and one signed with another key', async () => {
    const task = await insertTask(t.db.db);
    const getTask = (token: string) =>
      new Promise<ServiceError>((resolve, reject) => {
        const metadata = new Metadata();
        metadata.set('authorization', `Bearer ${token}`);
        new TaskServiceClient(address, credentials.createInsecure()).getTask(
          { id: task.id },
          metadata,
          (error) => (error ? resolve(error) : reject(new Error('expected a refusal'))),
        );
      });
    expect((await getTask(await t.container.tokens.signServiceToken('program-generator'))).code).toBe(
      status.UNAUTHENTICATED,
    );

    const forger = new TokenIssuer({ keys: await generateDevKeyPair() });
    const forged = new GrpcProgramGeneration(address, forger);
    await expect(forged.generateDue({ now: new Date(), actor: PROGRAM_GENERATOR_ACTOR })).rejects.toThrow(
      /UNAUTHENTICATED|invalid or expired/,
    );
    forged.close();
  });
});
