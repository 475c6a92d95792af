/**
 * Sweeps generated from the documents the server publishes, so a new route or RPC is covered
 * without editing this file: every operation of the served OpenAPI document and every RPC of
 * proto/amss.proto gets a NUL character in each of its text inputs, and every operation an
 * unknown query parameter.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  create,
  createFileRegistry,
  fromBinary,
  ScalarType,
  toBinary,
  type DescMessage,
} from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrpcServer } from '../../src/api/grpc/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startTestGrpc } from '../support/grpc.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import type { Role } from '../../src/domain/roles.js';

/** The parts of a JSON Schema (as the OpenAPI document shows them) the sweeps need. */
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  minLength?: number;
  minItems?: number;
  minProperties?: number;
  pattern?: string;
}
interface Parameter {
  in: 'path' | 'query';
  name: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  'x-roles'?: Role[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Sweepable {
  name: string;
  method: string;
  path: string;
  operation: Operation;
}

let t: TestApp;
let grpc: GrpcServer;
let address: string;
let tenant: Tenant;
let operations: Sweepable[];

beforeAll(async () => {
  t = await createTestApp();
  ({ server: grpc, address } = await startTestGrpc(t));
  tenant = await createTenant(t);
  const document = (await t.request(undefined, 'GET', '/openapi.json')).json<{
    paths: Record<string, Record<string, Operation>>;
  }>();
  operations = Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      operation,
    })),
  );
});
afterAll(async () => {
  await grpc.close(1000);
  await t.close();
});

const NUL_TEXT = 'x\u0000y';
const nonNull = (schema: Schema): Schema =>
  [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].find((s) => s.type !== 'null') ?? schema;
const typeOf = (schema: Schema) => [schema.type ?? 'object'].flat().find((type) => type !== 'null');

/** A value the schema accepts (required fields only), for requests that must pass validation. */
function validValue(raw: Schema): unknown {
  const schema = nonNull(raw);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  switch (typeOf(schema)) {
    case 'string': {
      const formats: Record<string, string> = {
        uuid: randomUUID(),
        'date-time': '2031-01-01T00:00:00Z',
        date: '2031-01-01',
        email: 'sweep@example.com',
      };
      const text = formats[schema.format ?? ''] ?? 'a'.repeat(Math.max(1, schema.minLength ?? 1));
      if (schema.pattern) expect(text, `a sample for ${schema.pattern}`).toMatch(new RegExp(schema.pattern));
      return text;
    }
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => validValue(schema.items ?? {}));
    default: {
      // The required fields, and optional ones where the schema wants more (a PATCH's minProperties).
      const names = [...new Set([...(schema.required ?? []), ...Object.keys(schema.properties ?? {})])];
      const count = Math.max(schema.required?.length ?? 0, schema.minProperties ?? 0);
      return Object.fromEntries(
        names.slice(0, count).map((name) => [name, validValue(schema.properties![name]!)]),
      );
    }
  }
}

/** A value with every field of the schema, each string holding a NUL; `fields` collects their paths. */
function nulValue(raw: Schema, path: string, fields: string[]): unknown {
  const schema = nonNull(raw);
  switch (typeOf(schema)) {
    case 'string':
      fields.push(path);
      return NUL_TEXT;
    case 'array':
      return [nulValue(schema.items ?? {}, `${path}.0`, fields)];
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([name, s]) => [
          name,
          nulValue(s, `${path}.${name}`, fields),
        ]),
      );
    default:
      return validValue(schema);
  }
}

/** A token of a role the operation allows, so its inputs are reached (public operations ignore it). */
const tokenFor = (operation: Operation) => tenant.tokens[operation['x-roles']?.[0] ?? 'admin'];

const jsonBody = (operation: Operation) => operation.requestBody?.content['application/json']?.schema;
const parameters = (operation: Operation, where: Parameter['in']) =>
  (operation.parameters ?? []).filter((p) => p.in === where);

/** The operation's URL with `pathValue` for each path parameter and the query given. */
function url(op: Sweepable, pathValue: (p: Parameter) => string, query: Record<string, string>) {
  const path = parameters(op.operation, 'path').reduce(
    (url, p) => url.replace(`{${p.name}}`, encodeURIComponent(pathValue(p))),
    op.path,
  );
  const search = new URLSearchParams(query).toString();
  return search ? `${path}?${search}` : path;
}

/** The JSON of a response, or `{}` for an empty one (a 204). */
const jsonOf = <T = unknown>(response: LightMyRequestResponse): T =>
  (response.body === '' ? {} : response.json()) as T;

describe('a NUL character in any REST input', () => {
  it('is a 400 NUL_CHARACTER naming every field that holds one, on every operation of the OpenAPI document', async () => {
    expect(operations.length).toBeGreaterThan(60);
    for (const op of operations) {
      const fields = parameters(op.operation, 'path').map((p) => `params.${p.name}`);
      const query = Object.fromEntries(parameters(op.operation, 'query').map((p) => [p.name, NUL_TEXT]));
      fields.push(...Object.keys(query).map((name) => `querystring.${name}`));
      const schema = jsonBody(op.operation);
      const body = schema ? nulValue(schema, 'body', fields) : undefined;
      if (fields.length === 0) continue; // nothing of the request is text

      const response = await t.app.inject({
        method: op.method as 'GET',
        url: url(op, () => NUL_TEXT, query),
        headers: { authorization: `Bearer ${tokenFor(op.operation)}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });

      const answer = jsonOf<{ reason?: string; details?: Array<{ field: string; message: string }> }>(
        response,
      );
      const named = (answer.details ?? []).filter((d) => /NUL/.test(d.message)).map((d) => d.field);
      expect
        .soft({ status: response.statusCode, reason: answer.reason, fields: named.sort() }, op.name)
        .toEqual({ status: 400, reason: 'NUL_CHARACTER', fields: fields.sort() });
    }
  });
});

describe('an unknown query parameter', () => {
  it('is a 400 naming it, on every operation of the OpenAPI document', async () => {
    for (const op of operations) {
      const query = Object.fromEntries(
        parameters(op.operation, 'query')
          .filter((p) => p.required)
          .map((p) => [p.name, String(validValue(p.schema))]),
      );
      const schema = jsonBody(op.operation);
      const response = await t.app.inject({
        method: op.method as 'GET',
        url: url(op, (p) => String(validValue(p.schema)), { ...query, sweep_unknown: '1' }),
        headers: { authorization: `Bearer ${tokenFor(op.operation)}` },
        ...(schema ? { payload: validValue(schema) as object } : {}),
      });

      expect.soft({ status: response.statusCode, body: jsonOf(response) }, op.name).toMatchObject({
        status: 400,
        body: { details: [{ field: 'querystring.sweep_unknown', message: 'is not a known field' }] },
      });
    }
  });
});

/** Every RPC of proto/amss.proto, from its compiled descriptors. */
function rpcs() {
  const registry = createFileRegistry(
    fromBinary(FileDescriptorSetSchema, readFileSync(new URL('../../proto/amss.binpb', import.meta.url))),
  );
  return [...registry].flatMap((type) =>
    type.kind === 'service'
      ? type.methods.map((method) => ({ path: `/${type.typeName}/${method.name}`, input: method.input }))
      : [],
  );
}

/**
 * A message with every text field (nested, repeated, in a Struct) holding a NUL; `fields` collects
 * their proto names.
 */
function nulMessage(desc: DescMessage, prefix: string, fields: string[]): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const field of desc.fields) {
    const name = `${prefix}${field.name}`;
    if (field.fieldKind === 'scalar' && field.scalar === ScalarType.STRING) {
      init[field.localName] = NUL_TEXT;
      fields.push(name);
    } else if (
      field.fieldKind === 'list' &&
      field.listKind === 'scalar' &&
      field.scalar === ScalarType.STRING
    ) {
      init[field.localName] = [NUL_TEXT];
      fields.push(`${name}.0`);
    } else if (field.fieldKind === 'list' && field.listKind === 'message') {
      init[field.localName] = [nulMessage(field.message, `${name}.0.`, fields)];
    } else if (field.fieldKind === 'message' && field.message.typeName === 'google.protobuf.Struct') {
      init[field.localName] = { note: NUL_TEXT };
      fields.push(`${name}.note`);
    } else if (field.fieldKind === 'message' && !field.message.typeName.startsWith('google.protobuf.')) {
      init[field.localName] = nulMessage(field.message, `${name}.`, fields);
    }
  }
  return init;
}

describe('a NUL character in any gRPC request', () => {
  it('is INVALID_ARGUMENT NUL_CHARACTER naming every field that holds one, on every RPC of the proto', async () => {
    const client = new Client(address, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${tenant.tokens.admin}`);
    const methods = rpcs();
    expect(methods.length).toBeGreaterThanOrEqual(9);
    for (const { path, input } of methods) {
      const fields: string[] = [];
      const request = create(input, nulMessage(input, '', fields) as never);
      if (fields.length === 0) continue;

      const error = await new Promise<ServiceError | null>((resolve) => {
        client.makeUnaryRequest(
          path,
          () => Buffer.from(toBinary(input, request)),
          (bytes: Buffer) => bytes,
          request,
          metadata,
          (failure) => resolve(failure),
        );
      });

      const details = error?.metadata.get('amss-details')[0];
      expect
        .soft(
          {
            code: error?.code,
            reason: String(error?.metadata.get('amss-reason')[0]),
            fields: (JSON.parse(String(details ?? '[]')) as Array<{ field: string }>)
              .map((d) => d.field)
              .sort(),
          },
          `${path}: ${error?.details}`,
        )
        .toEqual({ code: status.INVALID_ARGUMENT, reason: 'NUL_CHARACTER', fields: fields.sort() });
    }
    client.close();
  });
});
