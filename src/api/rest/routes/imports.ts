import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../../app/errors.js';
import {
  NulByteScanner,
  nulCharacterError,
  nulCharacterProblems,
  nulInFileMessage,
} from '../../../app/text-input.js';
import { importRowView, importView } from '../../../app/imports.js';
import type { Services } from '../../../app/services.js';
import {
  describeHeaderProblems,
  headerIsValid,
  headerProblems,
  IMPORT_TYPES,
  type ImportType,
} from '../../../domain/import.js';
import { allowedRoles, importAction } from '../../../domain/rbac.js';
import { mutationContext } from '../context.js';
import { pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import { sendReplay } from '../plugins/idempotency.js';
import { errorResponses, IdParams, SCOPE_NOTE } from '../schemas/common.js';
import {
  ImportListQuery,
  ImportRowListQuery,
  ImportRowSchema,
  ImportSchema,
  ImportScopeQuery,
  ImportUploadSchema,
  importColumns,
} from '../schemas/imports.js';

/** Who may import each type, from the RBAC table, so the OpenAPI text cannot drift from it. */
const IMPORT_ROLES_NOTE = `Who may upload each type (\`x-roles\` is their union; any other role gets 403): ${IMPORT_TYPES.map(
  (type) => `${type}: ${allowedRoles('imports', importAction(type)).join(', ')}`,
).join('; ')} — the roles that may create and update that type's records.`;

/** Where uploads go and how large they may be. */
export interface ImportRouteOptions {
  /** IMPORT_STORAGE_DIR: files are kept as `<org_id>/<import_id>.csv` below it. */
  storageDir: string;
  /** IMPORT_MAX_BYTES. */
  maxBytes: number;
}

/** The header row is at most this long; a longer first line is not a header. */
const MAX_HEADER_CHARS = 64 * 1024;

const tags = ['imports'];

/**
 * `/imports`: CSV uploads of aircraft, parts and programs, processed by the worker. Multipart
 * parsing is registered inside this plugin only, so every other route keeps refusing non-JSON
 * bodies with 415.
 */
export const importRoutes =
  ({ imports }: Services, options: ImportRouteOptions) =>
  async (instance: FastifyInstance): Promise<void> => {
    await instance.register(multipart, {
      limits: { fileSize: options.maxBytes, files: 1, fields: 4, parts: 5, fieldSize: 1024 },
    });
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/imports/csv',
      {
        // The upload is the request: an Idempotency-Key is checked once the file has been read.
        config: { ...policy('imports', 'create'), idempotencyAfterBody: true },
        schema: {
          tags,
          summary: 'Upload a CSV import',
          description: `Acts in your own organization. A \`multipart/form-data\` body with the field \`type\` (aircraft, parts or programs) and one \`file\`: a UTF-8 CSV whose header row names the columns of its type (see docs/imports.md). The file is stored and checked as it streams in: wrong or missing columns (400 IMPORT_HEADER_INVALID, naming them), an empty file (400 IMPORT_FILE_EMPTY), a file that is not UTF-8 (400 IMPORT_FILE_NOT_UTF8) or holds a NUL character (400 IMPORT_FILE_NUL, naming the line), a body that is not well-formed multipart (400 MALFORMED_MULTIPART: no boundary, no closing boundary) or a file larger than IMPORT_MAX_BYTES (413 IMPORT_FILE_TOO_LARGE) is refused. Answers 202 with the pending import (its id as both \`id\` and \`import_id\`); a worker validates and applies it, and \`GET /imports/{id}\` follows its progress. ${IMPORT_ROLES_NOTE} With an \`Idempotency-Key\`, the upload (type, file name and the file's bytes) is the request: a retry with the same file replays the first answer, another file under the same key is 409 IDEMPOTENCY_KEY_REUSED.`,
          consumes: ['multipart/form-data'],
          querystring: ImportScopeQuery,
          response: { 202: ImportUploadSchema, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
        },
      },
      async (request, reply) => {
        const upload = await receiveUpload(request, options);
        try {
          // The same key with another file (or type, or file name) is another request: 409.
          const replay = await request.beginIdempotency?.(
            `${upload.type}\n${upload.fileName}\n${upload.sha256}`,
          );
          if (replay) {
            await rm(upload.tempPath, { force: true });
            return await sendReplay(reply, replay);
          }
          const type = upload.type;
          const orgId = await imports.authorizeUpload(actorOf(request), type, {
            orgId: request.query.org_id,
          });
          checkHeader(upload.header, type);
          const relativePath = path.join(orgId, `${upload.id}.csv`);
          await mkdir(path.join(options.storageDir, orgId), { recursive: true });
          await rename(upload.tempPath, path.join(options.storageDir, relativePath));
          upload.tempPath = path.join(options.storageDir, relativePath);
          const imp = await imports.create(mutationContext(request), {
            id: upload.id,
            orgId,
            type,
            fileName: upload.fileName,
            filePath: relativePath,
          });
          // A retry recovering a first upload that crashed after committing gets that upload's
          // import back (see `mutate`): this copy of the file is not needed.
          if (imp.id !== upload.id) await rm(upload.tempPath, { force: true });
          const base = request.url.split('?')[0]!.replace(/\/csv\/?$/, '');
          return await reply
            .code(202)
            .header('Location', `${base}/${imp.id}`)
            .send({ import_id: imp.id, ...importView(imp) });
        } catch (error) {
          await rm(upload.tempPath, { force: true });
          throw error;
        }
      },
    );

    app.get(
      '/imports',
      {
        config: policy('imports', 'read'),
        schema: {
          tags,
          summary: 'List imports',
          description: `${SCOPE_NOTE} Newest first, filtered by \`status\` and \`type\`; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ImportListQuery,
          response: { 200: Type.Array(ImportSchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await imports.list(
          actorOf(request),
          { orgId: query.org_id, status: query.status, type: query.type },
          page,
        );
        return sendPage(request, reply, page, result, importView);
      },
    );

    app.get(
      '/imports/:id',
      {
        config: policy('imports', 'read'),
        schema: {
          tags,
          summary: 'Get an import',
          description: `${SCOPE_NOTE} Status, row counts, progress while it runs, and the summary once it has finished.`,
          params: IdParams,
          querystring: ImportScopeQuery,
          response: { 200: ImportSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        importView(await imports.get(actorOf(request), request.params.id, { orgId: request.query.org_id })),
    );

    app.get(
      '/imports/:id/rows',
      {
        config: policy('imports', 'read'),
        schema: {
          tags,
          summary: 'List the rows of an import',
          description: `${SCOPE_NOTE} By row number, filtered by \`status\` (\`status=invalid\` lists the rows with their errors); paginated with \`Link: <…>; rel="next"\`.`,
          params: IdParams,
          querystring: ImportRowListQuery,
          response: { 200: Type.Array(ImportRowSchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await imports.listRows(
          actorOf(request),
          request.params.id,
          { orgId: query.org_id, status: query.status },
          page,
        );
        return sendPage(request, reply, page, result, importRowView);
      },
    );
  };

/** An upload stored under a temporary name, with what was learnt while it streamed in. */
interface Upload {
  id: string;
  type: ImportType;
  fileName: string;
  tempPath: string;
  /** The cells of the first line. */
  header: string[];
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
}

/**
 * Reads the multipart body: the `type` field and exactly one `file`, streamed to disk (never held
 * in memory) while its size is counted, its bytes are checked to be UTF-8 and its first line is
 * kept as the header. Every refusal removes what was written.
 */
async function receiveUpload(request: FastifyRequest, options: ImportRouteOptions): Promise<Upload> {
  if (!request.isMultipart()) {
    throw Object.assign(new Error('send the CSV as multipart/form-data with the fields type and file'), {
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  }
  const id = randomUUID();
  const incoming = path.join(options.storageDir, '.incoming');
  const tempPath = path.join(incoming, `${id}.csv.part`);
  let type: string | undefined;
  let file: { fileName: string; header: string[]; sha256: string } | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.fieldname !== 'type') throw badField(part.fieldname, 'is not a known field');
        type = String(part.value).trim();
        continue;
      }
      if (part.fieldname !== 'file' || file !== undefined) {
        part.file.resume();
        throw badField(
          part.fieldname,
          file ? 'only one file may be sent' : 'the file goes in the field "file"',
        );
      }
      await mkdir(incoming, { recursive: true });
      file = await storeFile(part, tempPath);
    }
  } catch (error) {
    await rm(tempPath, { force: true });
    throw uploadError(error, options.maxBytes);
  }
  if (!file) {
    await rm(tempPath, { force: true });
    throw badField('file', 'is required');
  }
  // The file name is stored; the type is named in the answer. Neither may carry a NUL.
  const nul = nulCharacterError(nulCharacterProblems({ type, file: file.fileName }, 'body'));
  if (nul) {
    await rm(tempPath, { force: true });
    throw nul;
  }
  if (type === undefined || !(IMPORT_TYPES as readonly string[]).includes(type)) {
    await rm(tempPath, { force: true });
    throw badField('type', type === undefined ? 'is required' : `must be one of ${IMPORT_TYPES.join(', ')}`);
  }
  return { id, type: type as ImportType, tempPath, ...file };
}

/** Streams one file part to `target`, checking size, encoding and that it holds a header and data. */
async function storeFile(
  part: MultipartFile,
  target: string,
): Promise<{ fileName: string; header: string[]; sha256: string }> {
  const inspector = new CsvUploadInspector();
  await pipeline(part.file, inspector, createWriteStream(target));
  if (part.file.truncated) throw tooLarge();
  if (inspector.headerLine === undefined || inspector.headerLine.replace(/^\uFEFF/, '').trim() === '') {
    throw AppError.validation(
      'the file is empty',
      [{ field: 'file', message: 'is empty' }],
      'IMPORT_FILE_EMPTY',
    );
  }
  if (!inspector.dataSeen) {
    throw AppError.validation(
      'the file has a header row but no data rows',
      [{ field: 'file', message: 'has no data rows' }],
      'IMPORT_FILE_EMPTY',
    );
  }
  let header: string[];
  try {
    const records: string[][] = parse(inspector.headerLine, { bom: true, to_line: 1 });
    header = records[0] ?? [];
  } catch (error) {
    throw AppError.validation(
      `the header row is not valid CSV: ${(error as Error).message}`,
      [{ field: 'file', message: 'the header row is not valid CSV' }],
      'IMPORT_HEADER_INVALID',
    );
  }
  return {
    fileName: path.basename(part.filename || 'upload.csv'),
    header,
    sha256: inspector.sha256.digest('hex'),
  };
}

/**
 * Passes the bytes through unchanged while checking they are UTF-8 (a fatal decoder fails on the
 * first bad sequence) and hold no NUL byte (PostgreSQL could not store the row), keeping the first line (the header) and whether any data follows it, and
 * hashing them.
 */
class CsvUploadInspector extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly nul = new NulByteScanner();
  /** Of every byte passed through: what identifies the file for an Idempotency-Key. */
  readonly sha256 = createHash('sha256');
  private firstLine = '';
  headerLine: string | undefined;
  dataSeen = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.sha256.update(chunk);
    const nulLine = this.nul.scan(chunk);
    if (nulLine !== undefined) {
      done(
        AppError.validation(
          nulInFileMessage(nulLine),
          [{ field: 'file', message: `contains a NUL character on line ${nulLine}` }],
          'IMPORT_FILE_NUL',
        ),
      );
      return;
    }
    try {
      this.inspect(this.decoder.decode(chunk, { stream: true }));
    } catch (error) {
      done(error as Error);
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.inspect(this.decoder.decode());
      if (this.headerLine === undefined) this.headerLine = this.firstLine;
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  }

  private inspect(text: string): void {
    if (this.headerLine !== undefined) {
      if (!this.dataSeen && text.trim() !== '') this.dataSeen = true;
      return;
    }
    const newline = text.indexOf('\n');
    if (newline === -1) {
      this.firstLine += text;
      if (this.firstLine.length > MAX_HEADER_CHARS) {
        throw AppError.validation(
          `the first line is longer than ${MAX_HEADER_CHARS} characters; it is not a header row`,
          [{ field: 'file', message: 'the header row is too long' }],
          'IMPORT_HEADER_INVALID',
        );
      }
      return;
    }
    this.headerLine = (this.firstLine + text.slice(0, newline)).replace(/\r$/, '');
    this.dataSeen = text.slice(newline + 1).trim() !== '';
  }
}

/** Refuses (400 IMPORT_HEADER_INVALID) a header that lacks required columns or names unknown ones. */
function checkHeader(header: string[], type: ImportType): void {
  const columns = importColumns(type);
  const problems = headerProblems(header, columns);
  if (headerIsValid(problems)) return;
  throw AppError.validation(
    describeHeaderProblems(problems, columns),
    [
      ...problems.missing.map((name) => ({ field: `file.header.${name}`, message: 'is a required column' })),
      ...problems.unknown.map((name) => ({
        field: `file.header.${name}`,
        message: `is not a column of ${type}`,
      })),
      ...problems.duplicate.map((name) => ({
        field: `file.header.${name}`,
        message: 'appears more than once',
      })),
    ],
    'IMPORT_HEADER_INVALID',
  );
}

const badField = (field: string, message: string): AppError =>
  AppError.validation(`${field} ${message}`, [{ field: `body.${field}`, message }]);

const tooLarge = (): Error =>
  Object.assign(new Error('the file is larger than the server accepts (IMPORT_MAX_BYTES)'), {
    statusCode: 413,
    code: 'IMPORT_FILE_TOO_LARGE',
  });

/** The errors of reading an upload as the client's fault they are. */
function uploadError(error: unknown, maxBytes: number): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'IMPORT_FILE_TOO_LARGE') {
    return Object.assign(new Error(`the file is larger than ${maxBytes} bytes, the most an import accepts`), {
      statusCode: 413,
      code: 'IMPORT_FILE_TOO_LARGE',
    });
  }
  if (code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
    return AppError.validation(
      'the file is not UTF-8 text; save the CSV as UTF-8',
      [{ field: 'file', message: 'is not UTF-8' }],
      'IMPORT_FILE_NOT_UTF8',
    );
  }
  // busboy's own parse errors carry no code: "Multipart: Boundary not found", "Unexpected end of
  // multipart data", "Part terminated early due to unexpected end of multipart data".
  if (code === undefined && error instanceof Error && /multipart/i.test(error.message)) {
    return AppError.validation(
      `the body is not valid multipart/form-data (${error.message}); send a boundary in the Content-Type and close the body with it`,
      [{ field: 'body', message: 'is not valid multipart/form-data' }],
      'MALFORMED_MULTIPART',
    );
  }
  if (code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return AppError.validation(
      'send one file and the type field only',
      [{ field: 'body', message: 'has too many parts' }],
      'VALIDATION_FAILED',
    );
  }
  return error;
}
