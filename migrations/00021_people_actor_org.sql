-- AMSS schema, part 21: who verified a certification, or logged recency by hand, may be a system
-- admin of another organization.
--
-- 00015 tied `employee_certifications.verified_by` and `recency_entries.created_by` to a user of the
-- row's own organization, so a system admin acting in a tenant with `?org_id=` could not verify a
-- certification there, and a manual recency entry they logged lost its author. Like the audit log's
-- actor and `aircraft_usage.created_by`, the actor is now named with their own organization:
-- (verified_by_org_id, verified_by) and (created_by_org_id, created_by) → users (org_id, id), both
-- set or both null. Existing rows were all written by a user of the row's organization.

-- +goose Up
ALTER TABLE employee_certifications ADD COLUMN verified_by_org_id uuid;
ALTER TABLE recency_entries ADD COLUMN created_by_org_id uuid;

-- The updated_at triggers stand aside for the backfill, so the rows keep their times.
ALTER TABLE employee_certifications DISABLE TRIGGER employee_certifications_touch_updated_at;
UPDATE employee_certifications SET verified_by_org_id = org_id WHERE verified_by IS NOT NULL;
ALTER TABLE employee_certifications ENABLE TRIGGER employee_certifications_touch_updated_at;
ALTER TABLE recency_entries DISABLE TRIGGER recency_entries_touch_updated_at;
UPDATE recency_entries SET created_by_org_id = org_id WHERE created_by IS NOT NULL;
ALTER TABLE recency_entries ENABLE TRIGGER recency_entries_touch_updated_at;

-- The foreign keys keep their names: they still say "the verifier / the author is a user".
ALTER TABLE employee_certifications
  DROP CONSTRAINT employee_certifications_verified_by_fkey,
  ADD CONSTRAINT employee_certifications_verified_by_fkey FOREIGN KEY (verified_by_org_id, verified_by)
    REFERENCES users (org_id, id),
  ADD CONSTRAINT employee_certifications_verified_by_pairing
    CHECK ((verified_by IS NULL) = (verified_by_org_id IS NULL));
ALTER TABLE recency_entries
  DROP CONSTRAINT recency_entries_created_by_fkey,
  ADD CONSTRAINT recency_entries_created_by_fkey FOREIGN KEY (created_by_org_id, created_by)
    REFERENCES users (org_id, id),
  ADD CONSTRAINT recency_entries_created_by_pairing CHECK ((created_by IS NULL) = (created_by_org_id IS NULL));

-- +goose Down
-- The old keys cannot name an actor of another organization: such a recency entry loses its author
-- (as it did before), such a certification its verification (which could not be made before). The
-- audit log still names who did it.
ALTER TABLE employee_certifications
  DROP CONSTRAINT employee_certifications_verified_by_pairing,
  DROP CONSTRAINT employee_certifications_verified_by_fkey;
ALTER TABLE recency_entries
  DROP CONSTRAINT recency_entries_created_by_pairing,
  DROP CONSTRAINT recency_entries_created_by_fkey;

ALTER TABLE employee_certifications DISABLE TRIGGER employee_certifications_touch_updated_at;
UPDATE employee_certifications SET verified_by = NULL, verified_at = NULL
 WHERE verified_by_org_id IS DISTINCT FROM org_id AND verified_by IS NOT NULL;
ALTER TABLE employee_certifications ENABLE TRIGGER employee_certifications_touch_updated_at;
ALTER TABLE recency_entries DISABLE TRIGGER recency_entries_touch_updated_at;
UPDATE recency_entries SET created_by = NULL
 WHERE created_by_org_id IS DISTINCT FROM org_id AND created_by IS NOT NULL;
ALTER TABLE recency_entries ENABLE TRIGGER recency_entries_touch_updated_at;

ALTER TABLE employee_certifications
  ADD CONSTRAINT employee_certifications_verified_by_fkey FOREIGN KEY (org_id, verified_by)
    REFERENCES users (org_id, id),
  DROP COLUMN verified_by_org_id;
ALTER TABLE recency_entries
  ADD CONSTRAINT recency_entries_created_by_fkey FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id),
  DROP COLUMN created_by_org_id;
