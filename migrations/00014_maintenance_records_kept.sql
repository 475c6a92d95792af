-- AMSS schema, part 14: maintenance records are kept.
--
-- A completed task is the record of maintenance performed, and a used part reservation the only
-- record of which aircraft a part was fitted to (the part item says only "used"). The application
-- refuses to delete a completed task (409 TASK_COMPLETED) and the retention cleaner keeps both;
-- these triggers make the database refuse it too, whoever asks: a completed task is never
-- soft-deleted or deleted, a used reservation never deleted.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION maintenance_tasks_guard_completed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state = 'completed' AND (TG_OP = 'DELETE' OR (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)) THEN
    RAISE EXCEPTION 'maintenance task % is completed: it is a maintenance record and is never deleted', OLD.id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'maintenance_tasks_completed_kept',
            TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER maintenance_tasks_completed_kept BEFORE UPDATE OR DELETE ON maintenance_tasks
  FOR EACH ROW EXECUTE FUNCTION maintenance_tasks_guard_completed();

-- +goose StatementBegin
CREATE FUNCTION part_reservations_guard_used() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state = 'used' THEN
    RAISE EXCEPTION 'part reservation % is used: it records where the part was fitted and is never deleted', OLD.id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'part_reservations_used_kept',
            TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  END IF;
  RETURN OLD;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER part_reservations_used_kept BEFORE DELETE ON part_reservations
  FOR EACH ROW EXECUTE FUNCTION part_reservations_guard_used();

-- +goose Down
DROP TRIGGER part_reservations_used_kept ON part_reservations;
DROP FUNCTION part_reservations_guard_used();
DROP TRIGGER maintenance_tasks_completed_kept ON maintenance_tasks;
DROP FUNCTION maintenance_tasks_guard_completed();
