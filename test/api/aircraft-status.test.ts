import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileAircraftStatus } from '../../src/app/aircraft.js';
import { mutate } from '../../src/app/mutation.js';
import type { Actor } from '../../src/app/actor.js';
import { aircraftStatusJob } from '../../src/jobs/aircraft-status.js';
import { insertAircraft, insertTask, insertUser, setGroundingLeadTime } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let orgId: string;
let mechanicId: string;
let scheduler: string;
let tenantAdmin: string;

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.createOrg()).id;
  mechanicId = (await t.createUser(orgId, 'mechanic')).id;
  scheduler = await t.tokenFor(await t.createUser(orgId, 'scheduler'));
  tenantAdmin = await t.tokenFor(await t.createUser(orgId, 'tenant_admin'));
});
afterAll(async () => {
  await t.close();
});

const HOUR = 3_600_000;
const now = new Date();
const hoursFromNow = (hours: number) => new Date(now.getTime() + hours * HOUR);
const runJob = () => aircraftStatusJob(t.container.services.aircraft, () => now).run();

const newAircraft = (status: 'operational' | 'grounded' | 'maintenance' = 'operational', org = orgId) =>
  insertAircraft(t.db.db, { org_id: org, status });
/**
 * A two-hour task starting `startsIn` hours from now; confirmed (assigned, to a mechanic of its
 * own: a mechanic is never booked on two overlapping tasks) unless said otherwise.
 */
const taskIn = async (aircraftId: string, startsIn: number, extra: Parameters<typeof insertTask>[1] = {}) =>
  insertTask(t.db.db, {
    aircraft_id: aircraftId,
    assigned_mechanic_id: (await insertUser(t.db.db, { org_id: orgId, role: 'mechanic' })).id,
    start_time: hoursFromNow(startsIn),
    end_time: hoursFromNow(startsIn + 2),
    ...extra,
  });
const statusOf = async (aircraftId: string) =>
  t.db.db
    .selectFrom('aircraft')
    .select(['status', 'status_source'])
    .where('id', '=', aircraftId)
    .executeTakeFirstOrThrow();
const audits = (aircraftId: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('entity_id', '=', aircraftId)
    .orderBy('timestamp')
    .execute();
const statusEvents = (aircraftId: string) =>
  t.db.db
    .selectFrom('outbox_events')
    .selectAll()
    .where('aggregate_id', '=', aircraftId)
    .where('event_type', '=', 'aircraft_status_updated')
    .orderBy('created_at')
    .execute();

describe('automatic grounding', () => {
  it('grounds an operational aircraft whose confirmed task comes within the lead time, audited as the job', async () => {
    const aircraft = await newAircraft();
    const task = await taskIn(aircraft.id, 23);
    expect(await runJob()).toMatch(/changed the status of \d+ of \d+ aircraft/);
    expect(await statusOf(aircraft.id)).toEqual({ status: 'grounded', status_source: 'automatic' });
    const rows = await audits(aircraft.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: 'system:aircraft-status', user_id: null, action: 'state_change' });
    expect(rows[0]!.details).toMatchObject({
      before: { status: 'operational' },
      after: { status: 'grounded', status_source: 'automatic' },
      reason: 'CONFIRMED_TASK_WITHIN_LEAD_TIME',
      task_id: task.id,
    });
    const events = await statusEvents(aircraft.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({
      version: 1,
      org_id: orgId,
      aggregate_id: aircraft.id,
      data: { status: 'grounded', previous_status: 'operational' },
    });
  });

  it('grounds for a task in progress, and for a confirmed task already overdue', async () => {
    const inProgress = await newAircraft();
    await taskIn(inProgress.id, -1, { state: 'in_progress' });
    const overdue = await newAircraft();
    await taskIn(overdue.id, -5);
    await runJob();
    expect(await statusOf(inProgress.id)).toMatchObject({ status: 'grounded' });
    expect((await audits(inProgress.id))[0]!.details).toMatchObject({ reason: 'TASK_IN_PROGRESS' });
    expect(await statusOf(overdue.id)).toMatchObject({ status: 'grounded' });
  });

  it('leaves the aircraft operational for an unassigned task, one outside the lead time, or a finished one', async () => {
    const unassigned = await newAircraft();
    await taskIn(unassigned.id, 1, { assigned_mechanic_id: null });
    const later = await newAircraft();
    await taskIn(later.id, 25);
    const finished = await newAircraft();
    await taskIn(finished.id, -3, { state: 'completed' });
    await taskIn(finished.id, 1, { state: 'cancelled' });
    await taskIn(finished.id, 4, { deleted_at: new Date() });
    await runJob();
    for (const aircraft of [unassigned, later, finished]) {
      expect(await statusOf(aircraft.id)).toMatchObject({ status: 'operational' });
      expect(await audits(aircraft.id)).toHaveLength(0);
    }
  });

  it('follows a change of the org’s grounding lead time', async () => {
    const org = (await t.createOrg()).id;
    const admin = await t.tokenFor(await t.createUser(org, 'tenant_admin'));
    const mechanic = await insertUser(t.db.db, { org_id: org });
    const aircraft = await newAircraft('operational', org);
    await taskIn(aircraft.id, 30, { assigned_mechanic_id: mechanic.id });
    await runJob();
    expect(await statusOf(aircraft.id)).toMatchObject({ status: 'operational' });
    const policy = await t.request(admin, 'PATCH', `/api/v1/organizations/${org}/policy`, {
      grounding_lead_time: 'PT48H',
    });
    expect(policy.statusCode).toBe(200);
    await runJob();
    expect(await statusOf(aircraft.id)).toMatchObject({ status: 'grounded' });
  });

  it('with a grounding lead time of 0, still grounds a confirmed task’s aircraft within the 5-minute start grace', async () => {
    const org = (await t.createOrg()).id;
    await setGroundingLeadTime(t.db.db, org, '0');
    const mechanic = await insertUser(t.db.db, { org_id: org });
    const colleague = await insertUser(t.db.db, { org_id: org });
    const soon = await newAircraft('operational', org);
    const later = await newAircraft('operational', org);
    await taskIn(soon.id, 3 / 60, { assigned_mechanic_id: mechanic.id });
    await taskIn(later.id, 6 / 60, { assigned_mechanic_id: colleague.id });
    await runJob();
    expect(await statusOf(soon.id)).toMatchObject({ status: 'grounded' });
    expect(await statusOf(later.id)).toMatchObject({ status: 'operational' });
  });

  it('changes nothing on a second run, and two parallel runs change an aircraft once', async () => {
    const aircraft = await newAircraft();
    await taskIn(aircraft.id, 2);
    await Promise.all([runJob(), runJob()]);
    await runJob();
    expect(await audits(aircraft.id)).toHaveLength(1);
    expect(await statusEvents(aircraft.id)).toHaveLength(1);
  });

  it('never touches an aircraft in maintenance', async () => {
    const aircraft = await newAircraft('maintenance');
    await taskIn(aircraft.id, 1);
    await runJob();
    expect(await statusOf(aircraft.id)).toMatchObject({ status: 'maintenance' });
    expect(await audits(aircraft.id)).toHaveLength(0);
  });
});

describe('returning to operational', () => {
  it.each([
    ['completes', { state: 'completed' as const }],
    ['is cancelled', { state: 'cancelled' as const }],
    ['is deleted', { deleted_at: new Date() }],
    ['loses its mechanic', { assigned_mechanic_id: null }],
  ])('returns an automatically grounded aircraft when its task %s', async (_label, change) => {
    const aircraft = await newAircraft();
    const task = await taskIn(aircraft.id, 3);
    await runJob();
    expect(await statusOf(aircraft.id)).toMatchObject({ status: 'grounded' });
    await t.db.db.updateTable('maintenance_tasks').set(change).where('id', '=', task.id).execute();
    await runJob();
    expect(await statusOf(aircraft.id)).toEqual({ status: 'operational', status_source: 'automatic' });
    const rows = await audits(aircraft.id);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.details).toMatchObject({ reason: 'NO_TASK_REQUIRES_GROUNDING', task_id: null });
    expect(await statusEvents(aircraft.id)).toHaveLength(2);
  });

  it('keeps a manual grounding, with or without tasks, until someone changes it', async () => {
    const aircraft = await newAircraft();
    const url = `/api/v1/aircraft/${aircraft.id}`;
    expect((await t.request(scheduler, 'PATCH', url, { status: 'grounded' })).statusCode).toBe(200);
    const task = await taskIn(aircraft.id, 1);
    await runJob();
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'completed' })
      .where('id', '=', task.id)
      .execute();
    await runJob();
    expect(await statusOf(aircraft.id)).toEqual({ status: 'grounded', status_source: 'manual' });
    expect(await audits(aircraft.id)).toHaveLength(1);
    const released = await t.request(scheduler, 'PATCH', url, { status: 'operational' });
    expect(released.json()).toMatchObject({ status: 'operational', status_source: 'manual' });
  });

  it('turns an automatic grounding into a manual one when a person confirms it', async () => {
    const aircraft = await newAircraft();
    const task = await taskIn(aircraft.id, 1);
    await runJob();
    await t.request(scheduler, 'PATCH', `/api/v1/aircraft/${aircraft.id}`, { status: 'grounded' });
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'cancelled' })
      .where('id', '=', task.id)
      .execute();
    await runJob();
    expect(await statusOf(aircraft.id)).toEqual({ status: 'grounded', status_source: 'manual' });
  });
});

describe('task changes at once', () => {
  const cancel = (taskId: string) =>
    t.request(scheduler, 'PATCH', `/api/v1/maintenance-tasks/${taskId}/state`, { new_state: 'cancelled' });

  it('two cancellations on one aircraft at once, with the status job beside them, bring it back into service once', async () => {
    for (let round = 0; round < 4; round += 1) {
      const aircraft = await newAircraft();
      const first = await taskIn(aircraft.id, 1);
      const second = await taskIn(aircraft.id, 4);
      await runJob();
      expect(await statusOf(aircraft.id)).toEqual({ status: 'grounded', status_source: 'automatic' });
      // Each cancellation reconciles the aircraft after its own change; whichever goes second must
      // see the other's cancellation too, or the aircraft stays grounded with no task needing it.
      const [a, b] = await Promise.all([cancel(first.id), cancel(second.id), runJob()]);
      expect(a.statusCode, a.body).toBe(200);
      expect(b.statusCode, b.body).toBe(200);
      expect(await statusOf(aircraft.id)).toEqual({ status: 'operational', status_source: 'automatic' });
      // Grounded by the job, released once: never released twice, never grounded again.
      expect(
        (await statusEvents(aircraft.id)).map((e) => (e.payload as { data: { status: string } }).data.status),
      ).toEqual(['grounded', 'operational']);
    }
  });
});

describe('manual status changes', () => {
  it('refuses to make an aircraft operational while a task needs it on the ground (409 AIRCRAFT_GROUNDING_REQUIRED)', async () => {
    const aircraft = await newAircraft('grounded');
    const task = await taskIn(aircraft.id, 6);
    const url = `/api/v1/aircraft/${aircraft.id}`;
    const refused = await t.request(scheduler, 'PATCH', url, { status: 'operational' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'conflict', reason: 'AIRCRAFT_GROUNDING_REQUIRED' });
    expect(refused.json<{ error: string }>().error).toContain(task.id);
    expect(await audits(aircraft.id)).toHaveLength(0);
    expect((await t.request(scheduler, 'PATCH', url, { status: 'maintenance' })).statusCode).toBe(200);
  });

  it('a tenant_admin may not change an aircraft status at all (403)', async () => {
    const aircraft = await newAircraft();
    const response = await t.request(tenantAdmin, 'PATCH', `/api/v1/aircraft/${aircraft.id}`, {
      status: 'grounded',
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('reconcileAircraftStatus inside a task change', () => {
  const reconcileAs = (actor: Actor, aircraftId: string) =>
    mutate(t.container.uow, { actor }, async (repos) => {
      const effects = await reconcileAircraftStatus(repos, { orgId, aircraftId, now });
      // A task change always audits itself; here a stand-in row plays that part.
      return {
        result: effects,
        audit: [
          { orgId, entityType: 'maintenance_task', entityId: aircraftId, action: 'update' },
          ...effects.audit,
        ],
        events: effects.events,
      };
    });

  it('returns the status change for the caller’s mutation, recorded under the caller’s actor', async () => {
    const aircraft = await newAircraft();
    await taskIn(aircraft.id, 1);
    const actor: Actor = { kind: 'user', userId: mechanicId, orgId, role: 'mechanic', scopes: [] };
    const effects = await reconcileAs(actor, aircraft.id);
    expect(effects.audit).toHaveLength(1);
    expect(effects.events.map((e) => e.type)).toEqual(['aircraft_status_updated']);
    expect(await statusOf(aircraft.id)).toMatchObject({ status: 'grounded', status_source: 'automatic' });
    const rows = (await audits(aircraft.id)).filter((r) => r.entity_type === 'aircraft');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: mechanicId, actor: 'user:mechanic' });
    expect((await reconcileAs(actor, aircraft.id)).audit).toHaveLength(0);
  });
});
