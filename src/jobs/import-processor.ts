import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import {
  ImportLeaseLost,
  ImportProcessing,
  type CsvRecord,
  type ImportProcessingDeps,
} from '../app/import-processing.js';
import type { ImportBatchRunner, ImportRowChecker, ImportWakeUps } from '../app/imports.js';
import type { UnitOfWork } from '../app/ports.js';
import { NulByteScanner, nulInFileMessage } from '../app/text-input.js';
import { describeHeaderProblems, headerIsValid, headerProblems, type Import } from '../domain/import.js';
import type { Logger } from '../observability/logger.js';
import type { Job } from './scheduler.js';
import { isUuid } from '../domain/ids.js';

/** What the import processor needs. */
export interface ImportProcessorDeps {
  uow: UnitOfWork;
  /** Where batches of rows are applied (PostgreSQL transactions with a savepoint per row). */
  batches: ImportBatchRunner;
  /** Checks each row with the rules of its type's create endpoint. */
  rows: ImportRowChecker;
  /** IMPORT_STORAGE_DIR: the stored files' paths are relative to it. */
  storageDir: string;
  /** WORKER_ID; the stream consumer and the sweep hold leases as `<id>/stream` and `<id>/sweep`. */
  workerId: string;
  logger: Logger;
  /** Wake-ups for new imports (the `import.jobs` stream); without them only the sweep finds imports. */
  wakeUps?: ImportWakeUps | undefined;
  now?: () => Date;
  leaseMs?: number;
  applyBatchSize?: number;
  /** Rows staged per transaction during validation (default 2000). */
  stageBatchSize?: number;
  maxAttempts?: number;
  /** How often the sweep looks for imports in PostgreSQL (default 5 s). */
  sweepEveryMs?: number;
}

/** The import processor as the worker runs it. */
export interface ImportProcessor {
  /** The sweep: unfinished imports no live lease holds (Redis down, a lost message, a crashed worker). */
  job: Job;
  /** Starts consuming `import.jobs` (a no-op without Redis). */
  start(): void;
  /** Stops the consumer and hands back the imports in progress after their current batch. */
  stop(): Promise<void>;
  /** Claims this import (or the oldest claimable one) and runs it to its end; undefined when none was claimed. */
  processNext(importId?: string): Promise<Import | undefined>;
}

/** A stored file holds a NUL byte: PostgreSQL could not stage its row, so the file is refused. */
class NulInFile extends Error {}

/**
 * Passes the stored file's bytes to the parser until a NUL byte, which fails the import with the
 * line it is on. Uploads are refused for the same reason; this catches files stored before that.
 */
function refusingNul(): Transform {
  const scanner = new NulByteScanner();
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const line = scanner.scan(chunk);
      done(line === undefined ? null : new NulInFile(nulInFileMessage(line)), chunk);
    },
  });
}

/** The most imports one sweep runs one after another, so a run ends now and then. */
const IMPORTS_PER_SWEEP = 20;

/**
 * The import processor: wakes on `import.jobs` (consumer group `amss.import-workers`) and sweeps
 * PostgreSQL every few seconds. Each import it claims (a lease, SKIP LOCKED) is validated — the
 * stored file parsed with csv-parse as a stream, rows staged in batches — then applied batch by
 * batch, then completed with its summary; a malformed file fails the import with a clear error.
 * An import left by a crashed worker is resumed from its status and its rows once its lease ends.
 *
 * The worker (src/cmd/worker.ts) adds `job` to its scheduler, calls `start()` after the scheduler
 * starts and `await stop()` before the scheduler stops.
 */
export function importProcessor(deps: ImportProcessorDeps): ImportProcessor {
  const base: Omit<ImportProcessingDeps, 'workerId'> = {
    uow: deps.uow,
    batches: deps.batches,
    rows: deps.rows,
    now: deps.now,
    leaseMs: deps.leaseMs,
    applyBatchSize: deps.applyBatchSize,
    maxAttempts: deps.maxAttempts,
  };
  const fromStream = new ImportProcessing({ ...base, workerId: `${deps.workerId}/stream` });
  const fromSweep = new ImportProcessing({ ...base, workerId: `${deps.workerId}/sweep` });
  const stageBatchSize = deps.stageBatchSize ?? 2_000;
  const running = new Set<Promise<unknown>>();
  let stopping = false;

  const track = <T>(work: Promise<T>): Promise<T> => {
    running.add(work);
    return work.finally(() => running.delete(work));
  };

  async function claimAndRun(processing: ImportProcessing, importId?: string): Promise<Import | undefined> {
    if (stopping) return undefined;
    const claimed = await processing.claim(importId);
    if (!claimed) return undefined;
    return track(runImport(processing, claimed));
  }

  async function runImport(processing: ImportProcessing, claimed: Import): Promise<Import> {
    const log = deps.logger.child({
      import_id: claimed.id,
      org_id: claimed.orgId,
      worker: processing.workerId,
    });
    let imp = claimed;
    try {
      if (imp.attemptCount > processing.maxAttempts) {
        return await finished(
          await processing.fail(
            imp,
            `the import was given up after ${processing.maxAttempts} attempts: workers kept stopping while processing it`,
          ),
        );
      }
      if (imp.status === 'pending') imp = await processing.advance(imp, 'validating');
      if (imp.status === 'validating') {
        const outcome = await validate(processing, imp);
        if (outcome.failure !== undefined) {
          log.info({ error: outcome.failure }, 'import failed validation of its file');
          return await finished(await processing.fail(imp, outcome.failure));
        }
        if (outcome.stopped) return await handBack(processing, imp);
        imp = await processing.advance(imp, 'applying');
      }
      while ((await processing.applyBatch(imp)) > 0) {
        if (stopping) return await handBack(processing, imp);
      }
      const done = await processing.complete(imp);
      log.info({ summary: done.summary }, 'import completed');
      return await finished(done);
    } catch (error) {
      if (error instanceof ImportLeaseLost) {
        log.warn('import lease passed to another worker; leaving the import to it');
        return imp;
      }
      // The lease is kept: once it runs out, a worker resumes the import from its rows' states.
      log.error({ err: error }, 'import processing failed; it is retried when its lease ends');
      throw error;
    }
  }

  /**
   * A completed or failed import no longer needs its file (its rows are staged with their raw
   * values): the file goes, so IMPORT_STORAGE_DIR holds only the imports still in progress.
   */
  async function finished(imp: Import): Promise<Import> {
    if (imp.filePath === null) return imp;
    try {
      await rm(path.resolve(deps.storageDir, imp.filePath), { force: true });
    } catch (error) {
      deps.logger.warn(
        { err: error, import_id: imp.id },
        'could not remove the stored file of a finished import',
      );
    }
    return imp;
  }

  async function handBack(processing: ImportProcessing, imp: Import): Promise<Import> {
    await processing.release(imp);
    return imp;
  }

  /** Parses the stored file and stages its rows after the last staged one; a malformed file is a failure. */
  async function validate(
    processing: ImportProcessing,
    imp: Import,
  ): Promise<{ failure?: string; stopped?: boolean }> {
    const file = path.resolve(deps.storageDir, imp.filePath ?? '');
    const skip = await processing.lastStagedRow(imp);
    const columns = deps.rows.columns(imp.type);
    const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true });
    const feeding = pipeline(createReadStream(file), refusingNul(), parser);
    // Its errors also end the iteration below, which reports them.
    feeding.catch(() => undefined);
    let header: string[] | undefined;
    let rowNumber = 0;
    let batch: CsvRecord[] = [];
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (header === undefined) {
          header = record;
          const problems = headerProblems(header, columns);
          if (!headerIsValid(problems)) return { failure: describeHeaderProblems(problems, columns) };
          continue;
        }
        rowNumber += 1;
        if (rowNumber <= skip) continue;
        batch.push({ rowNumber, cells: record });
        if (batch.length >= stageBatchSize) {
          await processing.stage(imp, header, batch);
          batch = [];
          if (stopping) return { stopped: true };
        }
      }
      if (header !== undefined && batch.length > 0) await processing.stage(imp, header, batch);
    } catch (error) {
      if (error instanceof CsvError) {
        return { failure: `the file is not valid CSV: ${error.message}` };
      }
      if (error instanceof NulInFile) return { failure: error.message };
      if ((error as { code?: string }).code === 'ENOENT') {
        return { failure: 'the uploaded file is no longer in the import storage; upload it again' };
      }
      throw error;
    } finally {
      parser.destroy();
    }
    if (header === undefined) return { failure: 'the file is empty' };
    if (rowNumber === 0) return { failure: 'the file has a header row but no data rows' };
    return {};
  }

  return {
    job: {
      name: 'import-processor',
      schedule: { everyMs: deps.sweepEveryMs ?? 5_000 },
      runAtStart: true,
      async run() {
        const finished: string[] = [];
        while (!stopping && finished.length < IMPORTS_PER_SWEEP) {
          const imp = await claimAndRun(fromSweep);
          if (!imp) break;
          finished.push(`${imp.id} ${imp.status}`);
        }
        return finished.length > 0
          ? `processed ${finished.length} import(s): ${finished.join(', ')}`
          : undefined;
      },
    },
    start() {
      stopping = false;
      deps.wakeUps?.start(async (importId) => {
        // A malformed id is dropped: the sweep still finds every import.
        if (isUuid(importId)) await claimAndRun(fromStream, importId);
      });
    },
    async stop() {
      stopping = true;
      await deps.wakeUps?.stop();
      await Promise.allSettled([...running]);
    },
    processNext(importId) {
      return claimAndRun(fromSweep, importId);
    },
  };
}
