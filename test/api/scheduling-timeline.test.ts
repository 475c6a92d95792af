import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TIMELINE_TASKS } from '../../src/app/timeline.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask } from '../support/factories.js';
import { EVERYONE, itEnforcesRoles } from '../support/rbac.js';
import { insertTaskDependency } from '../support/scheduling-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
  other = await createTenant(t);
});
afterAll(() => t.close());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Midnight UTC twenty days from now: each test's tasks sit around it. */
const BASE = Math.floor((Date.now() + 20 * DAY) / DAY) * DAY;
const at = (hours: number) => new Date(BASE + hours * HOUR);
const range = (from: number, to: number) => `from=${at(from).toISOString()}&to=${at(to).toISOString()}`;

interface Timeline {
  from: string;
  to: string;
  aircraft: { id: string; tail_number: string; status: string }[];
  tasks: { id: string; state: string; start_time: string }[];
  dependencies: { id: string; predecessor_id: string; successor_id: string; type: string; status: string }[];
  truncated: boolean;
}

const org = () => home.org.id;
const plane = () => insertAircraft(t.db.db, { org_id: org() });
const task = (aircraftId: string, from: number, to: number, extra: Record<string, unknown> = {}) =>
  insertTask(t.db.db, {
    org_id: org(),
    aircraft_id: aircraftId,
    start_time: at(from),
    end_time: at(to),
    ...extra,
  });

async function timeline(query: string, token = home.tokens.scheduler): Promise<Timeline> {
  const response = await t.request(token, 'GET', `/api/v1/scheduling/timeline?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Timeline>();
}

describe('GET /scheduling/timeline', () => {
  it('shows every task whose window meets the range, of any state, including one that began weeks before', async () => {
    const a = await plane();
    const long = await task(a.id, -40 * 24, 2, { state: 'in_progress' });
    const inside = await task(a.id, 10, 14);
    const done = await task(a.id, 20, 22, { state: 'completed' });
    const endsAtOpen = await task(a.id, -10, 0, { state: 'cancelled' });
    const startsAtClose = await task(a.id, 48, 50);
    const deleted = await task(a.id, 30, 32, { deleted_at: new Date() });

    const view = await timeline(`${range(0, 48)}&aircraft_id=${a.id}`);

    expect(view.tasks.map((x) => x.id)).toEqual([long.id, inside.id, done.id]);
    const ids = view.tasks.map((x) => x.id);
    for (const outside of [endsAtOpen, startsAtClose, deleted]) expect(ids).not.toContain(outside.id);
    expect(view).toMatchObject({ from: at(0).toISOString(), to: at(48).toISOString(), truncated: false });
    expect(view.aircraft).toEqual([expect.objectContaining({ id: a.id, tail_number: a.tail_number })]);
  });

  it('carries the dependencies among its tasks with whether the plan keeps them, and none reaching outside', async () => {
    const [a, b] = [await plane(), await plane()];
    const first = await task(a.id, 100, 104);
    const early = await task(b.id, 102, 106);
    const fine = await task(b.id, 110, 112);
    const later = await task(a.id, 300, 302);
    const broken = await insertTaskDependency(t.db.db, {
      org_id: org(),
      predecessor_id: first.id,
      successor_id: early.id,
    });
    const kept = await insertTaskDependency(t.db.db, {
      org_id: org(),
      predecessor_id: first.id,
      successor_id: fine.id,
    });
    await insertTaskDependency(t.db.db, { org_id: org(), predecessor_id: fine.id, successor_id: later.id });

    const view = await timeline(range(96, 200));

    expect(view.dependencies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: broken.id,
          predecessor_id: first.id,
          successor_id: early.id,
          status: 'schedule_violated',
        }),
        expect.objectContaining({ id: kept.id, type: 'finish_to_start', status: 'waiting' }),
      ]),
    );
    expect(view.dependencies).toHaveLength(2);
  });

  it('gives a row for every live aircraft of the organization by tail number, with or without tasks', async () => {
    const idle = await plane();
    const gone = await insertAircraft(t.db.db, { org_id: org(), deleted_at: new Date() });
    const theirs = await insertAircraft(t.db.db, { org_id: other.org.id });

    const view = await timeline(range(0, 24));

    const ids = view.aircraft.map((a) => a.id);
    expect(ids).toContain(idle.id);
    expect(ids).not.toContain(gone.id);
    expect(ids).not.toContain(theirs.id);
    const tails = view.aircraft.map((a) => a.tail_number);
    expect(tails).toEqual([...tails].sort());
  });

  it('refuses an empty range and one longer than a quarter, in words', async () => {
    for (const query of [range(10, 10), range(0, 93 * 24)]) {
      const response = await t.request(home.tokens.scheduler, 'GET', `/api/v1/scheduling/timeline?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation', reason: 'INVALID_TIME_RANGE' });
    }
    const missing = await t.request(home.tokens.scheduler, 'GET', '/api/v1/scheduling/timeline');
    expect(missing.statusCode).toBe(400);
  });

  it('says truncated when the range holds more tasks than one answer carries', async () => {
    const a = await plane();
    const rows = Array.from({ length: MAX_TIMELINE_TASKS + 1 }, (_, i) => ({
      org_id: org(),
      aircraft_id: a.id,
      type: 'inspection' as const,
      start_time: at(1000 + i / 4),
      end_time: at(1000 + i / 4 + 0.2),
    }));
    await t.db.db.insertInto('maintenance_tasks').values(rows).execute();

    const view = await timeline(`${range(1000, 1000 + 90 * 24)}&aircraft_id=${a.id}`);

    expect(view.truncated).toBe(true);
    expect(view.tasks).toHaveLength(MAX_TIMELINE_TASKS);
    expect(view.tasks[0]!.start_time).toBe(at(1000).toISOString());
  });

  it('answers 404 for another organization’s aircraft and never shows its tasks', async () => {
    const theirs = await insertAircraft(t.db.db, { org_id: other.org.id });
    const theirTask = await insertTask(t.db.db, {
      org_id: other.org.id,
      aircraft_id: theirs.id,
      start_time: at(500),
      end_time: at(502),
    });
    const response = await t.request(
      home.tokens.scheduler,
      'GET',
      `/api/v1/scheduling/timeline?${range(490, 510)}&aircraft_id=${theirs.id}`,
    );
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'AIRCRAFT_NOT_FOUND' });
    const mine = await timeline(range(490, 510));
    expect(mine.tasks.map((x) => x.id)).not.toContain(theirTask.id);
  });

  itEnforcesRoles(
    {
      'GET /scheduling/timeline': {
        method: 'GET',
        build: async () => ({ url: `/scheduling/timeline?${range(0, 24)}` }),
        allowed: EVERYONE,
      },
    },
    () => ({ t, tokens: home.tokens }),
  );
});
