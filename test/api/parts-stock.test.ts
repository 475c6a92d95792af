import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertPartDefinition, insertPartItem, insertReservation } from '../support/factories.js';
import { expireItem } from '../support/parts.js';
import { EVERYONE, itEnforcesRoles, type RouteCase } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

interface StockJson {
  part_definition_id: string;
  name: string;
  in_stock: number;
  reserved: number;
  available: number;
  expiring_within_30_days: number;
  below_min_stock_level: boolean;
  at_or_below_reorder_point: boolean;
  out_of_stock: boolean;
  earliest_arrival: string | null;
}

const DAY = 86_400_000;
const stock = async (query: string, token = tenant.tokens.scheduler) => {
  const response = await t.request(token, 'GET', `/api/v1/parts/stock${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<StockJson[]>();
};
/** A definition of its own category (so each test reads only its own rows) with `items` in stock. */
async function definitionWith(category: string, items: number, settings: Record<string, unknown> = {}) {
  const definition = await insertPartDefinition(t.db.db, { org_id: tenant.org.id, category, ...settings });
  const ids: string[] = [];
  for (let i = 0; i < items; i++) {
    ids.push(
      (await insertPartItem(t.db.db, { org_id: tenant.org.id, part_definition_id: definition.id })).id,
    );
  }
  return { definition, ids };
}

describe('GET /parts/stock', () => {
  it('counts in stock, reserved, available and expiring items per definition, ignoring used and expired ones', async () => {
    const { definition, ids } = await definitionWith('counting', 4, {
      min_stock_level: 3,
      reorder_point: 2,
      lead_time_days: 10,
    });
    await insertReservation(t.db.db, { org_id: tenant.org.id, part_item_id: ids[0]! });
    await insertPartItem(t.db.db, {
      org_id: tenant.org.id,
      part_definition_id: definition.id,
      expiry_date: new Date(Date.now() + 10 * DAY),
    });
    await insertPartItem(t.db.db, {
      org_id: tenant.org.id,
      part_definition_id: definition.id,
      status: 'used',
    });
    await expireItem(t.db.db, ids[1]!);

    const [row] = await stock('?category=counting');
    const today = new Date().toISOString().slice(0, 10);
    expect(row).toMatchObject({
      part_definition_id: definition.id,
      in_stock: 4,
      reserved: 1,
      available: 3,
      expiring_within_30_days: 1,
      min_stock_level: 3,
      reorder_point: 2,
      lead_time_days: 10,
      below_min_stock_level: false,
      at_or_below_reorder_point: false,
      out_of_stock: false,
    });
    expect(row!.earliest_arrival).toBe(new Date(Date.parse(today) + 10 * DAY).toISOString().slice(0, 10));
  });

  it('flags low and out-of-stock definitions and filters them with low=true', async () => {
    const ok = await definitionWith('flags', 3, { reorder_point: 2, name: 'Flag ok' });
    const low = await definitionWith('flags', 2, { reorder_point: 2, min_stock_level: 3, name: 'Flag low' });
    const out = await definitionWith('flags', 0, { name: 'Flag out' });
    const rows = await stock('?category=flags');
    expect(
      rows.map((r) => [r.name, r.below_min_stock_level, r.at_or_below_reorder_point, r.out_of_stock]),
    ).toEqual([
      ['Flag low', true, true, false],
      ['Flag ok', false, false, false],
      ['Flag out', false, false, true],
    ]);
    expect(rows.find((r) => r.name === 'Flag out')!.earliest_arrival).toBeNull();
    expect((await stock('?category=flags&low=true')).map((r) => r.part_definition_id)).toEqual([
      low.definition.id,
      out.definition.id,
    ]);
    expect((await stock('?category=flags&low=false')).map((r) => r.part_definition_id)).toEqual([
      ok.definition.id,
    ]);
  });

  it('searches name or category with q, sorts by available, and pages with Link', async () => {
    await definitionWith('sorting', 2, { name: 'Sort two' });
    await definitionWith('sorting', 0, { name: 'Sort none' });
    await definitionWith('sorting', 1, { name: 'Sort one' });
    expect((await stock('?q=SORT%20O')).map((r) => r.name)).toEqual(['Sort one']);
    expect((await stock('?category=sorting&sort=-available')).map((r) => r.available)).toEqual([2, 1, 0]);
    const first = await t.request(
      tenant.tokens.auditor,
      'GET',
      '/api/v1/parts/stock?category=sorting&sort=available&limit=2',
    );
    expect(first.json<StockJson[]>().map((r) => r.name)).toEqual(['Sort none', 'Sort one']);
    expect(first.headers.link).toContain('offset=2');
  });

  it('shows only the caller’s organization, and an admin another one only by naming it', async () => {
    const foreign = await insertPartDefinition(t.db.db, { org_id: other.org.id, category: 'isolation' });
    expect(await stock('?category=isolation')).toEqual([]);
    const named = await stock(`?category=isolation&org_id=${other.org.id}`, tenant.tokens.admin);
    expect(named.map((r) => r.part_definition_id)).toEqual([foreign.id]);
  });

  it('answers bad filters and sorts with 400 in the envelope', async () => {
    for (const query of ['?low=maybe', '?sort=price', '?limit=0', '?q=', '?colour=red', '?cursor=nonsense']) {
      const response = await t.request(tenant.tokens.scheduler, 'GET', `/api/v1/parts/stock${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ code: 'validation' });
    }
  });
});

describe('RBAC of GET /parts/stock', () => {
  const routes: Record<string, RouteCase> = {
    'GET /parts/stock': { method: 'GET', build: async () => ({ url: '/parts/stock' }), allowed: EVERYONE },
  };
  itEnforcesRoles(routes, () => ({ t, tokens: tenant.tokens }));
});
