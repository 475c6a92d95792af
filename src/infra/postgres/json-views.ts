import { sql, type RawBuilder } from 'kysely';
import { EVENT_PAYLOAD_VERSION } from '../../domain/events.js';

/**
 * Views built inside PostgreSQL, for statements that write the audit rows and events of thousands
 * of rows at once (the program generator): Node would otherwise parse every row, build its view
 * and send it back as JSON, three times per task. Each builds exactly what its Node counterpart
 * builds; test/jobs/generated-task-effects.test.ts compares them on the same rows.
 */

/**
 * A timestamptz as `Date.prototype.toISOString` writes it: UTC, milliseconds. The microseconds
 * PostgreSQL keeps are cut, as node-postgres cuts them when it reads the column into a Date.
 */
export const isoTimestamp = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A maintenance task row `alias` as `taskView` (src/app/tasks.ts) shows it, for a task the same
 * statement inserted: such a task has no required parts yet.
 */
export const newTaskViewJson = (alias: string): RawBuilder<unknown> => {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  const time = (name: string) => isoTimestamp(`${alias}.${name}`);
  return sql`jsonb_build_object(
    'id', ${column('id')}, 'org_id', ${column('org_id')}, 'aircraft_id', ${column('aircraft_id')},
    'program_id', ${column('program_id')}, 'directive_id', ${column('directive_id')},
    'priority', ${column('priority')}, 'type', ${column('type')}, 'state', ${column('state')},
    'start_time', ${time('start_time')}, 'end_time', ${time('end_time')},
    'assigned_mechanic_id', ${column('assigned_mechanic_id')}, 'notes', ${column('notes')},
    'version', ${column('version')}, 'required_parts', '[]'::jsonb,
    'started_at', ${time('started_at')}, 'completed_at', ${time('completed_at')},
    'created_at', ${time('created_at')}, 'updated_at', ${time('updated_at')})`;
};

/** An outbox event's payload as `domainEvent` (src/domain/events.ts) builds it. */
export const eventPayloadJson = (event: {
  type: RawBuilder<unknown>;
  orgId: RawBuilder<unknown>;
  aggregateType: RawBuilder<unknown>;
  aggregateId: RawBuilder<unknown>;
  occurredAt: RawBuilder<unknown>;
  data: RawBuilder<unknown>;
}) => sql`jsonb_build_object(
    'version', ${EVENT_PAYLOAD_VERSION}::int, 'event_type', ${event.type}, 'org_id', ${event.orgId},
    'aggregate_type', ${event.aggregateType}, 'aggregate_id', ${event.aggregateId},
    'occurred_at', ${event.occurredAt}, 'data', ${event.data})`;
