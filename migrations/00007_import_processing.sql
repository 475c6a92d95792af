-- AMSS schema, part 7: what the import processor needs to run imports safely on several workers
-- and to resume them after a crash.

-- +goose Up
-- The lease of the worker processing an import: set when it claims the import (SKIP LOCKED), renewed
-- with every batch, cleared when it finishes or hands the import back. A lease that has run out
-- (a crashed worker) lets another worker claim the import and resume it from its rows' states.
ALTER TABLE imports
  ADD COLUMN locked_by text,
  ADD COLUMN locked_until timestamptz,
  -- How many times a worker claimed the import; one that keeps crashing workers is failed after a few.
  ADD COLUMN attempt_count integer NOT NULL DEFAULT 0,
  ADD COLUMN started_at timestamptz,
  ADD COLUMN finished_at timestamptz,
  ADD CONSTRAINT imports_lock_pairing CHECK ((locked_by IS NULL) = (locked_until IS NULL)),
  ADD CONSTRAINT imports_attempt_count_check CHECK (attempt_count >= 0);

-- The processor's sweep: unfinished imports, oldest first.
CREATE INDEX imports_unfinished_idx ON imports (created_at)
  WHERE status IN ('pending', 'validating', 'applying');

-- What applying a row did to the entity it names: created it, changed it, or found it already as
-- the row says (a re-applied row is a no-op). Set when the row becomes applied.
ALTER TABLE import_rows
  ADD COLUMN outcome text,
  ADD CONSTRAINT import_rows_outcome_check
    CHECK (outcome IS NULL OR outcome IN ('created', 'updated', 'unchanged'));

-- The apply step's next batch: valid rows not applied yet, by row number, without reading the others.
CREATE INDEX import_rows_valid_idx ON import_rows (org_id, import_id, row_number) WHERE status = 'valid';

-- +goose Down
DROP INDEX import_rows_valid_idx;
ALTER TABLE import_rows DROP CONSTRAINT import_rows_outcome_check, DROP COLUMN outcome;
DROP INDEX imports_unfinished_idx;
ALTER TABLE imports
  DROP CONSTRAINT imports_attempt_count_check,
  DROP CONSTRAINT imports_lock_pairing,
  DROP COLUMN finished_at,
  DROP COLUMN started_at,
  DROP COLUMN attempt_count,
  DROP COLUMN locked_until,
  DROP COLUMN locked_by;
