import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import type { Role } from '../../src/domain/roles.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import { TEST_PASSWORD, type TestApp } from '../support/app.js';
import { complianceRows, createComplianceWorld, type ItemJson } from '../support/compliance.js';
import { rejectionOf } from '../support/factories.js';

let t: TestApp;
let home: { id: string };
let tokens: Record<Role, string>;
let userIds: Record<Role, string>;
let otherMechanic: string;
let rows: ReturnType<typeof complianceRows>;

beforeAll(async () => {
  ({ t, home, tokens, userIds, otherMechanic } = await createComplianceWorld());
  rows = complianceRows(t);
});
afterAll(async () => {
  await t.close();
});

const api = '/api/v1/compliance-items';
/** A sign-off with the signer's password (the default policy asks for it) and `body`. */
const sign = (
  id: string,
  body?: Record<string, unknown>,
  token = tokens.mechanic,
  headers?: Record<string, string>,
) => t.request(token, 'PATCH', `${api}/${id}/sign-off`, { password: TEST_PASSWORD, ...body }, headers);

describe('signing off', () => {
  it('records the mechanic, now and the final result given, once; the event fires once', async () => {
    const item = await rows.newItem(home.id);
    const started = Date.now();
    const response = await sign(item.id, { result: 'pass' });
    expect(response.statusCode).toBe(200);
    const signed = response.json<ItemJson>();
    expect(signed).toMatchObject({
      result: 'pass',
      signed_off: true,
      sign_off_user_id: userIds.mechanic,
      sign_off_meaning: 'performed',
    });
    expect(Date.parse(signed.sign_off_time!)).toBeGreaterThanOrEqual(started - 1000);
    expect(signed.updated_at).toBe(signed.sign_off_time);
    const events = await rows.events(item.id);
    expect(events.map((e) => [e.event_type, e.dedupe_key])).toEqual([
      ['compliance_signed', `compliance_signed:${home.id}:${item.id}`],
    ]);
    expect(events[0]!.payload).toMatchObject({
      data: { signed_off: true, sign_off_user_id: userIds.mechanic },
    });
    const audits = await rows.audits(item.id);
    expect(audits.map((a) => a.action)).toEqual(['state_change']);
    expect(audits[0]!.details).toMatchObject({ before: { signed_off: false }, after: { signed_off: true } });
  });

  it('keeps the recorded result when none is given', async () => {
    for (const body of [undefined, {}]) {
      const item = await rows.newItem(home.id, 'fail');
      const response = await sign(item.id, body);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ result: 'fail', signed_off: true });
    }
  });

  it('refuses a pending result, recorded or given, with 409 RESULT_PENDING and leaves the item unsigned', async () => {
    const pending = await rows.newItem(home.id);
    const passing = await rows.newItem(home.id, 'pass');
    for (const [id, body] of [
      [pending.id, undefined],
      [passing.id, { result: 'pending' }],
    ] as const) {
      const response = await sign(id, body);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict', reason: 'RESULT_PENDING' });
      expect((await rows.item(id))?.sign_off_time).toBeNull();
    }
    expect(await rows.audits(pending.id)).toHaveLength(0);
  });

  it('refuses a second sign-off with 409 ALREADY_SIGNED_OFF and keeps the first signer', async () => {
    const item = await rows.newItem(home.id, 'pass');
    const first = (await sign(item.id)).json<ItemJson>();
    const again = await sign(item.id, { result: 'fail' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ reason: 'ALREADY_SIGNED_OFF' });
    expect((await t.request(tokens.auditor, 'GET', `${api}/${item.id}`)).json()).toEqual(first);
  });

  it('lets exactly one of five racing sign-offs win; the others get 409 ALREADY_SIGNED_OFF', async () => {
    const item = await rows.newItem(home.id, 'pass');
    const responses = await Promise.all(
      (['pass', 'fail', 'pass', 'fail', 'pass'] as const).map((result) => sign(item.id, { result })),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409]);
    for (const loser of responses.filter((r) => r.statusCode === 409)) {
      expect(loser.json()).toMatchObject({ code: 'conflict', reason: 'ALREADY_SIGNED_OFF' });
    }
    const winner = responses.find((r) => r.statusCode === 200)!.json<ItemJson>();
    expect((await rows.item(item.id))?.result).toBe(winner.result);
    expect((await rows.events(item.id)).map((e) => e.event_type)).toEqual(['compliance_signed']);
    expect(await rows.audits(item.id)).toHaveLength(1);
  });

  it('refuses everyone but mechanics with 403, admins included', async () => {
    const item = await rows.newItem(home.id, 'pass');
    for (const role of ['admin', 'tenant_admin', 'scheduler', 'auditor'] as const) {
      const response = await sign(item.id, { result: 'pass' }, tokens[role]);
      expect(response.statusCode, role).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
    const admin = await sign(item.id, {}, tokens.admin);
    expect(admin.statusCode).toBe(403);
    expect((await rows.item(item.id))?.sign_off_time).toBeNull();
  });

  it('answers another org’s item with 404 and an item of a cancelled task with 409 TASK_CLOSED', async () => {
    const item = await rows.newItem(home.id, 'pass');
    expect((await sign(item.id, {}, otherMechanic)).statusCode).toBe(404);
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'cancelled' })
      .where('id', '=', item.task_id)
      .execute();
    const closed = await sign(item.id);
    expect(closed.statusCode).toBe(409);
    expect(closed.json()).toMatchObject({ reason: 'TASK_CLOSED' });
  });

  it('refuses bad bodies and ids with 400', async () => {
    const item = await rows.newItem(home.id, 'pass');
    for (const body of [{ result: 'maybe' }, { result: 1 }, { signed_off: true }]) {
      const response = await sign(item.id, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation' });
    }
    expect((await sign('nope', {})).statusCode).toBe(400);
    expect((await rows.item(item.id))?.sign_off_time).toBeNull();
  });

  it('replays a sign-off sent twice with one Idempotency-Key instead of refusing it', async () => {
    const item = await rows.newItem(home.id, 'pass');
    const headers = { 'idempotency-key': `sign-${item.id}` };
    const first = await sign(item.id, {}, tokens.mechanic, headers);
    const again = await sign(item.id, {}, tokens.mechanic, headers);
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
  });
});

describe('the database behind the sign-off', () => {
  it('refuses a direct change of a signed-off item (AM001), which reaches callers as 409 ALREADY_SIGNED_OFF', async () => {
    const item = await rows.newItem(home.id, 'pass');
    expect((await sign(item.id)).statusCode).toBe(200);
    const error = await rejectionOf(
      t.db.db.updateTable('compliance_items').set({ result: 'fail' }).where('id', '=', item.id).execute(),
    );
    expect(error).toMatchObject({ code: 'AM001' });
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'conflict', reason: 'ALREADY_SIGNED_OFF' });
  });

  it('turns a trigger refusal inside a unit of work (as in a race) into the 409 AppError, never a 500', async () => {
    const item = await rows.newItem(home.id, 'pass');
    await rows.signInSql(item.id, userIds.mechanic);
    const error = await rejectionOf(
      t.container.uow.transaction(() =>
        t.db.db
          .updateTable('compliance_items')
          .set({ deleted_at: new Date() })
          .where('id', '=', item.id)
          .execute(),
      ),
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ kind: 'conflict', reason: 'ALREADY_SIGNED_OFF' });
  });
});
