import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { TEST_PASSWORD, type TestApp } from '../support/app.js';
import { complianceRows, createComplianceWorld, type ItemJson } from '../support/compliance.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let tokens: Record<Role, string>;
let userIds: Record<Role, string>;
let otherMechanic: string;
let rows: ReturnType<typeof complianceRows>;
let mechanic: string;

beforeAll(async () => {
  ({ t, home, other, tokens, userIds, otherMechanic } = await createComplianceWorld());
  rows = complianceRows(t);
  mechanic = tokens.mechanic;
});
afterAll(async () => {
  await t.close();
});

const api = '/api/v1/compliance-items';
const create = (token: string, body: Record<string, unknown>, query = '') =>
  t.request(token, 'POST', `${api}${query}`, body);
const newItemJson = async (body: Record<string, unknown> = {}) => {
  const task = await rows.newTask(home.id);
  const response = await create(mechanic, { task_id: task.id, description: 'Torque check', ...body });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<ItemJson>();
};
const sign = (id: string, body?: Record<string, unknown>) =>
  t.request(mechanic, 'PATCH', `${api}/${id}/sign-off`, { password: TEST_PASSWORD, ...body });

describe('creating compliance items', () => {
  it('adds a pending, unsigned item to a task and answers 201 with its Location', async () => {
    const task = await rows.newTask(home.id, 'in_progress');
    const response = await create(mechanic, { task_id: task.id, description: '  Leak test  ' });
    expect(response.statusCode).toBe(201);
    const item = response.json<ItemJson>();
    expect(response.headers.location).toBe(`${api}/${item.id}`);
    expect(item).toMatchObject({
      org_id: home.id,
      task_id: task.id,
      description: 'Leak test',
      result: 'pending',
      signed_off: false,
      sign_off_user_id: null,
      sign_off_time: null,
    });
    expect(item.created_at).toMatch(/Z$/);
  });

  it('records one create audit row and one compliance_item_created event', async () => {
    const item = await newItemJson({ result: 'pass' });
    const audits = await rows.audits(item.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      action: 'create',
      entity_type: 'compliance_item',
      user_id: userIds.mechanic,
    });
    expect(audits[0]!.details).toMatchObject({ after: { id: item.id, result: 'pass', signed_off: false } });
    const events = await rows.events(item.id);
    expect(events.map((e) => [e.event_type, e.dedupe_key])).toEqual([
      ['compliance_item_created', `compliance_item_created:${home.id}:${item.id}`],
    ]);
    expect(events[0]!.payload).toMatchObject({
      version: 1,
      org_id: home.id,
      data: { task_id: item.task_id },
    });
  });

  it('answers a task of another org, an unknown or a deleted task with 404 naming task_id, writing nothing', async () => {
    const foreign = await rows.newTask(other.id);
    const deleted = await t.db.db
      .updateTable('maintenance_tasks')
      .set({ deleted_at: new Date() })
      .where('id', '=', (await rows.newTask(home.id)).id)
      .returning('id')
      .executeTakeFirstOrThrow();
    const before = (await rows.itemsOfOrg(home.id)).length;
    for (const taskId of [foreign.id, randomUUID(), deleted.id]) {
      const response = await create(mechanic, { task_id: taskId, description: 'Check' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({
        code: 'not_found',
        reason: 'TASK_NOT_FOUND',
        details: [{ field: 'body.task_id' }],
      });
    }
    expect(await rows.itemsOfOrg(home.id)).toHaveLength(before);
    expect(await rows.itemsOfOrg(other.id)).toHaveLength(0);
  });

  it('refuses items for completed and cancelled tasks with 409 TASK_CLOSED', async () => {
    for (const state of ['completed', 'cancelled'] as const) {
      const task = await rows.newTask(home.id, state);
      const response = await create(mechanic, { task_id: task.id, description: 'Late check' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict', reason: 'TASK_CLOSED' });
      expect(response.json<{ error: string }>().error).toContain(state);
    }
  });

  it('refuses bad bodies with 400 naming the field, writing nothing', async () => {
    const task = await rows.newTask(home.id);
    const cases: [Record<string, unknown>, string][] = [
      [{ description: 'No task' }, 'body.task_id'],
      [{ task_id: task.id }, 'body.description'],
      [{ task_id: task.id, description: 42 }, 'body.description'],
      [{ task_id: task.id, description: '   ' }, 'body.description'],
      [{ task_id: task.id, description: 'x', result: 'maybe' }, 'body.result'],
      [{ task_id: 'not-a-uuid', description: 'x' }, 'body.task_id'],
      [{ task_id: task.id, description: 'x', signed_off: true }, 'body.signed_off'],
    ];
    for (const [body, field] of cases) {
      const response = await create(mechanic, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation' });
      expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    }
    expect((await rows.itemsOfOrg(home.id)).filter((i) => i.task_id === task.id)).toHaveLength(0);
  });

  it('lets an admin add an item to another org’s task by naming the org', async () => {
    const task = await rows.newTask(other.id);
    const scope = `?org_id=${other.id}`;
    const response = await create(tokens.admin, { task_id: task.id, description: 'Check' }, scope);
    expect(response.statusCode).toBe(201);
    const item = response.json<ItemJson>();
    expect(item.org_id).toBe(other.id);
    expect(response.headers.location).toBe(`${api}/${item.id}${scope}`);
    const refused = await create(mechanic, { task_id: task.id, description: 'Check' }, scope);
    expect(refused.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
  });
});

describe('reading compliance items', () => {
  it('shows an item to every role of its org and 404 to another org', async () => {
    const item = await newItemJson();
    for (const token of Object.values(tokens)) {
      const response = await t.request(token, 'GET', `${api}/${item.id}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(item);
    }
    const foreign = await t.request(otherMechanic, 'GET', `${api}/${item.id}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ reason: 'COMPLIANCE_ITEM_NOT_FOUND' });
  });

  it('answers a malformed id with 400', async () => {
    const response = await t.request(mechanic, 'GET', `${api}/nope`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ details: [{ field: 'params.id' }] });
  });
});

describe('changing compliance items', () => {
  it('changes description and result before sign-off, auditing before and after', async () => {
    const item = await newItemJson();
    const response = await t.request(mechanic, 'PATCH', `${api}/${item.id}`, {
      description: 'Torque check, 25 Nm',
      result: 'fail',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      description: 'Torque check, 25 Nm',
      result: 'fail',
      signed_off: false,
    });
    const audits = await rows.audits(item.id);
    expect(audits.map((a) => a.action)).toEqual(['create', 'update']);
    expect(audits[1]!.details).toMatchObject({
      before: { description: 'Torque check', result: 'pending' },
      after: { description: 'Torque check, 25 Nm', result: 'fail' },
    });
  });

  it('emits one compliance_item_updated event per change, each with its own dedupe key', async () => {
    const item = await newItemJson();
    await t.request(mechanic, 'PATCH', `${api}/${item.id}`, { result: 'fail' });
    await t.request(tokens.admin, 'PATCH', `${api}/${item.id}`, { result: 'pass' });
    const updates = (await rows.events(item.id)).filter((e) => e.event_type === 'compliance_item_updated');
    expect(updates).toHaveLength(2);
    expect(new Set(updates.map((e) => e.dedupe_key)).size).toBe(2);
  });

  it('refuses changes after a sign-off, also one made straight in the database, with 409 ALREADY_SIGNED_OFF', async () => {
    const viaApi = await newItemJson({ result: 'pass' });
    expect((await sign(viaApi.id)).statusCode).toBe(200);
    const viaSql = await newItemJson();
    await rows.signInSql(viaSql.id, userIds.mechanic);
    for (const item of [viaApi, viaSql]) {
      const before = await rows.item(item.id);
      const response = await t.request(mechanic, 'PATCH', `${api}/${item.id}`, { result: 'fail' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict', reason: 'ALREADY_SIGNED_OFF' });
      expect(await rows.item(item.id)).toEqual(before);
      expect((await rows.audits(item.id)).map((a) => a.action)).not.toContain('update');
    }
  });

  it('refuses changes to an item of a cancelled task with 409 TASK_CLOSED', async () => {
    const item = await newItemJson();
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'cancelled' })
      .where('id', '=', item.task_id)
      .execute();
    const response = await t.request(mechanic, 'PATCH', `${api}/${item.id}`, { result: 'pass' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'TASK_CLOSED' });
  });

  it('refuses bad bodies with 400 and another org’s item with 404', async () => {
    const item = await newItemJson();
    for (const body of [
      {},
      { result: 'maybe' },
      { description: '  ' },
      { description: 7 },
      { task_id: randomUUID() },
    ]) {
      const response = await t.request(mechanic, 'PATCH', `${api}/${item.id}`, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
    const foreign = await t.request(otherMechanic, 'PATCH', `${api}/${item.id}`, { result: 'pass' });
    expect(foreign.statusCode).toBe(404);
    expect(await rows.audits(item.id)).toHaveLength(1);
  });
});

describe('deleting compliance items', () => {
  it('soft-deletes an unsigned item: gone from reads and lists, one audit row, one event', async () => {
    const item = await newItemJson();
    expect((await t.request(mechanic, 'DELETE', `${api}/${item.id}`)).statusCode).toBe(204);
    expect((await t.request(mechanic, 'GET', `${api}/${item.id}`)).statusCode).toBe(404);
    expect((await t.request(mechanic, 'DELETE', `${api}/${item.id}`)).statusCode).toBe(404);
    const list = await t.request(mechanic, 'GET', `${api}?task_id=${item.task_id}`);
    expect(list.json()).toEqual([]);
    expect((await rows.item(item.id))?.deleted_at).toBeInstanceOf(Date);
    expect((await rows.audits(item.id)).map((a) => a.action)).toEqual(['create', 'delete']);
    expect((await rows.events(item.id)).map((e) => e.event_type)).toEqual([
      'compliance_item_created',
      'compliance_item_deleted',
    ]);
  });

  it('keeps a signed-off item forever: 409 ALREADY_SIGNED_OFF', async () => {
    const item = await newItemJson({ result: 'fail' });
    await sign(item.id);
    const response = await t.request(tokens.admin, 'DELETE', `${api}/${item.id}`);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'ALREADY_SIGNED_OFF' });
    expect((await t.request(mechanic, 'GET', `${api}/${item.id}`)).statusCode).toBe(200);
  });

  it('answers another org’s item with 404', async () => {
    const item = await newItemJson();
    expect((await t.request(otherMechanic, 'DELETE', `${api}/${item.id}`)).statusCode).toBe(404);
    expect((await rows.item(item.id))?.deleted_at).toBeNull();
  });
});
