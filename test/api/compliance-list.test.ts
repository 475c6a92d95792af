import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import type { TestApp } from '../support/app.js';
import { complianceRows, createComplianceWorld, type ItemJson } from '../support/compliance.js';
import { insertComplianceItem } from '../support/factories.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let tokens: Record<Role, string>;
let userIds: Record<Role, string>;
let rows: ReturnType<typeof complianceRows>;
let taskId: string;
/** In creation order: pending, fail signed at 10:00 by the mechanic, pass signed at 12:00 by another user, pass. */
const ids: string[] = [];

beforeAll(async () => {
  ({ t, home, other, tokens, userIds } = await createComplianceWorld());
  rows = complianceRows(t);
  taskId = (await rows.newTask(home.id)).id;
  const otherSigner = (await t.createUser(home.id, 'mechanic')).id;
  const specs = [
    { result: 'pending' as const },
    { result: 'fail' as const, sign_off_user_id: userIds.mechanic, sign_off_time: '2030-02-01T10:00:00Z' },
    { result: 'pass' as const, sign_off_user_id: otherSigner, sign_off_time: '2030-02-01T12:00:00Z' },
    { result: 'pass' as const },
  ];
  for (const [i, spec] of specs.entries()) {
    const created_at = new Date(Date.UTC(2030, 0, 1, 0, i));
    ids.push(
      (await insertComplianceItem(t.db.db, { org_id: home.id, task_id: taskId, created_at, ...spec })).id,
    );
  }
  await rows.newItem(home.id);
  await rows.newItem(other.id);
});
afterAll(async () => {
  await t.close();
});

const list = (query: string, token = tokens.auditor) =>
  t.request(token, 'GET', `/api/v1/compliance-items?task_id=${taskId}${query}`);
const listedIds = async (query: string) => {
  const response = await list(query);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ItemJson[]>().map((item) => item.id);
};

describe('listing compliance items', () => {
  it('lists the items of a task oldest first, with signed_off beside the signer', async () => {
    const response = await list('');
    const items = response.json<ItemJson[]>();
    expect(items.map((i) => i.id)).toEqual(ids);
    expect(items.map((i) => i.signed_off)).toEqual([false, true, true, false]);
    expect(items[1]).toMatchObject({
      sign_off_user_id: userIds.mechanic,
      sign_off_time: '2030-02-01T10:00:00.000Z',
    });
  });

  it('lists only the organization’s own items', async () => {
    const all = (await t.request(tokens.scheduler, 'GET', '/api/v1/compliance-items')).json<ItemJson[]>();
    expect(all).toHaveLength(5);
    expect(all.every((item) => item.org_id === home.id)).toBe(true);
  });

  it('filters by result, by signed or not, by signer and by sign-off time', async () => {
    expect(await listedIds('&result=pass')).toEqual([ids[2], ids[3]]);
    expect(await listedIds('&signed=true')).toEqual([ids[1], ids[2]]);
    expect(await listedIds('&signed=false')).toEqual([ids[0], ids[3]]);
    expect(await listedIds(`&signed_by=${userIds.mechanic}`)).toEqual([ids[1]]);
    expect(await listedIds('&from=2030-02-01T11:00:00Z')).toEqual([ids[2]]);
    expect(await listedIds('&from=2030-02-01T10:00:00Z&to=2030-02-01T12:00:00Z')).toEqual([ids[1]]);
    expect(await listedIds('&to=2030-02-01T13:00:00%2B02:00')).toEqual([ids[1]]);
  });

  it('sorts by sign-off time or newest first, breaking ties by id', async () => {
    expect((await listedIds('&signed=true&sort=-sign_off_time')).slice(0, 2)).toEqual([ids[2], ids[1]]);
    expect(await listedIds('&sort=-created_at')).toEqual([...ids].reverse());
  });

  it('pages with limit and offset and a Link to the next page', async () => {
    const first = await list('&limit=3');
    expect(first.json<ItemJson[]>().map((i) => i.id)).toEqual(ids.slice(0, 3));
    const next = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link))?.[1];
    expect(next).toContain('offset=3');
    const second = await t.request(tokens.auditor, 'GET', next!);
    expect(second.json<ItemJson[]>().map((i) => i.id)).toEqual([ids[3]]);
    expect(second.headers.link).toBeUndefined();
  });

  it('refuses bad filters with 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['&signed=maybe', 'querystring.signed'],
      ['&result=unknown', 'querystring.result'],
      ['&from=yesterday', 'querystring.from'],
      ['&to=2030-02-01', 'querystring.to'],
      ['&signed_by=nope', 'querystring.signed_by'],
      ['&sort=description', 'querystring.sort'],
      ['&limit=0', 'querystring.limit'],
      ['&colour=red', 'querystring.colour'],
      ['&from=2030-02-01T12:00:00Z&to=2030-02-01T12:00:00Z', 'querystring.to'],
    ];
    for (const [query, field] of cases) {
      const response = await list(query);
      expect(response.statusCode, query).toBe(400);
      expect(
        response.json<{ details: { field: string }[] }>().details.map((d) => d.field),
        query,
      ).toContain(field);
    }
    const empty = await list('&from=2030-02-01T12:00:00Z&to=2030-02-01T11:00:00Z');
    expect(empty.json()).toMatchObject({ reason: 'INVALID_TIME_RANGE' });
  });

  it('lets an admin list another organization’s items by naming it', async () => {
    const response = await t.request(tokens.admin, 'GET', `/api/v1/compliance-items?org_id=${other.id}`);
    expect(response.json<ItemJson[]>().map((i) => i.org_id)).toEqual([other.id]);
  });
});
