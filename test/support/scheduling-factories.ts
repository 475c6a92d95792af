/**
 * Factories for the scheduling tables (migration 00023), in the style of factories.ts: each inserts
 * one row with sensible defaults, creates the tasks it needs when the overrides name none, and
 * returns the row.
 */
import { randomUUID } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../src/infra/postgres/executor.js';
import type { TaskDependenciesTable, TaskScheduleChangesTable } from '../../src/infra/postgres/schema.js';
import { insertOrganization, insertTask } from './factories.js';

type Overrides<T> = Partial<Insertable<T>>;

/** A finish-to-start dependency between two new tasks of one organization (or the ones named). */
export async function insertTaskDependency(
  db: Executor,
  overrides: Overrides<TaskDependenciesTable> = {},
): Promise<Selectable<TaskDependenciesTable>> {
  const orgId = overrides.org_id ?? (await insertOrganization(db)).id;
  const predecessorId = overrides.predecessor_id ?? (await insertTask(db, { org_id: orgId })).id;
  const successorId = overrides.successor_id ?? (await insertTask(db, { org_id: orgId })).id;
  return db
    .insertInto('task_dependencies')
    .values({ ...overrides, org_id: orgId, predecessor_id: predecessorId, successor_id: successorId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A schedule change of a new task (or the one named): moved an hour later by a job. */
export async function insertScheduleChange(
  db: Executor,
  overrides: Overrides<TaskScheduleChangesTable> = {},
): Promise<Selectable<TaskScheduleChangesTable>> {
  const orgId = overrides.org_id ?? (await insertOrganization(db)).id;
  const task = overrides.task_id ?? (await insertTask(db, { org_id: orgId })).id;
  const start = new Date('2031-03-01T08:00:00Z');
  const hour = 3_600_000;
  return db
    .insertInto('task_schedule_changes')
    .values({
      change_id: randomUUID(),
      old_start_time: start,
      old_end_time: new Date(start.getTime() + 2 * hour),
      new_start_time: new Date(start.getTime() + hour),
      new_end_time: new Date(start.getTime() + 3 * hour),
      actor: 'system:test',
      ...overrides,
      org_id: orgId,
      task_id: task,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
