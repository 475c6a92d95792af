/**
 * The SQL of `POST /maintenance-tasks` and `GET /maintenance-tasks/{id}` as AMSS runs it (TaskService.create,
 * PgTaskRepository.findDetail), with payloads of the same size, written once for both floors of `bench:tasks`:
 * pgbench runs it as a script (`:name` are pgbench variables), the bare Fastify + pg route runs it with the same
 * names bound as parameters (`positional`).
 */

/** A create's statements inside its transaction, in order: lock the aircraft, insert the task, audit + outbox. */
export const CREATE_STATEMENTS = [
  `SELECT id, status, deleted_at FROM aircraft WHERE org_id = :org::uuid AND id = :aircraft_id::uuid FOR NO KEY UPDATE`,
  `INSERT INTO maintenance_tasks (org_id, aircraft_id, program_id, type, start_time, end_time, assigned_mechanic_id, notes)
   VALUES (:org::uuid, :aircraft_id::uuid, NULL, 'inspection', :start_time::timestamptz, :end_time::timestamptz, NULL, NULL)
   RETURNING *, id AS task_id`,
  `WITH audit AS (
   INSERT INTO audit_logs (org_id, actor_org_id, user_id, actor, entity_type, entity_id, action, entity_version, request_id,
                           ip_address, user_agent, details)
   VALUES (:org::uuid, :org::uuid, :user::uuid, 'user' || chr(58) || 'scheduler', 'maintenance_task', :task_id::uuid, 'create', 1,
           'bench', '127.0.0.1', 'bench',
           '{"after": {"id": "00000000-0000-0000-0000-000000000000", "org_id": "00000000-0000-0000-0000-000000000000", "aircraft_id": "00000000-0000-0000-0000-000000000000", "program_id": null, "directive_id": null, "priority": "routine", "type": "inspection", "state": "scheduled", "start_time": "2040-01-01T00:00:00.000Z", "end_time": "2040-01-01T01:00:00.000Z", "assigned_mechanic_id": null, "notes": null, "version": 1, "required_parts": [], "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z"}}')
   )
   INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
   VALUES (:org::uuid, 'maintenance_task', :task_id::uuid, 'task_created',
           '{"version": 1, "event_type": "task_created", "org_id": "00000000-0000-0000-0000-000000000000", "aggregate_type": "maintenance_task", "aggregate_id": "00000000-0000-0000-0000-000000000000", "occurred_at": "2026-01-01T00:00:00.000Z", "data": {"id": "00000000-0000-0000-0000-000000000000", "aircraft_id": "00000000-0000-0000-0000-000000000000", "type": "inspection", "state": "scheduled", "priority": "routine", "start_time": "2040-01-01T00:00:00.000Z", "end_time": "2040-01-01T01:00:00.000Z", "version": 1}}',
           'task_created:' || :org::text || ':' || :task_id::text)
   ON CONFLICT (org_id, dedupe_key) DO NOTHING`,
];

/** A task with its required parts, reservations, compliance items and dependencies in one query. */
export const DETAIL_STATEMENT = `
SELECT t.id, t.org_id, t.aircraft_id, t.program_id, t.directive_id, t.priority, t.type, t.state, t.start_time, t.end_time,
       t.assigned_mechanic_id, t.notes, t.version, t.started_at, t.completed_at, t.created_at, t.updated_at,
       (SELECT coalesce(json_agg(agg), '[]') FROM (SELECT r.part_definition_id, r.quantity FROM task_part_requirements r
          WHERE r.org_id = t.org_id AND r.task_id = t.id ORDER BY r.part_definition_id) AS agg) AS required_parts,
       (SELECT coalesce(json_agg(agg), '[]') FROM (SELECT r.* FROM part_reservations r
          WHERE r.org_id = t.org_id AND r.task_id = t.id ORDER BY r.created_at, r.id) AS agg) AS reservations,
       (SELECT coalesce(json_agg(agg), '[]') FROM (SELECT c.id, c.org_id, c.task_id, c.description, c.result,
          c.sign_off_user_id, c.sign_off_time, c.requires_inspection, c.sign_off_meaning, c.inspected_by, c.inspected_at,
          c.inspection_meaning, c.created_at, c.updated_at FROM compliance_items c
          WHERE c.org_id = t.org_id AND c.task_id = t.id AND c.deleted_at IS NULL ORDER BY c.created_at, c.id) AS agg) AS compliance,
       (SELECT coalesce(json_agg(agg), '[]') FROM (SELECT d.id, d.type, d.lag_minutes, d.predecessor_id, d.successor_id
          FROM task_dependencies d WHERE d.org_id = t.org_id AND (d.predecessor_id = t.id OR d.successor_id = t.id)
          ORDER BY d.created_at, d.id) AS agg) AS dependencies
  FROM maintenance_tasks t WHERE t.org_id = :org::uuid AND t.id = :task_id::uuid AND t.deleted_at IS NULL`;

/** `statement` with its `:name` variables as `$1…` and the names in parameter order (`::type` casts stay). */
export function positional(statement: string): { text: string; names: string[] } {
  const names: string[] = [];
  const text = statement.replace(/(?<!:):([a-z_]+)/g, (_, name: string) => {
    const index = names.indexOf(name);
    if (index >= 0) return `$${index + 1}`;
    names.push(name);
    return `$${names.length}`;
  });
  return { text, names };
}

/** A statement on one line, as pgbench reads a script. */
export const oneLine = (statement: string): string => statement.replace(/\s*\n\s*/g, ' ').trim();
