-- AMSS schema, part 26: the index of the dashboard's completion figures (GET /dashboard/metrics).
--
-- The on-time completion rate, the average turnaround and today's worked hours look at the tasks
-- completed in the last 30 days (or today). Nothing indexed completed_at, so a fleet of a million
-- tasks — nearly all of them completed — was read whole for a few thousand. Partial (completed,
-- live tasks only) and covering the columns those figures read, so the read is index-only.
-- bench/README.md ("Dashboard metrics") has the figures.

-- +goose Up
CREATE INDEX maintenance_tasks_org_id_completed_at_idx ON maintenance_tasks (org_id, completed_at)
  INCLUDE (state, started_at, start_time, end_time, assigned_mechanic_id)
  WHERE completed_at IS NOT NULL AND deleted_at IS NULL;

-- +goose Down
DROP INDEX maintenance_tasks_org_id_completed_at_idx;
