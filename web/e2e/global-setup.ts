import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string;
  }
}

const root = path.resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 110_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`amss dev exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`amss dev did not become ready:\n${output()}`);
}

/**
 * Builds the server when stale and starts one `amss dev --in-memory --build-console` (the console built first when
 * stale, embedded PostgreSQL, no Redis, demo data) for every journey; its URL reaches the tests as `inject('baseURL')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await new Promise<void>((resolve, reject) => {
    const build = spawn('node', ['scripts/ensure-built.mjs'], { cwd: root, stdio: 'inherit' });
    build.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`server build failed (${code})`))));
  });
  const [http, grpc] = [await freePort(), await freePort()];
  let log = '';
  // The embedded database and in-process stand-ins, whatever the calling shell has set.
  const { DB_URL: _db, REDIS_ADDR: _redis, ...env } = process.env;
  // What `npm start` runs: the server as scripts/ensure-built.mjs left it in dist/, building a stale console.
  const child = spawn(
    'node',
    ['--enable-source-maps', 'dist/cmd/main.js', 'dev', '--in-memory', '--build-console'],
    {
      cwd: root,
      env: { ...env, HTTP_ADDR: `127.0.0.1:${http}`, GRPC_ADDR: `127.0.0.1:${grpc}`, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const baseURL = `http://127.0.0.1:${http}`;
  await waitUntilReady(baseURL, child, () => log);
  project.provide('baseURL', baseURL);
  return async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
}
