import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../src/infra/redis/client.js';
import { RedisEventStream } from '../../src/infra/streams/event-stream.js';
import { runToExit } from '../support/run.js';
import { startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster.js';

/**
 * The test files that exercise Redis — streams and consumer groups, the worker process, locks, the
 * API and login rate limits, revocations, idempotency and the live events — run again, as they are,
 * with their clients (and the worker's REDIS_ADDR) pointed at a three-master Redis Cluster.
 */
const REDIS_TEST_FILES = [
  'test/infra/stream-consumer.test.ts',
  'test/infra/locks.test.ts',
  'test/infra/api-rate-limiter.test.ts',
  'test/infra/login-limiter.test.ts',
  'test/jobs/outbox-publisher.test.ts',
  'test/jobs/webhook-dispatcher.test.ts',
  'test/jobs/webhook-dispatcher-pipeline.test.ts',
  'test/jobs/import-processor.test.ts',
  'test/jobs/alert-trigger-events.test.ts',
  'test/api/rate-limit.test.ts',
  'test/api/part-reservations.test.ts',
  'test/api/idempotency.test.ts',
  'test/api/ws-events.test.ts',
  'test/api/revocation.test.ts',
  'test/cli/worker.test.ts',
];

let cluster: LocalRedisCluster;
let client: RedisClient;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
  client = createRedisClient({ addr: cluster.addr, cluster: true });
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

describe('AMSS on a Redis Cluster (REDIS_ADDR naming several nodes)', () => {
  it('spreads its keys over the masters: events, dead letters, locks and rate limits each live where their slot is', async () => {
    const stream = new RedisEventStream(client, 1_000);
    const [published] = await stream.publish([
      {
        id: randomBytes(8).toString('hex'),
        orgId: 'org',
        eventType: 'task_created',
        dedupeKey: 'k',
        payload: '{}',
        attemptCount: 0,
        createdAt: new Date(),
      },
    ]);
    expect(published).toBeUndefined();
    // Keys whose slots belong to different masters all take writes through the one client.
    const keys = Array.from({ length: 30 }, (_, i) => `amss:cluster-check:${i}`);
    await Promise.all(keys.map((key) => client.set(key, '1', 'PX', 60_000)));
    const perNode = await Promise.all(
      cluster.ports.map(async (port) => {
        const node = createRedisClient({ addr: `127.0.0.1:${port}`, cluster: false });
        try {
          return await node.dbsize();
        } finally {
          node.disconnect();
        }
      }),
    );
    expect(
      perNode.every((count) => count > 0),
      `keys per master: ${perNode.join(', ')}`,
    ).toBe(true);
  });

  it('passes the Redis test files with every client and the worker on the cluster', async () => {
    const report = path.join(tmpdir(), `amss-cluster-report-${randomBytes(4).toString('hex')}.json`);
    try {
      const run = await runToExit(
        process.execPath,
        [
          'node_modules/vitest/vitest.mjs',
          'run',
          ...REDIS_TEST_FILES,
          '--reporter=json',
          `--outputFile=${report}`,
        ],
        { AMSS_TEST_REDIS_ADDR: cluster.addr, AMSS_TEST_REDIS_CLUSTER: 'true' },
      );
      const result = JSON.parse(await readFile(report, 'utf8')) as {
        numTotalTestSuites: number;
        numPassedTests: number;
        numFailedTests: number;
        testResults: { name: string; status: string; message: string }[];
      };
      const failed = result.testResults.filter((file) => file.status !== 'passed');
      expect(
        failed.map((file) => `${file.name}: ${file.message}`),
        run.output.slice(-4_000),
      ).toEqual([]);
      expect(result.testResults.map((file) => path.relative(process.cwd(), file.name)).sort()).toEqual(
        [...REDIS_TEST_FILES].sort(),
      );
      expect(result.numFailedTests).toBe(0);
      expect(run.code, run.output.slice(-4_000)).toBe(0);
    } finally {
      await rm(report, { force: true });
    }
  }, 600_000);
});
