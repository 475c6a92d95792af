import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { TEST_PASSWORD, type TestApp } from '../support/app.js';
import { complianceRows, createComplianceWorld, type ItemJson } from '../support/compliance.js';
import { insertAircraft, insertComplianceItem, insertTask } from '../support/factories.js';
import {
  globalCertificationTypeId,
  insertEmployeeCertification,
} from '../support/qualification-factories.js';

let t: TestApp;
let home: { id: string };
let tokens: Record<Role, string>;
let userIds: Record<Role, string>;
let otherMechanic: string;
let rows: ReturnType<typeof complianceRows>;
/** A second mechanic of `home`: the independent inspector. */
let inspector: { id: string; token: string };

beforeAll(async () => {
  ({ t, home, tokens, userIds, otherMechanic } = await createComplianceWorld());
  rows = complianceRows(t);
  const user = await t.createUser(home.id, 'mechanic');
  inspector = { id: user.id, token: await t.tokenFor(user) };
  // An inspector needs inspection authority: a Part-66 B1.
  const b1 = await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B1');
  await insertEmployeeCertification(t.db.db, {
    expiry_date: null,
    org_id: home.id,
    user_id: user.id,
    certification_type_id: b1,
  });
});
afterAll(async () => {
  await t.close();
});

const api = '/api/v1/compliance-items';
const sign = (
  id: string,
  body: Record<string, unknown>,
  token = tokens.mechanic,
  headers?: Record<string, string>,
) => t.request(token, 'PATCH', `${api}/${id}/sign-off`, body, headers);
const inspect = (id: string, body: Record<string, unknown> | undefined, token = inspector.token) =>
  t.request(token, 'POST', `${api}/${id}/inspect`, body);
const setPolicy = (reauthentication: boolean) =>
  t.request(tokens.tenant_admin, 'PATCH', `/api/v1/organizations/${home.id}/policy`, {
    sign_off_reauthentication: reauthentication,
  });

/** An unsigned, passing item of `home` that requires (or not) an independent inspection. */
const newItem = (requiresInspection = false, taskId?: string) =>
  insertComplianceItem(t.db.db, {
    org_id: home.id,
    result: 'pass',
    requires_inspection: requiresInspection,
    ...(taskId ? { task_id: taskId } : {}),
  });

/** An item signed off by the home mechanic through the API, awaiting its inspection. */
async function signedAwaitingInspection(taskId?: string): Promise<ItemJson> {
  const item = await newItem(true, taskId);
  const response = await sign(item.id, { password: TEST_PASSWORD });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ItemJson>();
}

/** The audit rows of a user's account other than their sign-ins (the test's token came from one). */
const securityTrail = (userId: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('entity_type', '=', 'user')
    .where('entity_id', '=', userId)
    .where((eb) => eb.not(eb(eb.ref('details', '->>').key('event'), '=', 'signed_in')))
    .orderBy('timestamp')
    .execute();

/** Nothing about the item changed and nothing was recorded about it. */
async function expectUntouched(id: string, before: unknown) {
  expect(await rows.item(id)).toEqual(before);
  expect(await rows.audits(id)).toEqual([]);
  expect(await rows.events(id)).toEqual([]);
}

describe('sign-off as an electronic signature', () => {
  it('records what the signature means once the signer re-enters their password', async () => {
    const item = await newItem();
    const response = await sign(item.id, { password: TEST_PASSWORD, result: 'pass' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      signed_off: true,
      sign_off_user_id: userIds.mechanic,
      sign_off_meaning: 'performed',
      requires_inspection: false,
      inspection_pending: false,
    });
    expect(response.body).not.toContain(TEST_PASSWORD);
    const [audit] = await rows.audits(item.id);
    expect(audit!.details).toMatchObject({ after: { sign_off_meaning: 'performed' } });
    expect(JSON.stringify(audit)).not.toContain(TEST_PASSWORD);
  });

  it('refuses a wrong or missing password with 401 SIGNATURE_REAUTHENTICATION_FAILED and writes nothing', async () => {
    const item = await newItem();
    for (const body of [{ password: 'not-my-password' }, {}, { result: 'fail' }]) {
      const response = await sign(item.id, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(401);
      expect(response.json()).toMatchObject({ code: 'auth', reason: 'SIGNATURE_REAUTHENTICATION_FAILED' });
      expect(response.json<{ error: string }>().error).toContain('nothing was signed');
    }
    await expectUntouched(item.id, item);
  });

  it('counts wrong signature passwords like failed logins: 429 with Retry-After, and the login is limited alike', async () => {
    const user = await t.createUser(home.id, 'mechanic');
    const token = await t.tokenFor(user);
    const item = await newItem();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      statuses.push((await sign(item.id, { password: `guess-${attempt}` }, token)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await sign(item.id, { password: TEST_PASSWORD }, token);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    // Exactly as five wrong logins from this address would have: the login is limited too.
    const login = await t.request(undefined, 'POST', '/api/v1/auth/login', {
      org_id: home.id,
      email: user.email,
      password: TEST_PASSWORD,
    });
    expect(login.statusCode).toBe(429);
    await expectUntouched(item.id, item);
    // Other signers are not affected.
    expect((await sign(item.id, { password: TEST_PASSWORD })).statusCode).toBe(200);
  });

  it('records each refused signature in the audit log like a failed login: on the signer, no event, the item untouched', async () => {
    const user = await t.createUser(home.id, 'mechanic');
    const token = await t.tokenFor(user);
    const item = await newItem();
    const signed = await signedAwaitingInspection();
    expect((await sign(item.id, { password: 'not-my-password' }, token)).statusCode).toBe(401);
    expect((await inspect(signed.id, {}, token)).statusCode).toBe(401);
    const trail = await securityTrail(user.id);
    expect(trail.map((row) => [row.action, row.actor, row.user_id, row.details])).toEqual([
      [
        'state_change',
        'user:mechanic',
        user.id,
        {
          event: 'signature_failed',
          compliance_item_id: item.id,
          signature_meaning: 'performed',
          cause: 'password_wrong',
        },
      ],
      [
        'state_change',
        'user:mechanic',
        user.id,
        {
          event: 'signature_failed',
          compliance_item_id: signed.id,
          signature_meaning: 'inspected',
          cause: 'password_missing',
        },
      ],
    ]);
    expect(trail.every((row) => row.org_id === home.id && row.ip_address !== null)).toBe(true);
    expect(JSON.stringify(trail)).not.toContain('not-my-password');
    expect(await rows.events(user.id)).toEqual([]);
    await expectUntouched(item.id, item);
    expect((await rows.events(signed.id)).map((e) => e.event_type)).toEqual(['compliance_signed']);
  });

  it('records the lockout that a run of wrong signature passwords starts, as a failed login would', async () => {
    const user = await t.createUser(home.id, 'mechanic');
    const token = await t.tokenFor(user);
    const item = await newItem();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await sign(item.id, { password: `guess-${attempt}` }, token)).statusCode).toBe(401);
    }
    expect((await sign(item.id, { password: 'guess-5' }, token)).statusCode).toBe(429);
    const trail = await securityTrail(user.id);
    expect(trail.map((row) => (row.details as { event: string }).event)).toEqual([
      ...Array<string>(5).fill('signature_failed'),
      'sign_in_locked',
    ]);
  });

  it('needs no password while the organization policy turns re-authentication off', async () => {
    const before = await t.request(tokens.tenant_admin, 'GET', `/api/v1/organizations/${home.id}/policy`);
    expect(before.json()).toMatchObject({ sign_off_reauthentication: true });
    const off = await setPolicy(false);
    try {
      expect(off.statusCode, off.body).toBe(200);
      expect(off.json()).toMatchObject({ sign_off_reauthentication: false });
      const signed = await sign((await newItem()).id, {});
      expect(signed.statusCode, signed.body).toBe(200);
      expect(signed.json()).toMatchObject({ signed_off: true, sign_off_meaning: 'performed' });
      const awaiting = await newItem(true);
      await t.db.db
        .updateTable('compliance_items')
        .set({
          sign_off_user_id: userIds.mechanic,
          sign_off_time: new Date(Date.now() - 1000),
          sign_off_meaning: 'performed',
        })
        .where('id', '=', awaiting.id)
        .execute();
      expect((await inspect(awaiting.id, undefined)).statusCode).toBe(200);
    } finally {
      expect((await setPolicy(true)).statusCode).toBe(200);
    }
    const audits = await t.db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_type', '=', 'org_policy')
      .where('entity_id', '=', home.id)
      .orderBy('timestamp')
      .execute();
    expect(audits.map((a) => a.details)).toEqual([
      expect.objectContaining({
        before: expect.objectContaining({ sign_off_reauthentication: true }) as unknown,
        after: expect.objectContaining({ sign_off_reauthentication: false }) as unknown,
      }),
      expect.objectContaining({
        after: expect.objectContaining({ sign_off_reauthentication: true }) as unknown,
      }),
    ]);
  });

  it('keeps the password out of the Idempotency-Key record, and lets the key be retried after a wrong one', async () => {
    const item = await newItem();
    const key = { 'idempotency-key': `sign-${item.id}` };
    const wrong = await sign(item.id, { password: 'typo', result: 'pass' }, tokens.mechanic, key);
    expect(wrong.statusCode).toBe(401);
    const right = await sign(item.id, { password: TEST_PASSWORD, result: 'pass' }, tokens.mechanic, key);
    expect(right.statusCode, right.body).toBe(200);
    const again = await sign(item.id, { password: TEST_PASSWORD, result: 'pass' }, tokens.mechanic, key);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(right.body);
    const stored = await t.db.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('key', '=', key['idempotency-key'])
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(TEST_PASSWORD);
    const url = `${api}/${item.id}/sign-off`;
    const hashOf = (body: unknown) =>
      createHash('sha256')
        .update(`PATCH\n${url}\n${stringify(body)}`)
        .digest('hex');
    expect(stored.request_hash).toBe(hashOf({ result: 'pass' }));
    expect(stored.request_hash).not.toBe(hashOf({ password: TEST_PASSWORD, result: 'pass' }));
  });

  it('refuses a request made with an API key: a key has no password (403 API_KEY_FORBIDDEN)', async () => {
    const created = await t.request(tokens.tenant_admin, 'POST', '/api/v1/api-keys', {
      name: 'signing robot',
      scope: 'mechanic',
    });
    expect(created.statusCode, created.body).toBe(201);
    const secret = created.json<{ secret: string }>().secret;
    const item = await signedAwaitingInspection();
    for (const response of [
      await sign((await newItem()).id, { password: TEST_PASSWORD }, secret),
      await inspect(item.id, { password: TEST_PASSWORD }, secret),
    ]) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ reason: 'API_KEY_FORBIDDEN' });
    }
  });
});

describe('requires_inspection', () => {
  it('is set on create and changed before sign-off (waived by a scheduler, not the mechanic), never after', async () => {
    const task = await rows.newTask(home.id);
    const created = await t.request(tokens.mechanic, 'POST', api, {
      task_id: task.id,
      description: 'Duplicate inspection of the aileron cables',
      requires_inspection: true,
    });
    expect(created.statusCode, created.body).toBe(201);
    const item = created.json<ItemJson>();
    expect(item).toMatchObject({ requires_inspection: true, inspection_pending: true, inspected_by: null });
    const kept = await t.request(tokens.mechanic, 'PATCH', `${api}/${item.id}`, {
      requires_inspection: false,
    });
    expect(kept.statusCode).toBe(403);
    expect(kept.json()).toMatchObject({ reason: 'INSPECTION_REQUIREMENT_LOCKED' });
    const lowered = await t.request(tokens.scheduler, 'PATCH', `${api}/${item.id}`, {
      requires_inspection: false,
    });
    expect(lowered.json()).toMatchObject({ requires_inspection: false, inspection_pending: false });
    await sign(item.id, { password: TEST_PASSWORD, result: 'pass' });
    const raised = await t.request(tokens.mechanic, 'PATCH', `${api}/${item.id}`, {
      requires_inspection: true,
    });
    expect(raised.statusCode).toBe(409);
    expect(raised.json()).toMatchObject({ reason: 'ALREADY_SIGNED_OFF' });
  });
});

describe('independent inspection', () => {
  it('a second mechanic signs inspected: audited, announced, and shown on the item', async () => {
    const signed = await signedAwaitingInspection();
    expect(signed).toMatchObject({ inspection_pending: true });
    const response = await inspect(signed.id, { password: TEST_PASSWORD });
    expect(response.statusCode, response.body).toBe(200);
    const item = response.json<ItemJson>();
    expect(item).toMatchObject({
      sign_off_user_id: userIds.mechanic,
      sign_off_meaning: 'performed',
      inspected_by: inspector.id,
      inspection_meaning: 'inspected',
      inspection_pending: false,
    });
    expect(Date.parse(item.inspected_at!)).toBeGreaterThanOrEqual(Date.parse(item.sign_off_time!));
    const audits = await rows.audits(signed.id);
    expect(audits.map((a) => a.action)).toEqual(['state_change', 'state_change']);
    expect(audits[1]!.details).toMatchObject({
      before: { inspection_pending: true },
      after: { inspected_by: inspector.id, inspection_meaning: 'inspected' },
    });
    expect((await rows.events(signed.id)).map((e) => e.event_type)).toEqual([
      'compliance_signed',
      'compliance_item_inspected',
    ]);
    const read = await t.request(tokens.auditor, 'GET', `${api}/${signed.id}`);
    expect(read.json()).toEqual(item);
  });

  it('refuses the performer inspecting their own work with 409 INSPECTOR_IS_PERFORMER', async () => {
    const signed = await signedAwaitingInspection();
    const before = await rows.item(signed.id);
    const response = await inspect(signed.id, { password: TEST_PASSWORD }, tokens.mechanic);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'conflict', reason: 'INSPECTOR_IS_PERFORMER' });
    expect(await rows.item(signed.id)).toEqual(before);
    expect(await rows.audits(signed.id)).toHaveLength(1);
  });

  it('answers each other refusal with its own 409', async () => {
    const unsigned = await newItem(true);
    const notRequired = await newItem(false);
    await sign(notRequired.id, { password: TEST_PASSWORD });
    const inspected = await signedAwaitingInspection();
    expect((await inspect(inspected.id, { password: TEST_PASSWORD })).statusCode).toBe(200);
    for (const [id, reason] of [
      [unsigned.id, 'NOT_SIGNED_OFF'],
      [notRequired.id, 'INSPECTION_NOT_REQUIRED'],
      [inspected.id, 'ALREADY_INSPECTED'],
    ] as const) {
      const response = await inspect(id, { password: TEST_PASSWORD });
      expect(response.statusCode, reason).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict', reason });
    }
  });

  it('re-authenticates the inspector: a wrong password is 401 and writes nothing', async () => {
    const signed = await signedAwaitingInspection();
    const before = await rows.item(signed.id);
    for (const body of [{ password: 'wrong' }, undefined]) {
      const response = await inspect(signed.id, body);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ reason: 'SIGNATURE_REAUTHENTICATION_FAILED' });
    }
    expect(await rows.item(signed.id)).toEqual(before);
    expect((await rows.events(signed.id)).map((e) => e.event_type)).toEqual(['compliance_signed']);
  });

  it('answers another organization’s item with 404, and bad ids and bodies with 400', async () => {
    const signed = await signedAwaitingInspection();
    expect((await inspect(signed.id, { password: TEST_PASSWORD }, otherMechanic)).statusCode).toBe(404);
    expect((await inspect('nope', { password: TEST_PASSWORD })).statusCode).toBe(400);
    const extra = await inspect(signed.id, { password: TEST_PASSWORD, inspected_by: userIds.admin });
    expect(extra.statusCode).toBe(400);
    expect((await rows.item(signed.id))?.inspected_at).toBeNull();
  });

  it('leaves an inspected item immutable through the API', async () => {
    const signed = await signedAwaitingInspection();
    await inspect(signed.id, { password: TEST_PASSWORD });
    const patch = await t.request(tokens.mechanic, 'PATCH', `${api}/${signed.id}`, {
      description: 'Changed',
    });
    const del = await t.request(tokens.mechanic, 'DELETE', `${api}/${signed.id}`);
    for (const response of [patch, del]) {
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict' });
    }
  });

  it('lists the items awaiting inspection with ?inspection_pending=true', async () => {
    const task = await rows.newTask(home.id);
    const awaiting = await signedAwaitingInspection(task.id);
    const done = await signedAwaitingInspection(task.id);
    await inspect(done.id, { password: TEST_PASSWORD });
    const plain = await newItem(false, task.id);
    const list = async (pending: boolean) =>
      (await t.request(tokens.scheduler, 'GET', `${api}?task_id=${task.id}&inspection_pending=${pending}`))
        .json<ItemJson[]>()
        .map((i) => i.id);
    expect(await list(true)).toEqual([awaiting.id]);
    expect((await list(false)).sort()).toEqual([done.id, plain.id].sort());
  });
});

describe('completing a task', () => {
  it('is refused with 409 INSPECTION_PENDING naming the items until they are inspected, then allowed', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: home.id, status: 'grounded' });
    const task = await insertTask(t.db.db, {
      org_id: home.id,
      aircraft_id: aircraft.id,
      state: 'in_progress',
      start_time: new Date(Date.now() - 3 * 3_600_000),
      end_time: new Date(Date.now() - 3_600_000),
      assigned_mechanic_id: userIds.mechanic,
    });
    const item = await signedAwaitingInspection(task.id);
    const complete = () =>
      t.request(tokens.mechanic, 'PATCH', `/api/v1/maintenance-tasks/${task.id}/state`, {
        new_state: 'completed',
        notes: 'Cables re-tensioned and checked',
      });
    const refused = await complete();
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'conflict', reason: 'INSPECTION_PENDING' });
    expect(refused.json<{ error: string }>().error).toContain(item.id);
    const detail = await t.request(tokens.scheduler, 'GET', `/api/v1/maintenance-tasks/${task.id}`);
    expect(detail.json()).toMatchObject({
      task: { state: 'in_progress' },
      compliance: [{ id: item.id, requires_inspection: true, inspection_pending: true }],
    });
    expect((await inspect(item.id, { password: TEST_PASSWORD })).statusCode).toBe(200);
    const completed = await complete();
    expect(completed.statusCode, completed.body).toBe(200);
    expect(completed.json()).toMatchObject({ state: 'completed' });
  });
});
