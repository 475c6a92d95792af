import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_REDIS_ADDR, TEST_REDIS_CLUSTER } from '../support/env.js';
import { insertOutboxEvent } from '../support/factories.js';
import { connectTestRedis } from '../support/redis.js';

const CLI = ['--import', 'tsx', 'src/cmd/cli.ts'];

/** How long and how often the test polls the running worker. */
const WAIT = { timeout: 15_000, interval: 100 };

let db: TestDatabase;
let redis: RedisClient;
beforeAll(async () => {
  db = await createTestDatabase();
  redis = connectTestRedis();
});
afterAll(async () => {
  await db.drop();
  redis.disconnect();
});

describe('amss worker', () => {
  it('publishes committed outbox events to amss.events, serves its metrics and stops cleanly on SIGTERM', async () => {
    const event = await insertOutboxEvent(db.db);
    const worker = spawn(process.execPath, [...CLI, 'worker'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        DB_URL: db.url,
        REDIS_ADDR: TEST_REDIS_ADDR,
        REDIS_CLUSTER: String(TEST_REDIS_CLUSTER),
        WORKER_ID: 'cli-test',
        PROMETHEUS_ENABLED: 'true',
        WORKER_METRICS_ADDR: '127.0.0.1:0',
      },
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const processed = await vi.waitFor(async () => {
      if (worker.exitCode !== null) throw new Error(`the worker exited early:\n${output}`);
      const row = await db.db
        .selectFrom('outbox_events')
        .select(['status', 'processed_at'])
        .where('id', '=', event.id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('processed');
      return row;
    }, WAIT);
    expect(processed.processed_at).not.toBeNull();
    const recent = await redis.xrevrange('amss.events', '+', '-', 'COUNT', 1000);
    const entry = recent.find(([, fields]) => fields.includes(event.id));
    expect(entry).toBeDefined();

    // The worker's consumer group amss.workers reads it and acknowledges it.
    const streamId = (id: string) => id.split('-').map(BigInt) as [bigint, bigint];
    const [ms, seq] = streamId(entry![0]);
    await vi.waitFor(async () => {
      const groups = (await redis.xinfo('GROUPS', 'amss.events')) as (string | number)[][];
      const group = groups.map((g) => Object.fromEntries(pairs(g))).find((g) => g.name === 'amss.workers');
      const [lastMs, lastSeq] = streamId(String(group?.['last-delivered-id'] ?? '0-0'));
      expect(lastMs > ms || (lastMs === ms && lastSeq >= seq), 'delivered to amss.workers').toBe(true);
      expect(Number(group?.pending)).toBe(0);
    }, WAIT);

    const metricsUrl = /"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(output)?.[1];
    expect(metricsUrl, output).toBeDefined();
    const metrics = await (await fetch(metricsUrl!)).text();
    expect(metrics).toMatch(/job_runs_total\{job="outbox-publisher"\} [1-9]/);
    expect(metrics).toMatch(/outbox_events_processed_total [1-9]/);
    expect(metrics).toMatch(/events_consumed_total\{event_type="task_created"\} [1-9]/);

    worker.kill('SIGTERM');
    const [code] = (await once(worker, 'exit')) as [number];
    expect(code, output).toBe(0);
  });
});

/** `[k1, v1, k2, v2, …]` as `[k, v]` pairs (XINFO's reply shape). */
function pairs(flat: (string | number)[]): [string, string | number][] {
  const result: [string, string | number][] = [];
  for (let i = 0; i < flat.length; i += 2) result.push([String(flat[i]), flat[i + 1]!]);
  return result;
}
