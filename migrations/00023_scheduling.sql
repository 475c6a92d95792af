-- AMSS schema, part 23: the scheduling engine — task priority, dependencies between tasks, the
-- history of every move, and the one-round-trip writer of a cascade's moves.
--
-- The rules themselves are pure functions in src/domain/scheduling.ts; the database keeps what it
-- can keep alone: one dependency per pair of tasks, never on itself, always within one
-- organization; history rows that never change.

-- +goose Up
CREATE TYPE task_priority AS ENUM ('routine', 'urgent', 'aog', 'critical');
CREATE TYPE task_dependency_type AS ENUM ('finish_to_start', 'start_to_start', 'finish_to_finish');

ALTER TABLE maintenance_tasks ADD COLUMN priority task_priority NOT NULL DEFAULT 'routine';
-- Lists filter and sort by priority; the control centre asks for the AOG and critical ones.
CREATE INDEX maintenance_tasks_org_id_priority_start_time_idx ON maintenance_tasks (org_id, priority, start_time)
  WHERE deleted_at IS NULL;
-- The priority of the tasks a program generates (set on create, update and CSV import of programs).
ALTER TABLE maintenance_programs ADD COLUMN task_priority task_priority NOT NULL DEFAULT 'routine';

-- successor depends on predecessor. The rows stay when either task is cancelled or soft-deleted
-- (the dependent's view says so) and go with a task the retention cleaner purges.
CREATE TABLE task_dependencies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  predecessor_id uuid NOT NULL,
  successor_id uuid NOT NULL,
  type task_dependency_type NOT NULL DEFAULT 'finish_to_start',
  -- minutes that must pass after the predecessor's finish (or start, for start_to_start)
  lag_minutes integer NOT NULL DEFAULT 0,
  -- who linked them: (created_by_org_id, created_by) like the audit log's actor, null for a job
  created_by uuid,
  created_by_org_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT task_dependencies_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT task_dependencies_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT task_dependencies_predecessor_fkey FOREIGN KEY (org_id, predecessor_id)
    REFERENCES maintenance_tasks (org_id, id) ON DELETE CASCADE,
  CONSTRAINT task_dependencies_successor_fkey FOREIGN KEY (org_id, successor_id)
    REFERENCES maintenance_tasks (org_id, id) ON DELETE CASCADE,
  CONSTRAINT task_dependencies_created_by_fkey FOREIGN KEY (created_by_org_id, created_by)
    REFERENCES users (org_id, id),
  CONSTRAINT task_dependencies_created_by_pairing CHECK ((created_by IS NULL) = (created_by_org_id IS NULL)),
  -- one dependency per ordered pair, whatever its type
  CONSTRAINT task_dependencies_org_id_predecessor_id_successor_id_key UNIQUE (org_id, predecessor_id, successor_id),
  CONSTRAINT task_dependencies_not_on_itself CHECK (predecessor_id <> successor_id),
  CONSTRAINT task_dependencies_lag_minutes_check CHECK (lag_minutes BETWEEN 0 AND 525600)
);
CREATE INDEX task_dependencies_org_id_successor_id_idx ON task_dependencies (org_id, successor_id);

-- Every move of a task's window: who, when, why, from where to where, and — for a move a cascade
-- made — the task whose move forced it. One reschedule's rows share its change_id. The task
-- reference has no FK on purpose: like the audit log's entity ids, it must outlive the task.
CREATE TABLE task_schedule_changes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  task_id uuid NOT NULL,
  -- the reschedule (or edit) this move belongs to; every move of one cascade shares it
  change_id uuid NOT NULL,
  old_start_time timestamptz NOT NULL,
  old_end_time timestamptz NOT NULL,
  new_start_time timestamptz NOT NULL,
  new_end_time timestamptz NOT NULL,
  reason text,
  -- the task whose move forced this one; null for the task asked to move
  cascaded_from_task_id uuid,
  -- who moved it: a user (changed_by_org_id, changed_by), or a job named in actor
  changed_by uuid,
  changed_by_org_id uuid,
  actor text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT task_schedule_changes_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT task_schedule_changes_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT task_schedule_changes_task_fkey FOREIGN KEY (org_id, task_id)
    REFERENCES maintenance_tasks (org_id, id) ON DELETE CASCADE,
  CONSTRAINT task_schedule_changes_changed_by_fkey FOREIGN KEY (changed_by_org_id, changed_by)
    REFERENCES users (org_id, id),
  CONSTRAINT task_schedule_changes_changed_by_pairing CHECK ((changed_by IS NULL) = (changed_by_org_id IS NULL)),
  CONSTRAINT task_schedule_changes_old_window_check CHECK (old_end_time > old_start_time),
  CONSTRAINT task_schedule_changes_new_window_check CHECK (new_end_time > new_start_time),
  CONSTRAINT task_schedule_changes_actor_not_blank CHECK (btrim(actor) <> ''),
  CONSTRAINT task_schedule_changes_not_cascaded_from_itself CHECK (cascaded_from_task_id <> task_id)
);
CREATE INDEX task_schedule_changes_org_id_task_id_changed_at_idx
  ON task_schedule_changes (org_id, task_id, changed_at, id);

-- History never changes. A row goes only with its task, when the retention cleaner purges the task
-- (the foreign key's cascade runs after the task's row is gone).
-- +goose StatementBegin
CREATE FUNCTION task_schedule_changes_reject_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (
    SELECT 1 FROM maintenance_tasks t WHERE t.org_id = OLD.org_id AND t.id = OLD.task_id
  ) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'task schedule history is immutable: % is not allowed', TG_OP
    USING ERRCODE = 'AM004', HINT = 'SCHEDULE_HISTORY_IMMUTABLE',
          CONSTRAINT = 'task_schedule_changes_immutable',
          TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER task_schedule_changes_immutable BEFORE UPDATE OR DELETE ON task_schedule_changes
  FOR EACH ROW EXECUTE FUNCTION task_schedule_changes_reject_mutation();
CREATE TRIGGER task_schedule_changes_no_truncate BEFORE TRUNCATE ON task_schedule_changes
  FOR EACH STATEMENT EXECUTE FUNCTION task_schedule_changes_reject_mutation();

-- Writes a cascade's moves in the order given, one row at a time, in one round trip: the exclusion
-- constraints are checked row by row, so the order (src/domain/scheduling.ts applicationOrder)
-- decides whether a chain on one aircraft can move at all. A task no longer live or no longer at
-- its version is skipped; the caller compares the rows returned with the moves it sent.
-- +goose StatementBegin
CREATE FUNCTION amss_move_tasks(p_org_id uuid, p_ids uuid[], p_versions integer[], p_starts timestamptz[],
                                p_ends timestamptz[])
RETURNS SETOF maintenance_tasks
LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
    RETURN QUERY
      UPDATE maintenance_tasks
         SET start_time = p_starts[i], end_time = p_ends[i], version = version + 1
       WHERE org_id = p_org_id AND id = p_ids[i] AND version = p_versions[i] AND deleted_at IS NULL
      RETURNING *;
  END LOOP;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION amss_move_tasks(uuid, uuid[], integer[], timestamptz[], timestamptz[]);
DROP TABLE task_schedule_changes;
DROP FUNCTION task_schedule_changes_reject_mutation();
DROP TABLE task_dependencies;
ALTER TABLE maintenance_programs DROP COLUMN task_priority;
DROP INDEX maintenance_tasks_org_id_priority_start_time_idx;
ALTER TABLE maintenance_tasks DROP COLUMN priority;
DROP TYPE task_dependency_type;
DROP TYPE task_priority;
