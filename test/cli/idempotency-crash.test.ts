import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../../src/auth/passwords.js';
import type { DB } from '../../src/infra/postgres/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraft, insertOrganization, insertTask, insertUser } from '../support/factories.js';

const PASSWORD = 'Correct-Horse-42';
/** How long the test polls for the server and for the database. */
const WAIT = { timeout: 30_000, interval: 50 };

let db: TestDatabase;
const servers: ChildProcess[] = [];
/** Ends the transactions the test holds open (so a failed test does not keep its locks). */
const heldTransactions: (() => void)[] = [];
let admin: { org_id: string; email: string };

beforeAll(async () => {
  db = await createTestDatabase();
  const org = await insertOrganization(db.db);
  admin = await insertUser(db.db, {
    org_id: org.id,
    role: 'admin',
    password_hash: await hashPassword(PASSWORD, 4),
  });
});
afterAll(async () => {
  for (const server of servers) server.kill('SIGKILL');
  for (const end of heldTransactions) end();
  await db.drop();
});

/** `amss server` on free ports; resolves to its base URL and a token of the test's admin. */
async function startServer(): Promise<{ process: ChildProcess; url: string; token: string }> {
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/cmd/cli.ts', 'server'], {
    env: {
      ...process.env,
      DB_URL: db.url,
      HTTP_ADDR: '127.0.0.1:0',
      GRPC_ADDR: '127.0.0.1:0',
      APP_ENV: 'test',
      LOG_LEVEL: 'info',
      BCRYPT_COST: '4',
      JWT_PRIVATE_KEY_PEM: '',
      JWT_PUBLIC_KEY_PEM: '',
    },
  });
  servers.push(server);
  let logs = '';
  server.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  server.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const url = await vi.waitFor(() => {
    const found = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs);
    if (!found) throw new Error(`server not listening yet:\n${logs}`);
    return found[1]!;
  }, WAIT);
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org_id: admin.org_id, email: admin.email, password: PASSWORD }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  return { process: server, url, token };
}

const post = (server: { url: string; token: string }, path: string, key: string, body: object) =>
  fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(body),
  });

/** Runs `work` in a transaction of the test's own, left open (holding its locks) until `end` is called. */
async function holdTransaction(work: (tx: Transaction<DB>) => Promise<unknown>) {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const locked = new Promise<void>((resolve, reject) => {
    db.db
      .transaction()
      .execute(async (tx) => {
        await work(tx);
        resolve();
        await ended;
      })
      .catch(reject);
  });
  heldTransactions.push(end);
  await locked;
  return end;
}

/** Locks rows as an UPDATE of their non-key columns would, until the returned function is called. */
const lockRows = (
  table: 'aircraft' | 'maintenance_tasks' | 'idempotency_keys',
  column: string,
  values: string[],
) =>
  holdTransaction((tx) =>
    sql`SELECT 1 FROM ${sql.table(table)} WHERE ${sql.ref(column)} IN (${sql.join(values)}) FOR NO KEY UPDATE`.execute(
      tx,
    ),
  );

/**
 * A process that dies leaves its database sessions behind until PostgreSQL notices; one waiting
 * for a lock would still run its statement once the lock is free. Ends them, as a crash would.
 */
async function endSessionsOf(applicationName: string) {
  const sessions = sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${applicationName}`;
  await sql`SELECT pg_terminate_backend(pid) FROM (${sessions}) AS s`.execute(db.db);
  await vi.waitFor(async () => expect((await sessions.execute(db.db)).rows).toEqual([]), WAIT);
}

describe('a server killed between the commit of a change and storing its response', () => {
  it("answers the retry with the first attempt's outcome: one task, one compliance item, no 409", async () => {
    const aircraft = await insertAircraft(db.db, { org_id: admin.org_id });
    const task = await insertTask(db.db, { org_id: admin.org_id });
    const start = new Date('2031-03-01T08:00:00Z');
    const newTask = {
      aircraft_id: aircraft.id,
      type: 'inspection',
      start_time: start.toISOString(),
      end_time: new Date(start.getTime() + 3_600_000).toISOString(),
    };
    const item = { task_id: task.id, description: `Check the pitot heat ${randomUUID()}` };
    const [taskKey, itemKey] = [`task-${randomUUID()}`, `item-${randomUUID()}`];
    const first = await startServer();

    // Hold both changes at their first lock, so the test can lock their keys' rows once reserved.
    const releaseChanges = await holdTransaction(async (tx) => {
      await sql`SELECT 1 FROM aircraft WHERE id = ${aircraft.id} FOR NO KEY UPDATE`.execute(tx);
      await sql`SELECT 1 FROM maintenance_tasks WHERE id = ${task.id} FOR NO KEY UPDATE`.execute(tx);
    });
    const inFlight = [
      post(first, '/maintenance-tasks', taskKey, newTask),
      post(first, '/compliance-items', itemKey, item),
    ];
    for (const request of inFlight) request.catch(() => undefined);
    const keyRows = db.db.selectFrom('idempotency_keys').select('id').where('key', 'in', [taskKey, itemKey]);
    await vi.waitFor(async () => expect(await keyRows.execute()).toHaveLength(2), WAIT);
    // The keys cannot be completed now; the changes commit.
    const releaseKeys = await lockRows('idempotency_keys', 'key', [taskKey, itemKey]);
    releaseChanges();
    const tasksOnAircraft = db.db
      .selectFrom('maintenance_tasks')
      .selectAll()
      .where('aircraft_id', '=', aircraft.id);
    const items = db.db
      .selectFrom('compliance_items')
      .selectAll()
      .where('description', '=', item.description);
    await vi.waitFor(async () => {
      expect(await tasksOnAircraft.execute()).toHaveLength(1);
      expect(await items.execute()).toHaveLength(1);
    }, WAIT);

    first.process.kill('SIGKILL');
    await once(first.process, 'exit');
    await endSessionsOf('amss-server');
    releaseKeys();

    // The task's retry comes after the first attempt would count as abandoned (5 minutes).
    await db.db
      .updateTable('idempotency_keys')
      .set({ created_at: new Date(Date.now() - 6 * 60_000) })
      .where('key', '=', taskKey)
      .execute();
    const second = await startServer();
    const taskRetry = await post(second, '/maintenance-tasks', taskKey, newTask);
    const itemRetry = await post(second, '/compliance-items', itemKey, item);

    const [createdTask] = await tasksOnAircraft.execute();
    const [createdItem] = await items.execute();
    expect(taskRetry.status, await taskRetry.clone().text()).toBe(201);
    expect(await taskRetry.json()).toMatchObject({ id: createdTask!.id, start_time: newTask.start_time });
    expect(itemRetry.status, await itemRetry.clone().text()).toBe(201);
    expect(await itemRetry.json()).toMatchObject({ id: createdItem!.id, task_id: task.id });
    expect(await tasksOnAircraft.execute()).toHaveLength(1);
    expect(await items.execute()).toHaveLength(1);
    second.process.kill('SIGKILL');
  }, 120_000);
});
