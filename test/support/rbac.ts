/**
 * The RBAC matrix runner: a table of routes, each with the roles the specification lets through,
 * checked for every one of the five roles and once without a token.
 */
import { expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/roles.js';
import type { TestApp } from './app.js';

export interface RouteCase {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /**
   * Builds the path below `/api/v1` and the body. Builds a fresh target on each call, so deletes
   * and state changes never run out of targets.
   */
  build: () => Promise<{ url: string; body?: unknown }>;
  /** The roles the specification lets through; every other role gets 403 `forbidden`. */
  allowed: readonly Role[];
}

/** All five roles. */
export const EVERYONE: readonly Role[] = ROLES;
/** The system admin and the organization's own admin. */
export const ORG_ADMINS: readonly Role[] = ['admin', 'tenant_admin'];
/** The roles that plan maintenance. */
export const SCHEDULERS: readonly Role[] = ['admin', 'scheduler'];
/** The roles that do the maintenance work: planning it and carrying it out. */
export const MAINTENANCE_STAFF: readonly Role[] = ['admin', 'scheduler', 'mechanic'];

/** What the matrix needs once `beforeAll` has run: the app and a token per role. */
export interface RbacWorld {
  t: TestApp;
  tokens: Readonly<Record<Role, string>>;
}

/**
 * Registers, inside the caller's `describe`, one test per route and role (2xx when the role is
 * allowed, 403 `forbidden` otherwise) and one per route without a token (401). `world` is read
 * when the tests run, after the file's `beforeAll`.
 */
export function itEnforcesRoles(routes: Record<string, RouteCase>, world: () => RbacWorld): void {
  const cases = Object.entries(routes).flatMap(([name, route]) =>
    ROLES.map((role) => ({ name, role, route, allowed: route.allowed.includes(role) })),
  );

  it.each(cases)('$name as $role: allowed=$allowed', async ({ role, route, allowed }) => {
    const { t, tokens } = world();
    const { url, body } = await route.build();
    const response = await t.request(tokens[role], route.method, `/api/v1${url}`, body);
    if (allowed) {
      expect(response.statusCode, response.body).toBeGreaterThanOrEqual(200);
      expect(response.statusCode, response.body).toBeLessThan(300);
    } else {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
  });

  // The OpenAPI's x-roles of each operation must name exactly the roles the matrix lets through
  // (for a route the matrix runs several times, e.g. once per import type, their union).
  const operations = new Map<string, Set<Role>>();
  for (const [name, route] of Object.entries(routes)) {
    const key = operationKey(route.method, name);
    const roles = operations.get(key) ?? new Set<Role>();
    route.allowed.forEach((role) => roles.add(role));
    operations.set(key, roles);
  }
  it.each([...operations])('x-roles of %s name exactly the roles let through', (key, allowed) => {
    const spec = world().t.app.swagger() as { paths: Record<string, Record<string, { 'x-roles'?: Role[] }>> };
    const [method, path] = key.split(' ') as [string, string];
    const found = Object.entries(spec.paths).find(([p]) => pathPattern(p) === path);
    expect(found, `${key} in the OpenAPI`).toBeDefined();
    expect([...(found![1][method.toLowerCase()]?.['x-roles'] ?? [])].sort()).toEqual([...allowed].sort());
  });

  it.each(Object.entries(routes))('%s without a token answers 401', async (_name, route) => {
    const { url, body } = await route.build();
    const response = await world().t.request(undefined, route.method, `/api/v1${url}`, body);
    expect(response.statusCode).toBe(401);
  });
}

/** The operation a matrix entry names: `GET /imports/:id (x)` is `GET /api/v1/imports/{*}`. */
function operationKey(method: string, name: string): string {
  const path = name.replace(/^\w+\s+/, '').replace(/\s*\(.*\)$/, '');
  return `${method} ${pathPattern(`/api/v1${path}`)}`;
}

/** A path with each parameter (`:id` or `{id}`) as `*`, so both spellings compare equal. */
function pathPattern(path: string): string {
  return path.replace(/:\w+|\{\w+\}/g, '*');
}
