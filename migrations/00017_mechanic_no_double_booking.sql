-- AMSS schema, part 17: a mechanic is never booked on two overlapping active tasks.
--
-- The same guard as maintenance_tasks_no_overlap, keyed on the assigned mechanic instead of the
-- aircraft: two live scheduled or in-progress tasks of one mechanic never overlap. A task without
-- a mechanic never conflicts (NULL is equal to nothing), nor does a cancelled, completed or
-- deleted one (its active_window is NULL). An existing double booking makes this migration fail;
-- docs/OPERATIONS.md gives the query that finds them.

-- +goose Up
ALTER TABLE maintenance_tasks ADD CONSTRAINT maintenance_tasks_mechanic_no_overlap
  EXCLUDE USING GIST (org_id WITH =, assigned_mechanic_id WITH =, active_window WITH &&);

-- +goose Down
ALTER TABLE maintenance_tasks DROP CONSTRAINT maintenance_tasks_mechanic_no_overlap;
