import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DEMO_PASSWORD } from '../../src/app/demo-data.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const CLI = ['--import', 'tsx', 'src/cmd/cli.ts'];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  const seed = spawn(process.execPath, [...CLI, 'seed'], {
    env: { ...process.env, DB_URL: db.url, LOG_LEVEL: 'warn', BCRYPT_COST: '4' },
  });
  const [code] = (await once(seed, 'exit')) as [number];
  expect(code).toBe(0);
});
afterAll(async () => {
  await db.drop();
});

describe('amss server with SERVER_PROCESSES', () => {
  it('serves one port from several processes that all accept the same token, and stops them all', async () => {
    const server: ChildProcess = spawn(process.execPath, [...CLI, 'server'], {
      env: {
        ...process.env,
        DB_URL: db.url,
        HTTP_ADDR: '127.0.0.1:0',
        LOG_LEVEL: 'info',
        APP_ENV: 'test',
        SERVER_PROCESSES: '2',
        JWT_PRIVATE_KEY_PEM: '',
        JWT_PUBLIC_KEY_PEM: '',
      },
    });
    // A failed or timed-out run must not leave the processes serving (SIGTERM stops the children too).
    onTestFinished(() => {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    });
    let logs = '';
    const listening = () => [...logs.matchAll(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/g)];
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout!.on('data', (chunk: Buffer) => {
        logs += chunk.toString();
        const found = listening();
        if (found.length === 2) resolve(found[0]![1]!);
      });
      server.once('exit', () => reject(new Error(`server exited early:\n${logs}`)));
    });
    // Both processes listen on the one port.
    expect(new Set(listening().map((match) => match[1]))).toEqual(new Set([url]));

    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ email: 'scheduler@demo.local', password: DEMO_PASSWORD }),
    });
    expect(login.status, await login.clone().text()).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    // A new connection per request: the connections are shared out over the processes, and a
    // token one process issued is good at every one of them.
    for (let i = 0; i < 6; i += 1) {
      const response = await fetch(`${url}/api/v1/aircraft`, {
        headers: { authorization: `Bearer ${token}`, connection: 'close' },
      });
      expect(response.status).toBe(200);
    }

    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number];
    expect(code).toBe(0);
    expect(logs).toContain('shutting down');
    // Three tsx process starts (supervisor and two servers): about 14 s on a quiet 2-core box.
  }, 60_000);
});
