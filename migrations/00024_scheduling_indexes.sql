-- AMSS schema, part 24: the indexes of the conflicts view (GET /scheduling/conflicts).
--
-- Every statement of the view starts from the live scheduled or in-progress tasks of one
-- organization whose window meets a time range (`active_window && tstzrange(from, to)`; the
-- parts statement: every active task starting before the range ends). The exclusion constraints'
-- GiST indexes lead with the aircraft or the mechanic, so for a fleet-wide range the planner had
-- to read every active task of the organization and filter; this index reads only the range's.
-- Partial: only live active tasks carry a window, a few percent of the table. bench/README.md
-- ("Scheduling conflicts") has the plans before and after.

-- +goose Up
CREATE INDEX maintenance_tasks_org_id_active_window_idx ON maintenance_tasks
  USING gist (org_id, active_window) WHERE active_window IS NOT NULL;

-- +goose Down
DROP INDEX maintenance_tasks_org_id_active_window_idx;
