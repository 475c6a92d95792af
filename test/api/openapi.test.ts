import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: unknown[];
  'x-roles'?: string[];
  responses?: Record<string, unknown>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { examples?: unknown[] }> };
}

let t: TestApp;
let document: Document;
beforeAll(async () => {
  t = await createTestApp({ PROMETHEUS_ENABLED: 'true' });
  document = (await t.request(undefined, 'GET', '/openapi.json')).json<Document>();
});
afterAll(() => t.close());

/** `/api/v1/aircraft/:id` → `/api/v1/aircraft/{id}`, as the document names paths. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

const documentedRoutes = () =>
  t.app.registeredRoutes.filter((route) => route.documented && route.method !== 'HEAD');

describe('the OpenAPI document', () => {
  it('describes every route the server registers, and no route it does not', () => {
    const registered = documentedRoutes().map((r) => `${r.method} ${openApiPath(r.url)}`);
    const described = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(registered.length).toBeGreaterThan(60);
    expect([...new Set(described)].sort()).toEqual([...new Set(registered)].sort());
  });

  it('gives every operation a unique operationId, a summary and a description or success schema', () => {
    const operations = Object.values(document.paths).flatMap((ops) => Object.values(ops));
    const ids = operations.map((op) => op.operationId);

    expect(new Set(ids).size).toBe(operations.length);
    for (const op of operations) {
      expect(op.summary, op.operationId).toBeTruthy();
      expect(
        Object.keys(op.responses ?? {}).some((status) => status.startsWith('2')),
        op.operationId,
      ).toBe(true);
    }
  });

  it('states security, roles and client errors for every /api/v1 operation behind a token', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith('/api/v1')) continue;
      for (const [method, op] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        expect(
          Object.keys(op.responses ?? {}).some((status) => status.startsWith('4')),
          name,
        ).toBe(true);
        if (op.security?.length === 0) continue; // public: login, refresh, logout
        expect(op.security, name).toEqual([{ bearerAuth: [] }]);
        expect(op['x-roles']?.length, name).toBeGreaterThan(0);
      }
    }
  });

  it('marks the public routes as needing no token', () => {
    expect(document.paths['/api/v1/auth/login']!.post!.security).toEqual([]);
    expect(document.paths['/health']!.get!.security).toEqual([]);
  });

  it('shows examples of the error envelope', () => {
    expect(document.components.schemas.ErrorResponse!.examples?.length).toBeGreaterThan(0);
  });

  it('serves the same document as YAML and the Swagger UI at /docs', async () => {
    const yaml = await t.request(undefined, 'GET', '/openapi.yaml');
    const ui = await t.request(undefined, 'GET', '/docs/');

    expect(yaml.headers['content-type']).toMatch(/yaml/);
    expect(yaml.body).toContain('openapi: 3.1.0');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});
