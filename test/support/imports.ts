/** Helpers of the CSV import tests: uploads, the example files, a processor and the rows they leave. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { createLogger } from '../../src/observability/logger.js';
import { importRowChecker } from '../../src/api/rest/schemas/imports.js';
import { PgImportBatchRunner } from '../../src/infra/postgres/import-batches.js';
import { importProcessor, type ImportProcessorDeps } from '../../src/jobs/import-processor.js';
import type { TestApp } from './app.js';

/** A fresh IMPORT_STORAGE_DIR for one test file. */
export const importStorageDir = (): Promise<string> => mkdtemp(path.join(tmpdir(), 'amss-imports-'));

/** The text of an example file of docs/examples. */
export const exampleCsv = (name: string): Promise<string> =>
  readFile(new URL(`../../docs/examples/${name}`, import.meta.url), 'utf8');

/** The multipart body of an upload: the `type` field (unless undefined) and one file. */
export function csvForm(
  type: string | undefined,
  content: string | Uint8Array,
  fileName = 'upload.csv',
): FormData {
  const form = new FormData();
  if (type !== undefined) form.append('type', type);
  form.append('file', new Blob([content]), fileName);
  return form;
}

/** POST /imports/csv with a token. */
export function uploadCsv(
  t: TestApp,
  token: string,
  type: string | undefined,
  content: string | Uint8Array,
  options: { fileName?: string; query?: string; idempotencyKey?: string } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/imports/csv${options.query ?? ''}`,
    payload: csvForm(type, content, options.fileName),
    headers: {
      authorization: `Bearer ${token}`,
      ...(options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey }),
    },
  });
}

/** An import processor on the test app's database and storage, silent, without Redis unless given. */
export function testImportProcessor(t: TestApp, overrides: Partial<ImportProcessorDeps> = {}) {
  return importProcessor({
    uow: t.container.uow,
    batches: new PgImportBatchRunner(t.db.db),
    rows: importRowChecker,
    storageDir: t.config.importStorageDir,
    workerId: 'test-worker',
    logger: createLogger('silent'),
    ...overrides,
  });
}

/** The audit rows of an organization for one entity type. */
export const auditRowsFor = (t: TestApp, orgId: string, entityType: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('entity_type', '=', entityType)
    .execute();

/** The outbox events of an organization of one type. */
export const eventsFor = (t: TestApp, orgId: string, eventType: string) =>
  t.db.db
    .selectFrom('outbox_events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('event_type', '=', eventType)
    .execute();

/** The JSON of an import as the API answers it. */
export interface ImportJson {
  id: string;
  org_id: string;
  type: string;
  status: string;
  file_name: string;
  total_rows: number;
  valid_rows: number;
  invalid_rows: number;
  applied_rows: number;
  summary: Record<string, number>;
  error: string | null;
  progress: { phase: string; rows_processed: number; rows_total: number | null; percent: number | null };
  attempt_count: number;
}

/** The JSON of a staged row. */
export interface ImportRowJson {
  row_number: number;
  raw: Record<string, string>;
  status: string;
  errors: string[];
  outcome: string | null;
}
