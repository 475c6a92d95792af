import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertProgram, insertTask } from '../support/factories.js';
import { itEnforcesRoles, SCHEDULERS, type RouteCase } from '../support/rbac.js';
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

const url = '/api/v1/maintenance-programs/generate';
const DAY = 86_400_000;

interface GenerateJson {
  generated: { program_id: string; task_id: string; start_time: string; end_time: string; moved: boolean }[];
  skipped: { program_id: string; reason: string }[];
}

/** A due program (never performed) on a new aircraft of the org. */
const dueProgram = async (orgId: string, extra: Parameters<typeof insertProgram>[1] = {}) => {
  const aircraft = await insertAircraft(t.db.db, { org_id: orgId });
  return insertProgram(t.db.db, { aircraft_id: aircraft.id, ...extra });
};

describe('POST /maintenance-programs/generate', () => {
  it('creates a scheduled task for the named due program and audits it under the caller', async () => {
    const program = await dueProgram(tenant.org.id, { task_type: 'repair', task_duration_minutes: 120 });
    const response = await t.request(tenant.tokens.scheduler, 'POST', url, { program_id: program.id });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<GenerateJson>();
    expect(body.skipped).toEqual([]);
    expect(body.generated).toHaveLength(1);
    const [generated] = body.generated;
    expect(generated).toMatchObject({ program_id: program.id, type: 'repair', moved: false });
    expect(Date.parse(generated!.end_time) - Date.parse(generated!.start_time)).toBe(2 * 3_600_000);
    const task = await t.db.db
      .selectFrom('maintenance_tasks')
      .selectAll()
      .where('id', '=', generated!.task_id)
      .executeTakeFirstOrThrow();
    expect(task).toMatchObject({ program_id: program.id, state: 'scheduled', org_id: tenant.org.id });
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('entity_id', '=', task.id)
      .execute();
    expect(audit.map((row) => [row.actor, row.user_id, row.action])).toEqual([
      ['user:scheduler', tenant.userIds.scheduler, 'create'],
    ]);
  });

  it('generates for every due program of the caller’s organization only', async () => {
    const mine = [await dueProgram(tenant.org.id), await dueProgram(tenant.org.id)];
    const theirs = await dueProgram(other.org.id);
    const response = await t.request(tenant.tokens.admin, 'POST', url);
    expect(response.statusCode, response.body).toBe(200);
    const ids = response.json<GenerateJson>().generated.map((g) => g.program_id);
    expect(ids).toEqual(expect.arrayContaining(mine.map((p) => p.id)));
    expect(ids).not.toContain(theirs.id);
    const theirTasks = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('program_id', '=', theirs.id)
      .execute();
    expect(theirTasks).toEqual([]);
  });

  it('answers 404 PROGRAM_NOT_FOUND for another org’s program, creating nothing', async () => {
    const theirs = await dueProgram(other.org.id);
    const response = await t.request(tenant.tokens.scheduler, 'POST', url, { program_id: theirs.id });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found', reason: 'PROGRAM_NOT_FOUND' });
    const tasks = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('program_id', '=', theirs.id)
      .execute();
    expect(tasks).toEqual([]);
  });

  it('says why a named program generated nothing: not due, active task, template', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const notDue = await insertProgram(t.db.db, {
      aircraft_id: aircraft.id,
      interval_value: 100,
      last_performed: new Date(Date.now() - DAY),
    });
    const busy = await dueProgram(tenant.org.id);
    const active = await insertTask(t.db.db, { aircraft_id: busy.aircraft_id!, program_id: busy.id });
    const template = await insertProgram(t.db.db, { org_id: tenant.org.id });
    const reasons = [];
    for (const program of [notDue, busy, template]) {
      const response = await t.request(tenant.tokens.scheduler, 'POST', url, { program_id: program.id });
      expect(response.statusCode).toBe(200);
      const body = response.json<GenerateJson>();
      expect(body.generated).toEqual([]);
      reasons.push(body.skipped.map((s) => [s.program_id, s.reason]));
    }
    expect(reasons).toEqual([
      [[notDue.id, 'NOT_DUE']],
      [[busy.id, 'ACTIVE_TASK_EXISTS']],
      [[template.id, 'TEMPLATE_PROGRAM']],
    ]);
    expect(active.state).toBe('scheduled');
  });

  it('refuses a malformed program_id or an unknown field with 400, creating nothing', async () => {
    const program = await dueProgram(tenant.org.id);
    for (const body of [{ program_id: 'not-a-uuid' }, { program_id: program.id, extra: true }]) {
      const response = await t.request(tenant.tokens.scheduler, 'POST', url, body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation' });
    }
    const tasks = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('program_id', '=', program.id)
      .execute();
    expect(tasks).toEqual([]);
  });

  it('replays the first answer for a repeated Idempotency-Key instead of generating again', async () => {
    const program = await dueProgram(tenant.org.id);
    const key = { 'idempotency-key': randomUUID() };
    const body = { program_id: program.id };
    const first = await t.request(tenant.tokens.scheduler, 'POST', url, body, key);
    const second = await t.request(tenant.tokens.scheduler, 'POST', url, body, key);
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(first.json<GenerateJson>().generated).toHaveLength(1);
  });

  it('lets an admin generate for another organization named with org_id', async () => {
    const theirs = await dueProgram(other.org.id);
    const response = await t.request(tenant.tokens.admin, 'POST', `${url}?org_id=${other.org.id}`, {
      program_id: theirs.id,
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<GenerateJson>().generated.map((g) => g.program_id)).toEqual([theirs.id]);
  });
});

describe('program generation settings on the program', () => {
  it('shows the defaults, and takes lead, task type and duration on create and patch', async () => {
    const created = await t.request(tenant.tokens.scheduler, 'POST', '/api/v1/maintenance-programs', {
      name: 'C-check',
      interval_type: 'calendar',
      interval_value: 45,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      lead_value: null,
      effective_lead_value: 4,
      task_type: 'inspection',
      task_duration_minutes: 480,
    });
    const id = created.json<{ id: string }>().id;
    const patched = await t.request(tenant.tokens.scheduler, 'PATCH', `/api/v1/maintenance-programs/${id}`, {
      lead_value: 10,
      task_type: 'overhaul',
      task_duration_minutes: 60,
    });
    expect(patched.json()).toMatchObject({
      lead_value: 10,
      effective_lead_value: 10,
      task_type: 'overhaul',
      task_duration_minutes: 60,
    });
    const cleared = await t.request(tenant.tokens.scheduler, 'PATCH', `/api/v1/maintenance-programs/${id}`, {
      lead_value: null,
    });
    expect(cleared.json()).toMatchObject({ lead_value: null, effective_lead_value: 4 });
  });

  it('refuses a negative lead and a zero duration with 400', async () => {
    for (const extra of [{ lead_value: -1 }, { task_duration_minutes: 0 }, { task_type: 'wash' }]) {
      const response = await t.request(tenant.tokens.scheduler, 'POST', '/api/v1/maintenance-programs', {
        name: 'Bad',
        interval_type: 'cycles',
        interval_value: 10,
        ...extra,
      });
      expect(response.statusCode).toBe(400);
    }
  });
});

describe('RBAC', () => {
  // A template program: the call succeeds (200, skipped) without piling tasks up.
  const ROUTES: Record<string, RouteCase> = {
    'POST /maintenance-programs/generate': {
      method: 'POST',
      build: async () => ({
        url: '/maintenance-programs/generate',
        body: { program_id: (await insertProgram(t.db.db, { org_id: tenant.org.id })).id },
      }),
      allowed: SCHEDULERS,
    },
  };
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
