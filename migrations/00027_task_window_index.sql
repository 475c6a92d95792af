-- AMSS schema, part 27: the index of the schedule timeline (GET /scheduling/timeline).
--
-- The timeline reads every live task whose window meets a range of days or weeks, whatever its
-- state. The btree indexes on start_time cannot bound "ends after the range opens" (a task has no
-- longest duration), so such a read walked every task that started before the range — years of
-- history in a real organization. A GiST index on the window answers the overlap directly.

-- +goose Up
CREATE INDEX maintenance_tasks_window_idx ON maintenance_tasks
  USING GIST (org_id, tstzrange(start_time, end_time, '[)'))
  WHERE deleted_at IS NULL;

-- +goose Down
DROP INDEX maintenance_tasks_window_idx;
