import { createLogger } from '../../src/observability/logger.js';
import { StreamImportWakeUps } from '../../src/infra/streams/import-queue.js';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportBatchRunner } from '../../src/app/imports.js';
import type { UnitOfWork } from '../../src/app/ports.js';
import { PgImportBatchRunner } from '../../src/infra/postgres/import-batches.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  auditRowsFor,
  eventsFor,
  importStorageDir,
  testImportProcessor,
  uploadCsv,
  type ImportJson,
} from '../support/imports.js';

let t: TestApp;
let org: { id: string };
let scheduler: string;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_STORAGE_DIR: await importStorageDir() });
  org = await t.createOrg();
  scheduler = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
});
afterAll(async () => {
  await t.close();
});

const LEASE_MS = 60_000;
const later = () => new Date(Date.now() + 2 * LEASE_MS);

/** A file of `count` aircraft with tail numbers of their own; returns the tail numbers too. */
function fleetCsv(count: number): { csv: string; tails: string[] } {
  const prefix = randomUUID().slice(0, 4).toUpperCase();
  const tails = Array.from({ length: count }, (_, i) => `T${prefix}${i}`);
  return { csv: `tail_number,model\n${tails.map((tail) => `${tail},A320neo`).join('\n')}\n`, tails };
}

async function upload(csv: string): Promise<string> {
  const response = await uploadCsv(t, scheduler, 'aircraft', csv);
  expect(response.statusCode, response.body).toBe(202);
  return response.json<ImportJson>().id;
}

const importRow = (id: string) =>
  t.db.db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const aircraftWith = (tails: string[]) =>
  t.db.db
    .selectFrom('aircraft')
    .select('tail_number')
    .where('org_id', '=', org.id)
    .where('tail_number', 'in', tails)
    .execute();

/** How many audit rows and creation events the aircraft of `tails` have. */
async function effectsOf(tails: string[]): Promise<{ audit: number; events: number }> {
  const ids = (
    await t.db.db
      .selectFrom('aircraft')
      .select('id')
      .where('org_id', '=', org.id)
      .where('tail_number', 'in', tails)
      .execute()
  ).map((a) => a.id);
  const audit = (await auditRowsFor(t, org.id, 'aircraft')).filter((row) => ids.includes(row.entity_id));
  const events = (await eventsFor(t, org.id, 'aircraft_created')).filter((e) => ids.includes(e.aggregate_id));
  return { audit: audit.length, events: events.length };
}

/** A unit of work whose `n`-th transaction fails before it starts, as if the process died there. */
function dyingUnitOfWork(uow: UnitOfWork, n: number): UnitOfWork {
  let calls = 0;
  return {
    repos: uow.repos,
    transaction: (work) => {
      calls += 1;
      return calls === n ? Promise.reject(new Error('simulated crash')) : uow.transaction(work);
    },
  };
}

/** A batch runner whose `n`-th batch does all its work and then dies before committing. */
function dyingBatchRunner(n: number): ImportBatchRunner {
  const inner = new PgImportBatchRunner(t.db.db);
  let calls = 0;
  return {
    run: (work) => {
      calls += 1;
      if (calls !== n) return inner.run(work);
      return inner.run(async (batch) => {
        await work(batch);
        throw new Error('simulated crash in the middle of a batch');
      });
    },
  };
}

describe('resuming after a crash', () => {
  it('resumes a crash during validation from the rows already staged, staging and applying each row once', async () => {
    const { csv, tails } = fleetCsv(7);
    const id = await upload(csv);
    // Transactions: 1 = validating, 2 and 3 = two batches of two rows, 4 = the third batch (dies).
    const crashing = testImportProcessor(t, { uow: dyingUnitOfWork(t.container.uow, 4), stageBatchSize: 2 });
    await expect(crashing.processNext(id)).rejects.toThrow('simulated crash');
    expect(await importRow(id)).toMatchObject({ status: 'validating', total_rows: 4 });

    // The lease still holds it; once it has run out another worker resumes it.
    expect(await testImportProcessor(t, { workerId: 'other' }).processNext(id)).toBeUndefined();
    const resumed = await testImportProcessor(t, {
      workerId: 'other',
      now: later,
      stageBatchSize: 2,
    }).processNext(id);
    expect(resumed).toMatchObject({
      status: 'completed',
      counts: { total: 7, valid: 7, invalid: 0, applied: 7 },
    });
    expect(resumed!.attemptCount).toBe(2);
    const rows = await t.db.db
      .selectFrom('import_rows')
      .select('row_number')
      .where('import_id', '=', id)
      .execute();
    expect(rows.map((r) => r.row_number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await aircraftWith(tails)).toHaveLength(7);
    expect(await effectsOf(tails)).toEqual({ audit: 7, events: 7 });
  });

  it('resumes a crash in the middle of an apply batch with nothing applied twice', async () => {
    const { csv, tails } = fleetCsv(7);
    const id = await upload(csv);
    const crashing = testImportProcessor(t, { batches: dyingBatchRunner(2), applyBatchSize: 2 });
    await expect(crashing.processNext(id)).rejects.toThrow('simulated crash in the middle of a batch');
    expect(await importRow(id)).toMatchObject({ status: 'applying', applied_rows: 2, valid_rows: 7 });
    expect(await aircraftWith(tails)).toHaveLength(2);

    const resumed = await testImportProcessor(t, {
      workerId: 'other',
      now: later,
      applyBatchSize: 2,
    }).processNext(id);
    expect(resumed).toMatchObject({ status: 'completed', counts: { total: 7, applied: 7, invalid: 0 } });
    expect(resumed!.summary).toMatchObject({ created: 7, unchanged: 0 });
    expect(await aircraftWith(tails)).toHaveLength(7);
    expect(await effectsOf(tails)).toEqual({ audit: 7, events: 7 });
  });

  it('fails an import that keeps crashing workers after the most attempts', async () => {
    const { csv } = fleetCsv(2);
    const id = await upload(csv);
    let at = Date.now();
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const dying = testImportProcessor(t, {
        uow: dyingUnitOfWork(t.container.uow, 1),
        maxAttempts: 2,
        now: () => new Date(at),
      });
      await expect(dying.processNext(id)).rejects.toThrow('simulated crash');
      at += 2 * LEASE_MS;
    }
    const last = await testImportProcessor(t, { maxAttempts: 2, now: () => new Date(at) }).processNext(id);
    expect(last).toMatchObject({ status: 'failed', attemptCount: 3 });
    expect(last!.error).toMatch(/given up after 2 attempts/);
  });
});

describe('several workers', () => {
  it('never lets two processors process one import', async () => {
    const { csv, tails } = fleetCsv(20);
    const id = await upload(csv);
    const a = testImportProcessor(t, { workerId: 'worker-a', applyBatchSize: 3 });
    const b = testImportProcessor(t, { workerId: 'worker-b', applyBatchSize: 3 });
    const results = await Promise.all([a.processNext(id), b.processNext(id)]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await importRow(id)).toMatchObject({ status: 'completed', applied_rows: 20, attempt_count: 1 });
    expect(await effectsOf(tails)).toEqual({ audit: 20, events: 20 });
  });

  it('splits the waiting imports between sweeps running side by side, each processed once', async () => {
    const files = [fleetCsv(4), fleetCsv(4), fleetCsv(4)];
    const ids = await Promise.all(files.map((file) => upload(file.csv)));
    const a = testImportProcessor(t, { workerId: 'sweep-a' });
    const b = testImportProcessor(t, { workerId: 'sweep-b' });
    await Promise.all([a.job.run(), b.job.run()]);
    for (const id of ids)
      expect(await importRow(id)).toMatchObject({ status: 'completed', attempt_count: 1 });
    expect(await effectsOf(files.flatMap((f) => f.tails))).toEqual({ audit: 12, events: 12 });
  });

  it('stops a worker whose lease passed to another one before it writes again', async () => {
    const { csv, tails } = fleetCsv(6);
    const id = await upload(csv);
    const successor = testImportProcessor(t, { workerId: 'successor', now: later, applyBatchSize: 2 });
    const inner = new PgImportBatchRunner(t.db.db);
    let calls = 0;
    const slow = testImportProcessor(t, {
      workerId: 'slow',
      applyBatchSize: 2,
      batches: {
        run: async (work) => {
          calls += 1;
          // The slow worker stalls past its lease before its second batch; the successor takes over.
          if (calls === 2) await successor.processNext(id);
          return inner.run(work);
        },
      },
    });
    const outcome = await slow.processNext(id);
    expect(outcome?.status).toBe('applying');
    expect(await importRow(id)).toMatchObject({ status: 'completed', applied_rows: 6, locked_by: null });
    expect(await effectsOf(tails)).toEqual({ audit: 6, events: 6 });
  });

  it('hands an import back when stopped, for another worker to finish', async () => {
    const { csv, tails } = fleetCsv(6);
    const id = await upload(csv);
    const inner = new PgImportBatchRunner(t.db.db);
    let stopped: Promise<void> | undefined;
    const processor: ReturnType<typeof testImportProcessor> = testImportProcessor(t, {
      applyBatchSize: 2,
      batches: {
        run: (work) => {
          stopped ??= processor.stop();
          return inner.run(work);
        },
      },
    });
    await processor.processNext(id);
    await stopped;
    expect(await importRow(id)).toMatchObject({ status: 'applying', applied_rows: 2, locked_by: null });
    // Handed back: another worker takes it at once, without waiting for a lease to run out.
    const next = await testImportProcessor(t, { workerId: 'next' }).processNext(id);
    expect(next?.status).toBe('completed');
    expect(await effectsOf(tails)).toEqual({ audit: 6, events: 6 });
  });
});

describe('finding imports', () => {
  it('with Redis down, the upload still succeeds and the sweep finds the import in PostgreSQL', async () => {
    const down = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    down.on('error', () => undefined);
    const outage = await createTestApp({ IMPORT_STORAGE_DIR: t.config.importStorageDir }, { redis: down });
    try {
      const home = await outage.createOrg();
      const token = await outage.tokenFor(await outage.createUser(home.id, 'scheduler'));
      const response = await uploadCsv(outage, token, 'aircraft', 'tail_number,model\nN900DA,A320\n');
      expect(response.statusCode, response.body).toBe(202);
      expect(await testImportProcessor(outage).job.run()).toMatch(/^processed 1 import\(s\): .* completed$/);
    } finally {
      await outage.close();
      down.disconnect();
    }
  });

  it('processes an import as soon as its message arrives on the stream', async () => {
    const { csv, tails } = fleetCsv(3);
    const id = await upload(csv);
    const stream = `import.jobs.test.${randomUUID()}`;
    const processor = testImportProcessor(t, {
      wakeUps: new StreamImportWakeUps({
        redis: t.redis,
        stream,
        consumer: 'test-worker',
        logger: createLogger('silent'),
        blockMs: 100,
      }),
    });
    processor.start();
    try {
      await t.redis.xadd(stream, '*', 'import_id', id, 'org_id', org.id);
      await expect.poll(async () => (await importRow(id)).status, { timeout: 5_000 }).toBe('completed');
      expect(await aircraftWith(tails)).toHaveLength(3);
    } finally {
      await processor.stop();
      await t.redis.del(stream);
    }
  });
});
