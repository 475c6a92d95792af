import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask } from '../support/factories.js';
import { EVERYONE, itEnforcesRoles } from '../support/rbac.js';
import { insertScheduleChange, insertTaskDependency } from '../support/scheduling-factories.js';
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
let hour = Date.parse('2032-03-01T08:00:00Z');
/** A scheduled task on a new aircraft of the home org, two hours long, far from the others. */
const newTask = async () => {
  hour += 100 * HOUR;
  return insertTask(t.db.db, {
    org_id: home.org.id,
    aircraft_id: (await insertAircraft(t.db.db, { org_id: home.org.id })).id,
    start_time: new Date(hour),
    end_time: new Date(hour + 2 * HOUR),
  });
};
const history = (id: string, query = '', token = home.tokens.auditor) =>
  t.request(token, 'GET', `/api/v1/maintenance-tasks/${id}/schedule-history${query}`);

interface Row {
  id: string;
  task_id: string;
  change_id: string;
  reason: string | null;
  old_start_time: string;
  new_start_time: string;
  cascaded_from_task_id: string | null;
  changed_by: string | null;
  actor: string;
  changed_at: string;
}

describe('GET /maintenance-tasks/{id}/schedule-history', () => {
  it('lists who moved the task, when, why and from where to where, oldest first — the cascaded ones naming their cause', async () => {
    const a = await newTask();
    const b = await newTask();
    await insertTaskDependency(t.db.db, { org_id: home.org.id, predecessor_id: a.id, successor_id: b.id });
    const start = new Date(b.start_time).getTime();
    const moved = await t.request(
      home.tokens.scheduler,
      'POST',
      `/api/v1/maintenance-tasks/${a.id}/reschedule`,
      {
        start_time: new Date(start - HOUR).toISOString(),
        end_time: new Date(start + HOUR).toISOString(),
        reason: 'hangar slot moved',
        cascade: true,
      },
    );
    expect(moved.statusCode, moved.body).toBe(200);
    const response = await history(b.id);
    expect(response.statusCode).toBe(200);
    const rows = response.json<Row[]>();
    expect(rows).toEqual([
      expect.objectContaining({
        task_id: b.id,
        change_id: moved.json<{ change_id: string }>().change_id,
        reason: 'hangar slot moved',
        cascaded_from_task_id: a.id,
        changed_by: home.userIds.scheduler,
        actor: 'user:scheduler',
        old_start_time: new Date(start).toISOString(),
        new_start_time: new Date(start + HOUR).toISOString(),
      }),
    ]);
  });

  it('records a plain PATCH of the window as a change of its own with no reason', async () => {
    const task = await newTask();
    const start = new Date(task.start_time).getTime();
    for (const shift of [1, 2]) {
      const patched = await t.request(
        home.tokens.scheduler,
        'PATCH',
        `/api/v1/maintenance-tasks/${task.id}`,
        {
          start_time: new Date(start + shift * HOUR).toISOString(),
          end_time: new Date(start + (shift + 2) * HOUR).toISOString(),
        },
      );
      expect(patched.statusCode, patched.body).toBe(200);
    }
    await t.request(home.tokens.scheduler, 'PATCH', `/api/v1/maintenance-tasks/${task.id}`, {
      notes: 'no move',
    });
    const rows = (await history(task.id)).json<Row[]>();
    expect(rows.map((r) => [r.reason, r.new_start_time])).toEqual([
      [null, new Date(start + HOUR).toISOString()],
      [null, new Date(start + 2 * HOUR).toISOString()],
    ]);
    expect(rows[0]!.change_id).not.toBe(rows[1]!.change_id);
  });

  it('sorts by changed_at both ways and pages with Link, by offset and by cursor', async () => {
    const task = await newTask();
    for (let i = 0; i < 5; i++) {
      await insertScheduleChange(t.db.db, {
        org_id: home.org.id,
        task_id: task.id,
        changed_at: new Date(Date.parse('2030-01-01T00:00:00Z') + i * HOUR),
      });
    }
    const all = (await history(task.id)).json<Row[]>();
    const newestFirst = (await history(task.id, '?sort=-changed_at')).json<Row[]>();
    expect(newestFirst.map((r) => r.id)).toEqual(all.map((r) => r.id).reverse());
    const first = await history(task.id, '?limit=2');
    expect(first.json<Row[]>().map((r) => r.id)).toEqual(all.slice(0, 2).map((r) => r.id));
    expect(first.headers.link).toContain('offset=2');
    const seen: string[] = [];
    let next: string | undefined = `/api/v1/maintenance-tasks/${task.id}/schedule-history?limit=2&cursor=`;
    while (next) {
      const page = await t.request(home.tokens.mechanic, 'GET', next);
      seen.push(...page.json<Row[]>().map((r) => r.id));
      next = /<([^>]+)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1];
    }
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it('answers 404 for another organization’s task and for a task that does not exist', async () => {
    const stranger = await createTenant(t);
    const task = await newTask();
    await insertScheduleChange(t.db.db, { org_id: home.org.id, task_id: task.id });
    const response = await history(task.id, '', stranger.tokens.tenant_admin);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found' });
    expect((await history('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('refuses an unknown sort with 400', async () => {
    const task = await newTask();
    expect((await history(task.id, '?sort=reason')).statusCode).toBe(400);
  });
});

describe('RBAC of the scheduling routes', () => {
  itEnforcesRoles(
    {
      'POST /maintenance-tasks/:id/reschedule': {
        method: 'POST',
        build: async () => {
          const task = await newTask();
          const start = new Date(task.start_time).getTime();
          return {
            url: `/maintenance-tasks/${task.id}/reschedule`,
            body: {
              start_time: new Date(start + HOUR).toISOString(),
              end_time: new Date(start + 3 * HOUR).toISOString(),
              reason: 'rbac',
            },
          };
        },
        allowed: ['admin', 'tenant_admin', 'scheduler'],
      },
      'GET /maintenance-tasks/:id/schedule-history': {
        method: 'GET',
        build: async () => ({ url: `/maintenance-tasks/${(await newTask()).id}/schedule-history` }),
        allowed: EVERYONE,
      },
    },
    () => ({ t, tokens: home.tokens }),
  );
});
