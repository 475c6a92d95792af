import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, type TestApp, createTestApp } from '../support/app.js';
import { insertAircraftDirective, insertDirective } from '../support/directive-factories.js';
import { insertAircraft, insertAircraftUsage, insertTask } from '../support/factories.js';
import { insertTaskSkillRequirement, aircraftTypeId } from '../support/qualification-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
  other = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const HOUR = 3_600_000;
const db = () => t.db.db;

/** A tracked directive on a new A20N aircraft (1000 h, 500 cycles) of `home`. */
async function tracked(directive: Parameters<typeof insertDirective>[1] = {}, designator = 'A20N') {
  const org_id = home.org.id;
  const aircraft = await insertAircraft(db(), {
    org_id,
    aircraft_type_id: await aircraftTypeId(db(), designator),
    flight_hours_total: 1000,
    cycles_total: 500,
  });
  const d = await insertDirective(db(), { org_id, ...directive }, [designator]);
  const row = await insertAircraftDirective(db(), { org_id, aircraft_id: aircraft.id, directive_id: d.id });
  return { aircraft, directive: d, row, url: `/api/v1/aircraft/${aircraft.id}/directives/${d.id}` };
}

const record = (url: string, body: Record<string, unknown> = {}, token = home.tokens.mechanic) =>
  t.request(token, 'POST', `${url}/compliance`, {
    performed_at: '2025-01-20T10:00:00Z',
    method: 'Inspection per paragraph (g)',
    password: TEST_PASSWORD,
    ...body,
  });
const tracking = (id: string) =>
  db().selectFrom('aircraft_directives').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const events = (type: string) =>
  db().selectFrom('outbox_events').selectAll().where('event_type', '=', type).execute();

describe('recording compliance', () => {
  it('closes a one-time directive: complied, nothing due, a signed history row', async () => {
    const { row, url } = await tracked();
    const response = await record(url);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      signed_by: home.userIds.mechanic,
      signature_meaning: 'complied',
      flight_hours: 1000,
      cycles: 500,
      next_due: { date: null, flight_hours: null, cycles: null },
      tracking: {
        status: 'complied',
        next_due: { date: null },
        last_compliance_id: response.json<{ id: string }>().id,
      },
    });
    expect(await tracking(row.id)).toMatchObject({ status: 'complied', next_due_date: null });
    const recorded = (await events('directive_compliance_recorded')).map((e) => e.aggregate_id);
    expect(recorded).toContain(row.id);
  });

  it('moves a recurring directive’s due from the compliance, calendar and hours whichever first', async () => {
    const { row, url } = await tracked({
      effective_date: '2024-01-01',
      recurrence_calendar_value: 12,
      recurrence_calendar_unit: 'months',
      recurrence_flight_hours: 600,
    });
    const response = await record(url, {
      performed_at: '2024-02-29T08:00:00Z',
      flight_hours: 900.5,
      cycles: 410,
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      next_due: { date: '2025-02-28', flight_hours: 1500.5, cycles: null },
      tracking: { status: 'pending', next_due: { date: '2025-02-28', flight_hours: 1500.5 } },
    });
    expect(await tracking(row.id)).toMatchObject({ status: 'pending', next_due_date: '2025-02-28' });
  });

  it('refuses a back-dated act before the directive took effect or before the last compliance, and counters beyond the aircraft’s', async () => {
    const recurring = { recurrence_calendar_value: 6, recurrence_calendar_unit: 'months' as const };
    const { row, url } = await tracked(recurring);
    expect((await record(url, { performed_at: '2025-02-10T10:00:00Z' })).statusCode).toBe(201);
    const due = (await tracking(row.id)).next_due_date;
    for (const [body, status, reason, field] of [
      [{ performed_at: '2024-12-31T10:00:00Z' }, 400, 'PERFORMED_BEFORE_EFFECTIVE_DATE', 'body.performed_at'],
      [
        { performed_at: '2025-02-01T10:00:00Z' },
        409,
        'PERFORMED_BEFORE_LAST_COMPLIANCE',
        'body.performed_at',
      ],
      [
        { performed_at: '2025-02-11T10:00:00Z', flight_hours: 1000.5 },
        400,
        'COUNTERS_ABOVE_AIRCRAFT_TOTALS',
        'body.flight_hours',
      ],
      [
        { performed_at: '2025-02-11T10:00:00Z', cycles: 501 },
        400,
        'COUNTERS_ABOVE_AIRCRAFT_TOTALS',
        'body.cycles',
      ],
    ] as const) {
      const response = await record(url, { ...body });
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
      expect(response.json()).toMatchObject({ reason });
      expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    }
    expect((await tracking(row.id)).next_due_date).toBe(due);
  });

  it('takes the aircraft’s counters as they were when a back-dated act was performed', async () => {
    const { aircraft, url } = await tracked();
    await insertAircraftUsage(db(), {
      aircraft_id: aircraft.id,
      flight_hours: 40.5,
      cycles: 20,
      recorded_at: new Date('2025-01-25T00:00:00Z'),
    });
    const response = await record(url, { performed_at: '2025-01-20T10:00:00Z' });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ flight_hours: 959.5, cycles: 480 });
  });

  it('refuses a second record on a closed directive, also when two race: one closes it, the other gets 409', async () => {
    const { row, url } = await tracked();
    const [a, b] = await Promise.all([record(url), record(url)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    const loser = a.statusCode === 409 ? a : b;
    expect(loser.json()).toMatchObject({ reason: 'DIRECTIVE_ALREADY_COMPLIED' });
    const history = await db()
      .selectFrom('directive_compliance_records')
      .select('id')
      .where('aircraft_directive_id', '=', row.id)
      .execute();
    expect(history).toHaveLength(1);
  });

  it('refuses a wrong password with 401, writes nothing but a signature_failed audit row', async () => {
    const { row, url } = await tracked();
    const response = await record(url, { password: 'not-my-password' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ reason: 'SIGNATURE_REAUTHENTICATION_FAILED' });
    expect(await tracking(row.id)).toMatchObject({ status: 'pending', last_compliance_id: null });
    const audit = await db()
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', home.userIds.mechanic)
      .execute();
    expect(audit.map((a) => a.details)).toContainEqual(
      expect.objectContaining({
        event: 'signature_failed',
        signature_meaning: 'complied',
        directive_id: row.directive_id,
      }),
    );
  });

  it('refuses a mechanic not qualified to certify with 409 MECHANIC_NOT_QUALIFIED naming what is missing', async () => {
    await insertTaskSkillRequirement(db(), {
      org_id: home.org.id,
      task_type: 'inspection',
      aircraft_type_id: await aircraftTypeId(db(), 'B738'),
      certifying: true,
    });
    const { row, url } = await tracked({}, 'B738');
    const response = await record(url);
    expect(response.statusCode, response.body).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'MECHANIC_NOT_QUALIFIED' });
    expect(response.json<{ details: unknown[] }>().details.length).toBeGreaterThan(0);
    expect(await tracking(row.id)).toMatchObject({ status: 'pending' });
  });

  it('refuses a not-applicable row, an inactive directive, and a task of another aircraft or not started', async () => {
    const na = await tracked();
    await db()
      .updateTable('aircraft_directives')
      .set({ status: 'not_applicable', status_reason: 'Modified per STC' })
      .where('id', '=', na.row.id)
      .execute();
    expect((await record(na.url)).json<object>()).toMatchObject({ reason: 'DIRECTIVE_NOT_APPLICABLE' });
    const cancelled = await tracked({ status: 'cancelled' });
    expect((await record(cancelled.url)).json<object>()).toMatchObject({ reason: 'DIRECTIVE_NOT_ACTIVE' });
    const open = await tracked();
    const elsewhere = await insertTask(db(), { org_id: home.org.id, state: 'completed' });
    const wrong = await record(open.url, { task_id: elsewhere.id });
    expect([wrong.statusCode, wrong.json<{ reason: string }>().reason]).toEqual([
      400,
      'TASK_OF_OTHER_AIRCRAFT',
    ]);
    const scheduled = await insertTask(db(), { org_id: home.org.id, aircraft_id: open.aircraft.id });
    const early = await record(open.url, { task_id: scheduled.id });
    expect([early.statusCode, early.json<{ reason: string }>().reason]).toEqual([409, 'TASK_NOT_STARTED']);
  });

  it('lists the history newest first with the signer’s email, paginated; history rows never change', async () => {
    const { row, url } = await tracked({ recurrence_flight_hours: 100 });
    for (const day of ['2025-01-10', '2025-01-11', '2025-01-12']) {
      const response = await record(url, { performed_at: `${day}T09:00:00Z` });
      expect(response.statusCode, response.body).toBe(201);
    }
    const first = await t.request(home.tokens.auditor, 'GET', `${url}/compliance?limit=2`);
    expect(first.json<{ performed_at: string }[]>().map((r) => r.performed_at.slice(0, 10))).toEqual([
      '2025-01-12',
      '2025-01-11',
    ]);
    expect(first.json<{ signer_email: string }[]>()[0]!.signer_email).toContain('@');
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.link))![1]!;
    const second = await t.request(home.tokens.auditor, 'GET', next);
    expect(second.json<{ performed_at: string }[]>().map((r) => r.performed_at.slice(0, 10))).toEqual([
      '2025-01-10',
    ]);
    await expect(
      db()
        .updateTable('directive_compliance_records')
        .set({ method: 'x' })
        .where('aircraft_directive_id', '=', row.id)
        .execute(),
    ).rejects.toThrow(/immutable/);
  });
});

describe('setting the status', () => {
  const patch = (url: string, body: Record<string, unknown>, token = home.tokens.tenant_admin) =>
    t.request(token, 'PATCH', url, body);

  it('needs a reason for not_applicable and deferred, and a new limit for deferred (400 naming the field)', async () => {
    const { url } = await tracked();
    for (const [body, field] of [
      [{ status: 'not_applicable' }, 'body.reason'],
      [{ status: 'deferred', deferred_until: { date: '2025-06-30' } }, 'body.reason'],
      [{ status: 'deferred', reason: 'Parts on order' }, 'body.deferred_until'],
    ] as const) {
      const response = await patch(url, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    }
  });

  it('refuses a status change on a cancelled directive with 409 DIRECTIVE_NOT_ACTIVE', async () => {
    const { row, url } = await tracked({ status: 'cancelled' });
    const response = await patch(url, { status: 'not_applicable', reason: 'Not fitted' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'DIRECTIVE_NOT_ACTIVE' });
    expect(await tracking(row.id)).toMatchObject({ status: 'pending' });
  });

  it('refuses a deferral limit already past (400 DEFERRAL_LIMIT_PAST naming the part)', async () => {
    const { row, url } = await tracked();
    const yesterday = new Date(Date.now() - 24 * HOUR).toISOString().slice(0, 10);
    for (const [limit, field] of [
      [{ date: yesterday }, 'body.deferred_until.date'],
      [{ flight_hours: 999.5 }, 'body.deferred_until.flight_hours'],
      [{ cycles: 499 }, 'body.deferred_until.cycles'],
    ] as const) {
      const response = await patch(url, {
        status: 'deferred',
        reason: 'Parts on order',
        deferred_until: limit,
      });
      expect(response.statusCode, JSON.stringify(limit)).toBe(400);
      expect(response.json()).toMatchObject({ reason: 'DEFERRAL_LIMIT_PAST' });
      expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    }
    expect(await tracking(row.id)).toMatchObject({ status: 'pending', deferred_until_date: null });
  });

  it('uses the deferral’s limit as the effective due, keeps the original, and clears both back at pending', async () => {
    const { row, url } = await tracked();
    const deferred = await patch(url, {
      status: 'deferred',
      reason: 'Approved by the CAMO, parts on order',
      deferred_until: { date: '2030-03-31', flight_hours: 1200 },
    });
    expect(deferred.statusCode, deferred.body).toBe(200);
    expect(deferred.json()).toMatchObject({
      status: 'deferred',
      status_changed_by: home.userIds.tenant_admin,
      next_due: { date: '2025-01-31' },
      effective_due: { date: '2030-03-31', flight_hours: 1200, cycles: null },
    });
    const status = await t.request(
      home.tokens.scheduler,
      'GET',
      `/api/v1/aircraft/${row.aircraft_id}/compliance-status`,
    );
    expect(status.json<object[]>()[0]).toMatchObject({
      effective_due: { date: '2030-03-31' },
      status: 'deferred',
    });
    const back = await patch(url, { status: 'pending' });
    expect(back.json()).toMatchObject({ status: 'pending', status_reason: null, deferred_until: null });
    expect(back.json()).toMatchObject({ effective_due: { date: '2025-01-31' } });
    expect((await events('directive_status_changed')).map((e) => e.aggregate_id)).toContain(row.id);
  });
});

describe('the task that remembers a directive', () => {
  async function taskFor(
    state: 'scheduled' | 'in_progress',
    reauthentication: boolean,
    directive: Parameters<typeof insertDirective>[1] = {},
  ) {
    await t.request(home.tokens.tenant_admin, 'PATCH', `/api/v1/organizations/${home.org.id}/policy`, {
      sign_off_reauthentication: reauthentication,
    });
    const mechanic = await t.createUser(home.org.id, 'mechanic');
    const token = await t.tokenFor(mechanic);
    const setup = await tracked(directive);
    await db()
      .updateTable('aircraft')
      .set({ status: 'grounded' })
      .where('id', '=', setup.aircraft.id)
      .execute();
    const start = state === 'scheduled' ? new Date(Date.now() + 60_000) : new Date(Date.now() - 3 * HOUR);
    const task = await insertTask(db(), {
      org_id: home.org.id,
      aircraft_id: setup.aircraft.id,
      directive_id: setup.directive.id,
      assigned_mechanic_id: mechanic.id,
      state,
      start_time: start,
      end_time: new Date(start.getTime() + HOUR),
      notes: 'Work done',
    });
    // Booking the task makes the tracking row remember it (and in progress once it started).
    await db()
      .updateTable('aircraft_directives')
      .set({ task_id: task.id, status: state === 'in_progress' ? 'in_progress' : 'pending' })
      .where('id', '=', setup.row.id)
      .execute();
    const move = (newState: string) =>
      t.request(token, 'PATCH', `/api/v1/maintenance-tasks/${task.id}/state`, { new_state: newState });
    return { ...setup, task, move };
  }

  it('puts the directive in progress when the task starts', async () => {
    const { row, task, move } = await taskFor('scheduled', true);
    const response = await move('in_progress');
    expect(response.statusCode, response.body).toBe(200);
    expect(await tracking(row.id)).toMatchObject({ status: 'in_progress', task_id: task.id });
  });

  it('records the compliance on completion by a qualified mechanic when signing needs no password', async () => {
    const { row, task, move } = await taskFor('in_progress', false);
    const response = await move('completed');
    expect(response.statusCode, response.body).toBe(200);
    const after = await tracking(row.id);
    expect(after).toMatchObject({ status: 'complied', task_id: null });
    const [history] = await db()
      .selectFrom('directive_compliance_records')
      .selectAll()
      .where('aircraft_directive_id', '=', row.id)
      .execute();
    expect(history).toMatchObject({ task_id: task.id, signed_by: task.assigned_mechanic_id });
  });

  it('leaves the directive in progress, saying a signature is required, when signing needs a password', async () => {
    const { row, task, move } = await taskFor('in_progress', true);
    expect((await move('completed')).statusCode).toBe(200);
    expect(await tracking(row.id)).toMatchObject({ status: 'in_progress', task_id: task.id });
    const audit = await db().selectFrom('audit_logs').selectAll().where('entity_id', '=', row.id).execute();
    expect(audit.map((a) => a.details)).toContainEqual(
      expect.objectContaining({ reason: 'compliance_signature_required' }),
    );
    const recorded = await record(`/api/v1/aircraft/${row.aircraft_id}/directives/${row.directive_id}`, {
      task_id: task.id,
      performed_at: new Date().toISOString(),
    });
    expect(recorded.statusCode, recorded.body).toBe(201);
  });

  it.each([false, true])(
    'completing a task compliance was already recorded for changes nothing more (password policy %s)',
    async (reauthentication) => {
      const recurring = { recurrence_calendar_value: 12, recurrence_calendar_unit: 'months' as const };
      const { row, task, move } = await taskFor('in_progress', reauthentication, recurring);
      const url = `/api/v1/aircraft/${row.aircraft_id}/directives/${row.directive_id}`;
      const recorded = await record(url, { task_id: task.id, performed_at: new Date().toISOString() });
      expect(recorded.statusCode, recorded.body).toBe(201);
      const afterRecord = await tracking(row.id);
      expect(afterRecord).toMatchObject({ status: 'pending', task_id: null });

      const completed = await move('completed');
      expect(completed.statusCode, completed.body).toBe(200);
      expect(await tracking(row.id)).toEqual(afterRecord);
      const history = await db()
        .selectFrom('directive_compliance_records')
        .select('id')
        .where('aircraft_directive_id', '=', row.id)
        .execute();
      expect(history).toHaveLength(1);
    },
  );
  it('puts the directive back to pending, forgetting the task, when its in-progress task is cancelled', async () => {
    const { row, task } = await taskFor('in_progress', true);
    const cancel = await t.request(
      home.tokens.scheduler,
      'PATCH',
      `/api/v1/maintenance-tasks/${task.id}/state`,
      { new_state: 'cancelled' },
    );
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(await tracking(row.id)).toMatchObject({ status: 'pending', task_id: null });
    const changed = (await events('directive_status_changed')).filter((e) => e.aggregate_id === row.id);
    expect(changed.map((e) => (e.payload as { data: object }).data)).toContainEqual(
      expect.objectContaining({
        status: 'pending',
        previous_status: 'in_progress',
        reason: 'task_cancelled',
      }),
    );
  });

  it('forgets a booked task that is deleted, so the directive can be booked again', async () => {
    const { row, task } = await taskFor('scheduled', true);
    const deleted = await t.request(home.tokens.scheduler, 'DELETE', `/api/v1/maintenance-tasks/${task.id}`);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(await tracking(row.id)).toMatchObject({ status: 'pending', task_id: null });
    const audit = await db().selectFrom('audit_logs').selectAll().where('entity_id', '=', row.id).execute();
    expect(audit.map((a) => a.details)).toContainEqual(expect.objectContaining({ reason: 'task_deleted' }));
  });
});

describe('isolation', () => {
  it('answers 404 for another organization’s aircraft and directive on every route', async () => {
    const { aircraft, directive, url } = await tracked();
    const token = other.tokens.admin;
    const mechanic = other.tokens.mechanic;
    const responses = [
      await record(url, {}, mechanic),
      await t.request(token, 'GET', `${url}/compliance`),
      await t.request(other.tokens.tenant_admin, 'PATCH', url, { status: 'pending' }),
      await t.request(token, 'GET', `/api/v1/aircraft/${aircraft.id}/compliance-status`),
      await t.request(token, 'GET', `/api/v1/directives/${directive.id}/aircraft`),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([404, 404, 404, 404, 404]);
    const matrix = await t.request(token, 'GET', '/api/v1/compliance-matrix');
    expect(matrix.json()).toMatchObject({ directives: [], aircraft: [] });
  });

  it('lets only the roles of the policy through each route', async () => {
    const { aircraft, directive, url } = await tracked({ recurrence_flight_hours: 100 });
    const cases: [string, () => Promise<{ statusCode: number }>, string[]][] = [];
    for (const role of ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'] as const) {
      const token = home.tokens[role];
      cases.push(
        [
          `record ${role}`,
          () => record(url, { performed_at: new Date().toISOString() }, token),
          ['admin', 'mechanic'],
        ],
        [
          `status ${role}`,
          () => t.request(token, 'PATCH', url, { status: 'pending' }),
          ['admin', 'tenant_admin'],
        ],
        [`history ${role}`, () => t.request(token, 'GET', `${url}/compliance`), ['*']],
        [
          `aircraft ${role}`,
          () => t.request(token, 'GET', `/api/v1/aircraft/${aircraft.id}/compliance-status`),
          ['*'],
        ],
        [
          `directive ${role}`,
          () => t.request(token, 'GET', `/api/v1/directives/${directive.id}/aircraft`),
          ['*'],
        ],
        [`matrix ${role}`, () => t.request(token, 'GET', '/api/v1/compliance-matrix'), ['*']],
      );
    }
    for (const [name, run, allowed] of cases) {
      const role = name.split(' ')[1]!;
      const response = await run();
      const ok = allowed.includes('*') || allowed.includes(role);
      expect(
        ok ? response.statusCode < 300 : response.statusCode === 403,
        `${name}: ${response.statusCode}`,
      ).toBe(true);
    }
  });
});
