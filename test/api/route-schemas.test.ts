import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledOnFirstUse } from '../../src/api/rest/lazy-compilers.js';
import { createTestApp, type TestApp } from '../support/app.js';

// The server compiles a route's schemas on its first request (src/api/rest/lazy-compilers.ts), so a schema
// that cannot compile would only fail the first request to it: every one is compiled here, eagerly.

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createTestApp();
  const org = await t.createOrg();
  admin = await t.tokenFor(await t.createUser(org.id, 'admin'));
});
afterAll(() => t.close());

const INPUTS = ['body', 'querystring', 'params', 'headers'] as const;

/** A response entry's schemas: one, or one per content type (`{ content: { 'text/csv': { schema } } }`). */
function answerSchemas(entry: unknown): unknown[] {
  const content = (entry as { content?: Record<string, { schema: unknown }> }).content;
  return content ? Object.values(content).map((type) => type.schema) : [entry];
}

describe('route schemas', () => {
  it('compiles every route’s input validators and answer serializers', () => {
    const serializerFor = SerializerSelector()(t.app.getSchemas(), {});
    let validators = 0;
    let serializers = 0;
    for (const { method, url, schema } of t.app.registeredRoutes) {
      const route = `${method} ${url}`;
      for (const httpPart of INPUTS) {
        const input = schema[httpPart];
        if (input === undefined) continue;
        const validate = TypeBoxValidatorCompiler({ schema: input as never, method, url, httpPart });
        expect(typeof validate, `${route} ${httpPart}`).toBe('function');
        validators++;
      }
      for (const [httpStatus, entry] of Object.entries(schema.response ?? {})) {
        for (const answer of answerSchemas(entry)) {
          expect(
            () => serializerFor({ schema: answer, method, url, httpStatus }),
            `${route} ${httpStatus}`,
          ).not.toThrow();
          serializers++;
        }
      }
    }
    expect(validators).toBeGreaterThan(100);
    expect(serializers).toBeGreaterThan(500);
  });

  it('validates a route’s first request and serializes its first answer, compiled then', async () => {
    const unknownField = await t.request(admin, 'POST', '/api/v1/aircraft', {
      tail_number: 'N7001',
      model: 'A320neo',
      colour: 'blue',
    });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json()).toMatchObject({ code: 'validation' });

    const created = await t.request(admin, 'POST', '/api/v1/aircraft', {
      tail_number: 'N7001',
      model: 'A320neo',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json<{ tail_number: string }>().tail_number).toBe('N7001');
  });
});

describe('compiledOnFirstUse', () => {
  it('compiles nothing until the first call, then once however often it is called', () => {
    let compiled = 0;
    const double = compiledOnFirstUse(() => {
      compiled++;
      return (n: number) => n * 2;
    });
    expect(compiled).toBe(0);
    expect([double(1), double(2), double(3)]).toEqual([2, 4, 6]);
    expect(compiled).toBe(1);
  });
});
