import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { importStorageDir, testImportProcessor, uploadCsv, type ImportJson } from '../support/imports.js';

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

const importCount = async () =>
  (await t.db.db.selectFrom('imports').select('id').where('org_id', '=', org.id).execute()).length;

/** What a refusal answered: status, envelope code and reason, and the fields it named. */
const refusal = (response: { statusCode: number; json: <T>() => T }) => {
  const body = response.json<{ code: string; reason: string; details?: Array<{ field: string }> }>();
  return {
    status: response.statusCode,
    code: body.code,
    reason: body.reason,
    fields: (body.details ?? []).map((d) => d.field),
  };
};

/** POST /imports/csv with a raw multipart body and content type. */
const rawUpload = (contentType: string, payload: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/imports/csv',
    payload,
    headers: { authorization: `Bearer ${scheduler}`, 'content-type': contentType },
  });

const FILE_PART = [
  '--XyZ',
  'Content-Disposition: form-data; name="type"',
  '',
  'aircraft',
  '--XyZ',
  'Content-Disposition: form-data; name="file"; filename="fleet.csv"',
  'Content-Type: text/csv',
  '',
  'tail_number,model',
  'N1,A320',
].join('\r\n');

describe('a malformed multipart upload', () => {
  it('without a boundary is a 400 in the envelope, and nothing is stored', async () => {
    const before = await importCount();
    const response = await rawUpload('multipart/form-data', `${FILE_PART}\r\n--XyZ--\r\n`);
    expect(refusal(response)).toMatchObject({
      status: 400,
      code: 'validation',
      reason: 'MALFORMED_MULTIPART',
    });
    expect(await importCount()).toBe(before);
  });

  it('without its closing boundary is a 400 in the envelope, and nothing is stored', async () => {
    const before = await importCount();
    const response = await rawUpload('multipart/form-data; boundary=XyZ', `${FILE_PART}\r\n`);
    expect(refusal(response)).toMatchObject({
      status: 400,
      code: 'validation',
      reason: 'MALFORMED_MULTIPART',
    });
    expect(await importCount()).toBe(before);
    const left = await readdir(t.config.importStorageDir, { recursive: true });
    expect(left.filter((name) => name.endsWith('.csv') || name.endsWith('.part'))).toEqual([]);
  });
});

describe('a NUL character in an upload', () => {
  it('in the file is refused at upload with 400 IMPORT_FILE_NUL naming its line, and nothing is stored', async () => {
    const before = await importCount();
    const response = await uploadCsv(t, scheduler, 'aircraft', 'tail_number,model\nN1,A320\nN2,A3\u000021\n');
    const answer = refusal(response);
    expect(answer).toEqual({ status: 400, code: 'validation', reason: 'IMPORT_FILE_NUL', fields: ['file'] });
    expect(response.json<{ error: string }>().error).toMatch(/line 3/);
    expect(await importCount()).toBe(before);
  });

  it('in the file name is a 400 naming the file', async () => {
    const response = await uploadCsv(t, scheduler, 'aircraft', 'tail_number,model\nN1,A320\n', {
      fileName: 'fleet\u0000.csv',
    });
    expect(refusal(response)).toMatchObject({ status: 400, reason: 'NUL_CHARACTER', fields: ['body.file'] });
  });
});

describe('a stored file with a NUL byte (uploaded before uploads were checked for it)', () => {
  it('fails its import at once with a clear error; the worker does not retry it', async () => {
    const response = await uploadCsv(t, scheduler, 'aircraft', 'tail_number,model\nN7,A320\n');
    const { id } = response.json<ImportJson>();
    const stored = await t.db.db
      .selectFrom('imports')
      .select('file_path')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${t.config.importStorageDir}/${stored.file_path}`, 'tail_number,model\nN7,A3\u000020\n');

    const done = await testImportProcessor(t).processNext(id);

    expect(done).toMatchObject({ status: 'failed', attemptCount: 1 });
    expect(done?.error).toMatch(/NUL character.*line 2/);
  });
});

describe('the upload answer', () => {
  it('names the import by import_id, as the specification does, and by id', async () => {
    const response = await uploadCsv(t, scheduler, 'aircraft', 'tail_number,model\nN9,A320\n');
    expect(response.statusCode).toBe(202);
    const body = response.json<{ id: string; import_id: string }>();
    expect(body.import_id).toBe(body.id);
    expect(response.headers.location).toBe(`/api/v1/imports/${body.import_id}`);
  });
});
