import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertProgram } from '../support/factories.js';
import { importStorageDir, testImportProcessor, uploadCsv, type ImportJson } from '../support/imports.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let processor: ReturnType<typeof testImportProcessor>;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_STORAGE_DIR: await importStorageDir() });
  tenant = await createTenant(t);
  processor = testImportProcessor(t);
});
afterAll(async () => {
  await t.close();
});

const HOUR = 3_600_000;
const scheduler = () => tenant.tokens.scheduler;
let hour = 0;
const window = () => {
  hour += 3;
  const start = new Date(Date.UTC(2033, 0, 1) + hour * HOUR);
  return { start_time: start.toISOString(), end_time: new Date(start.getTime() + HOUR).toISOString() };
};

interface TaskJson {
  id: string;
  priority: string;
}

async function createTask(extra: Record<string, unknown> = {}, aircraftId?: string) {
  const aircraft = aircraftId ?? (await insertAircraft(t.db.db, { org_id: tenant.org.id })).id;
  const response = await t.request(scheduler(), 'POST', '/api/v1/maintenance-tasks', {
    aircraft_id: aircraft,
    type: 'inspection',
    ...window(),
    ...extra,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<TaskJson>();
}

describe('task priority', () => {
  it('is routine unless given, and shows on create, read, list and update', async () => {
    expect((await createTask()).priority).toBe('routine');
    const aog = await createTask({ priority: 'aog' });
    expect(aog.priority).toBe('aog');
    const detail = await t.request(scheduler(), 'GET', `/api/v1/maintenance-tasks/${aog.id}`);
    expect(detail.json<{ task: TaskJson }>().task.priority).toBe('aog');
    const updated = await t.request(scheduler(), 'PATCH', `/api/v1/maintenance-tasks/${aog.id}`, {
      priority: 'critical',
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json<TaskJson>().priority).toBe('critical');
  });

  it('filters and sorts lists by priority, routine < urgent < aog < critical', async () => {
    const aircraft = (await insertAircraft(t.db.db, { org_id: tenant.org.id })).id;
    const made: Record<string, string> = {};
    for (const priority of ['aog', 'routine', 'critical', 'urgent']) {
      made[priority] = (await createTask({ priority }, aircraft)).id;
    }
    const list = async (query: string) => {
      const response = await t.request(
        scheduler(),
        'GET',
        `/api/v1/maintenance-tasks?aircraft_id=${aircraft}${query}`,
      );
      expect(response.statusCode, response.body).toBe(200);
      return response.json<TaskJson[]>().map((task) => task.priority);
    };
    expect(await list('&sort=priority')).toEqual(['routine', 'urgent', 'aog', 'critical']);
    expect(await list('&sort=-priority')).toEqual(['critical', 'aog', 'urgent', 'routine']);
    expect(await list('&priority=aog')).toEqual(['aog']);
  });

  it('pages a priority sort with a cursor without losing or repeating a task', async () => {
    const aircraft = (await insertAircraft(t.db.db, { org_id: tenant.org.id })).id;
    for (const priority of ['urgent', 'routine', 'urgent', 'critical', 'routine']) {
      await createTask({ priority }, aircraft);
    }
    const seen: string[] = [];
    let next: string | undefined =
      `/api/v1/maintenance-tasks?aircraft_id=${aircraft}&sort=-priority&limit=2&cursor=`;
    while (next) {
      const response = await t.request(scheduler(), 'GET', next);
      seen.push(...response.json<TaskJson[]>().map((task) => task.priority));
      const link = /<([^>]+)>;\s*rel="next"/.exec(String(response.headers.link ?? ''));
      next = link ? new URL(link[1]!, 'http://x').pathname + new URL(link[1]!, 'http://x').search : undefined;
    }
    expect(seen).toEqual(['critical', 'urgent', 'urgent', 'routine', 'routine']);
  });

  it('refuses an unknown priority with 400, in a body, a filter and the sort', async () => {
    const aircraft = (await insertAircraft(t.db.db, { org_id: tenant.org.id })).id;
    const create = await t.request(scheduler(), 'POST', '/api/v1/maintenance-tasks', {
      aircraft_id: aircraft,
      type: 'inspection',
      priority: 'whenever',
      ...window(),
    });
    expect(create.statusCode).toBe(400);
    expect(create.json()).toMatchObject({ code: 'validation' });
    const filter = await t.request(scheduler(), 'GET', '/api/v1/maintenance-tasks?priority=whenever');
    expect(filter.statusCode).toBe(400);
  });
});

describe('program task priority', () => {
  it('is set on create and update, and shown on every program', async () => {
    const created = await t.request(scheduler(), 'POST', '/api/v1/maintenance-programs', {
      name: 'Engine borescope',
      interval_type: 'calendar',
      interval_value: 30,
      task_priority: 'urgent',
    });
    expect(created.statusCode, created.body).toBe(201);
    const program = created.json<{ id: string; task_priority: string }>();
    expect(program.task_priority).toBe('urgent');
    const updated = await t.request(scheduler(), 'PATCH', `/api/v1/maintenance-programs/${program.id}`, {
      task_priority: 'aog',
    });
    expect(updated.json<{ task_priority: string }>().task_priority).toBe('aog');
    const plain = await t.request(scheduler(), 'POST', '/api/v1/maintenance-programs', {
      name: 'Cabin check',
      interval_type: 'calendar',
      interval_value: 30,
    });
    expect(plain.json<{ task_priority: string }>().task_priority).toBe('routine');
  });

  it('is the priority of the tasks the generator makes, and of the next occurrence made on completion', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const program = await insertProgram(t.db.db, {
      aircraft_id: aircraft.id,
      interval_type: 'calendar',
      interval_value: 30,
      task_priority: 'critical',
    });
    const response = await t.request(scheduler(), 'POST', '/api/v1/maintenance-programs/generate', {
      program_id: program.id,
    });
    expect(response.statusCode, response.body).toBe(200);
    const [generated] = response.json<{ generated: { task_id: string }[] }>().generated;
    const task = await t.request(scheduler(), 'GET', `/api/v1/maintenance-tasks/${generated!.task_id}`);
    expect(task.json<{ task: TaskJson }>().task.priority).toBe('critical');

    // Completing it schedules the next occurrence, with the program's priority too.
    await t.db.db
      .updateTable('maintenance_tasks')
      .set({
        state: 'in_progress',
        start_time: new Date(Date.now() - 3 * HOUR),
        end_time: new Date(Date.now() - HOUR),
        notes: 'ok',
      })
      .where('id', '=', generated!.task_id)
      .execute();
    const done = await t.request(
      scheduler(),
      'PATCH',
      `/api/v1/maintenance-tasks/${generated!.task_id}/state`,
      {
        new_state: 'completed',
      },
    );
    expect(done.statusCode, done.body).toBe(200);
    const next = await t.db.db
      .selectFrom('maintenance_tasks')
      .select(['priority', 'state'])
      .where('program_id', '=', program.id)
      .where('id', '<>', generated!.task_id)
      .execute();
    expect(next).toEqual([{ priority: 'critical', state: 'scheduled' }]);
  });

  it('is a column of the programs CSV import', async () => {
    const csv = 'name,interval_type,interval_value,task_priority\nPriority import check,calendar,10,aog\n';
    const upload = await uploadCsv(t, scheduler(), 'programs', csv, { fileName: 'programs.csv' });
    expect(upload.statusCode, upload.body).toBe(202);
    const { id } = upload.json<ImportJson>();
    await processor.processNext(id);
    const imp = (await t.request(scheduler(), 'GET', `/api/v1/imports/${id}`)).json<ImportJson>();
    expect(imp).toMatchObject({ status: 'completed' });
    const row = await t.db.db
      .selectFrom('maintenance_programs')
      .select('task_priority')
      .where('org_id', '=', tenant.org.id)
      .where('name', '=', 'Priority import check')
      .executeTakeFirstOrThrow();
    expect(row.task_priority).toBe('aog');
  });
});
