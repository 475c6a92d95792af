import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_REDIS_ADDR } from '../support/env.js';

interface ExportedSpan {
  traceId: string;
  name: string;
  kind: number;
  scope: string;
}

/** A stand-in OTLP/HTTP collector: keeps every span posted to /v1/traces (JSON encoding). */
function startCollector(spans: ExportedSpan[]): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans: {
            scopeSpans: { scope: { name: string }; spans: Omit<ExportedSpan, 'scope'>[] }[];
          }[];
        };
        for (const resource of payload.resourceSpans) {
          for (const scoped of resource.scopeSpans) {
            for (const span of scoped.spans) spans.push({ ...span, scope: scoped.scope.name });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => server);
}

/** How long and how often the test polls the server and the collector. */
const WAIT = { timeout: 20_000, interval: 100 };

let db: TestDatabase;
let collector: Server;
let server: ChildProcess | undefined;
const spans: ExportedSpan[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  collector = await startCollector(spans);
});
afterAll(async () => {
  server?.kill('SIGKILL');
  collector.close();
  await db.drop();
});

describe('tracing', () => {
  it('exports spans for HTTP, PostgreSQL and Redis over OTLP, and logs the trace id with the request', async () => {
    server = spawn(process.execPath, ['--import', 'tsx', 'src/cmd/main.ts', 'server'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        DB_URL: db.url,
        REDIS_ADDR: TEST_REDIS_ADDR,
        HTTP_ADDR: '127.0.0.1:0',
        GRPC_ADDR: '127.0.0.1:0',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      },
    });
    let log = '';
    server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const url = await vi.waitFor(() => {
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      expect(listening, log).not.toBeNull();
      return listening![1]!;
    }, WAIT);

    const response = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password' }),
    });
    expect(response.status).toBe(401);

    await vi.waitFor(() => {
      for (const kind of ['http', 'pg', 'ioredis'])
        expect(
          spans.some((s) => s.scope.includes(kind)),
          kind,
        ).toBe(true);
    }, WAIT);
    const httpSpan = spans.find((s) => s.scope.includes('instrumentation-http') && s.kind === 2)!;
    const sameTrace = spans.filter((s) => s.traceId === httpSpan.traceId).map((s) => s.scope);
    expect(sameTrace).toEqual(
      expect.arrayContaining([
        expect.stringContaining('instrumentation-pg'),
        expect.stringContaining('instrumentation-ioredis'),
      ]),
    );
    const line = log.split('\n').find((l) => l.includes('"route":"/api/v1/auth/login"'));
    expect(line).toContain(`"trace_id":"${httpSpan.traceId}"`);
    // Starting a server process through tsx alone can take ten seconds on a busy 2-core machine.
  }, 60_000);
});
