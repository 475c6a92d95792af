-- AMSS schema, part 8: what a maintenance program's generated tasks look like and how early they
-- are generated; an index for the retention cleaner.

-- +goose Up
-- lead_value: how early before the due point a task is generated, in the program's own units
-- (days for calendar, hours for flight_hours, cycles for cycles); null means a tenth of the
-- interval (at least 1). task_type and task_duration_minutes shape the generated task.
ALTER TABLE maintenance_programs
  ADD COLUMN lead_value integer,
  ADD COLUMN task_type task_type NOT NULL DEFAULT 'inspection',
  ADD COLUMN task_duration_minutes integer NOT NULL DEFAULT 480,
  ADD CONSTRAINT maintenance_programs_lead_value_check CHECK (lead_value BETWEEN 0 AND 1000000),
  ADD CONSTRAINT maintenance_programs_task_duration_minutes_check
    CHECK (task_duration_minutes BETWEEN 1 AND 43200);

-- The retention cleaner finds finished deliveries past their org's retention by this.
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (org_id, (coalesce(delivered_at, updated_at)))
  WHERE status IN ('delivered', 'failed');

-- +goose Down
DROP INDEX webhook_deliveries_finished_idx;
ALTER TABLE maintenance_programs
  DROP CONSTRAINT maintenance_programs_task_duration_minutes_check,
  DROP CONSTRAINT maintenance_programs_lead_value_check,
  DROP COLUMN task_duration_minutes,
  DROP COLUMN task_type,
  DROP COLUMN lead_value;
