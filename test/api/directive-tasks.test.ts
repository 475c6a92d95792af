import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCalendar, calendarDayOf } from '../../src/domain/directive.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraftDirective, insertDirective } from '../support/directive-factories.js';
import { insertAircraft, insertAircraftUsage, insertTask } from '../support/factories.js';
import { itEnforcesRoles } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const inDays = (n: number) => addCalendar(calendarDayOf(new Date()), n, 'days');
/** 08:00 UTC, `n` days from today. */
const morning = (n: number) => new Date(`${inDays(n)}T08:00:00.000Z`);

interface TaskView {
  id: string;
  directive_id: string | null;
  start_time: string;
  end_time: string;
  type: string;
  state: string;
}

/** A fresh aircraft of `orgId` tracking a new directive due `due` (a 30-day limit by default). */
async function tracked(due: Record<string, unknown> = { next_due_date: inDays(30) }, orgId = home.org.id) {
  const aircraft = await insertAircraft(t.db.db, { org_id: orgId });
  const directive = await insertDirective(t.db.db, { org_id: orgId });
  const row = await insertAircraftDirective(t.db.db, {
    org_id: orgId,
    aircraft_id: aircraft.id,
    directive_id: directive.id,
    ...due,
  });
  return { aircraftId: aircraft.id, directiveId: directive.id, trackingId: row.id };
}

const book = (target: { aircraftId: string; directiveId: string }, body: object = {}, headers = {}) =>
  t.request(
    home.tokens.scheduler,
    'POST',
    `/api/v1/aircraft/${target.aircraftId}/directives/${target.directiveId}/task`,
    body,
    headers,
  );

describe('booking a directive’s task', () => {
  it('books the first free window from now, and the task and the tracking row remember each other', async () => {
    const target = await tracked();
    const before = Date.now();
    const response = await book(target);
    expect(response.statusCode, response.body).toBe(201);
    const task = response.json<TaskView>();
    expect(task).toMatchObject({ directive_id: target.directiveId, type: 'inspection', state: 'scheduled' });
    const start = Date.parse(task.start_time);
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(before + 60_000 + 5_000);
    expect(Date.parse(task.end_time) - start).toBe(240 * 60_000);
    expect(response.headers.location).toBe(`/api/v1/maintenance-tasks/${task.id}`);
    const row = await t.db.db
      .selectFrom('aircraft_directives')
      .select('task_id')
      .where('id', '=', target.trackingId)
      .executeTakeFirstOrThrow();
    expect(row.task_id).toBe(task.id);
  });

  it('skips the windows the aircraft’s live tasks take and a gap too short', async () => {
    const target = await tracked();
    const at = (hour: number) => new Date(morning(3).getTime() + hour * HOUR);
    await insertTask(t.db.db, { aircraft_id: target.aircraftId, start_time: at(-1), end_time: at(2) });
    await insertTask(t.db.db, { aircraft_id: target.aircraftId, start_time: at(3), end_time: at(4) });
    const cancelled = { state: 'cancelled' as const, start_time: at(4), end_time: at(8) };
    await insertTask(t.db.db, { aircraft_id: target.aircraftId, ...cancelled });
    const response = await book(target, { duration_minutes: 120, not_before: morning(3).toISOString() });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<TaskView>()).toMatchObject({
      start_time: at(4).toISOString(),
      end_time: at(6).toISOString(),
    });
  });

  it('records the creation as the task service does: an audit row and task_created with the directive', async () => {
    const target = await tracked();
    const task = (await book(target, { notes: 'AD compliance' })).json<TaskView>();
    const event = await t.db.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', task.id)
      .where('event_type', '=', 'task_created')
      .executeTakeFirstOrThrow();
    expect(event.payload).toMatchObject({
      data: { directive_id: target.directiveId, notes: 'AD compliance' },
    });
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .select(['entity_type', 'action'])
      .where('entity_id', 'in', [task.id, target.trackingId])
      .orderBy('entity_type')
      .execute();
    expect(audit).toEqual([
      { entity_type: 'aircraft_directive', action: 'update' },
      { entity_type: 'maintenance_task', action: 'create' },
    ]);
  });

  it('is listed by GET /maintenance-tasks?directive_id=', async () => {
    const target = await tracked();
    const task = (await book(target)).json<TaskView>();
    await insertTask(t.db.db, { org_id: home.org.id, aircraft_id: target.aircraftId });
    const list = await t.request(
      home.tokens.auditor,
      'GET',
      `/api/v1/maintenance-tasks?directive_id=${target.directiveId}`,
    );
    expect(list.json<TaskView[]>().map((x) => x.id)).toEqual([task.id]);
  });

  it('answers a retry with the same Idempotency-Key with the same task', async () => {
    const target = await tracked();
    const headers = { 'idempotency-key': `book-${target.trackingId}` };
    const first = await book(target, {}, headers);
    const again = await book(target, {}, headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<TaskView>().id).toBe(first.json<TaskView>().id);
  });
});

describe('refusals', () => {
  it('409 NO_WINDOW_BEFORE_DUE names the first free window; allow_after_due books it', async () => {
    const target = await tracked({ next_due_date: inDays(2) });
    const body = { not_before: morning(5).toISOString() };
    const refused = await book(target, body);
    expect(refused.statusCode).toBe(409);
    const error = refused.json<{ reason: string; details: { field: string; message: string }[] }>();
    expect(error.reason).toBe('NO_WINDOW_BEFORE_DUE');
    expect(error.details).toContainEqual({
      field: 'first_free_window.start_time',
      message: morning(5).toISOString(),
    });
    expect(error.details).toContainEqual({ field: 'due.deadline', message: `${inDays(3)}T00:00:00.000Z` });
    const late = await book(target, { ...body, allow_after_due: true });
    expect(late.statusCode).toBe(201);
    expect(late.json<TaskView>().start_time).toBe(morning(5).toISOString());
  });

  it('projects a flight-hour limit from the aircraft’s utilisation to find the due day', async () => {
    const target = await tracked({ next_due_date: null, next_due_flight_hours: '6.00' });
    // 3 hours a day over the last 90 days: 6 hours are 2 days away.
    for (let i = 0; i < 9; i++) {
      await insertAircraftUsage(t.db.db, {
        aircraft_id: target.aircraftId,
        flight_hours: 30,
        recorded_at: new Date(Date.now() - (i + 1) * DAY),
      });
    }
    expect((await book(target, { not_before: morning(2).toISOString() })).statusCode).toBe(201);
    const other = await tracked({ next_due_date: null, next_due_flight_hours: '6.00' });
    await insertAircraftUsage(t.db.db, { aircraft_id: other.aircraftId, flight_hours: 270 });
    const refused = await book(other, { not_before: morning(3).toISOString() });
    expect(refused.json()).toMatchObject({ reason: 'NO_WINDOW_BEFORE_DUE' });
  });

  it('409 DIRECTIVE_TASK_EXISTS while a booked task is live; a new one once it is cancelled', async () => {
    const target = await tracked();
    const first = (await book(target)).json<TaskView>();
    const again = await book(target);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ reason: 'DIRECTIVE_TASK_EXISTS' });
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({ state: 'cancelled' })
      .where('id', '=', first.id)
      .execute();
    expect((await book(target)).statusCode).toBe(201);
  });

  it('409 for a directive complied with or cancelled, 404 for one not tracked on the aircraft', async () => {
    const cancelled = await tracked();
    await t.db.db
      .updateTable('directives')
      .set({ status: 'cancelled' })
      .where('id', '=', cancelled.directiveId)
      .execute();
    expect((await book(cancelled)).json()).toMatchObject({ reason: 'DIRECTIVE_NOT_ACTIVE' });
    const na = await tracked({ status: 'not_applicable', status_reason: 'modified by STC' });
    expect((await book(na)).json()).toMatchObject({ reason: 'DIRECTIVE_NOT_OPEN' });
    const untracked = await insertDirective(t.db.db, { org_id: home.org.id });
    const response = await book({ aircraftId: na.aircraftId, directiveId: untracked.id });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'DIRECTIVE_NOT_TRACKED' });
  });

  it('404 for another organization’s aircraft or directive, as for ids that do not exist', async () => {
    const other = await t.createOrg();
    const foreign = await tracked(undefined, other.id);
    expect((await book(foreign)).json()).toMatchObject({ code: 'not_found', reason: 'AIRCRAFT_NOT_FOUND' });
    const mine = await tracked();
    const response = await book({ aircraftId: mine.aircraftId, directiveId: foreign.directiveId });
    expect(response.json()).toMatchObject({ code: 'not_found', reason: 'DIRECTIVE_NOT_FOUND' });
  });
});

describe('RBAC', () => {
  itEnforcesRoles(
    {
      'POST /aircraft/:id/directives/:directiveId/task': {
        method: 'POST',
        build: async () => {
          const target = await tracked();
          return { url: `/aircraft/${target.aircraftId}/directives/${target.directiveId}/task`, body: {} };
        },
        allowed: ['admin', 'tenant_admin', 'scheduler'],
      },
    },
    () => ({ t, tokens: home.tokens }),
  );
});
