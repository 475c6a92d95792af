-- AMSS schema, part 5: how an aircraft's status was last set, and the flights that feed its usage counters.

-- +goose Up
-- A status set by hand (`manual`) stays until someone changes it; one the grounding workflow set
-- (`automatic`) is lifted by the workflow again once no task needs the aircraft on the ground.
CREATE TYPE aircraft_status_source AS ENUM ('manual', 'automatic');
ALTER TABLE aircraft ADD COLUMN status_source aircraft_status_source NOT NULL DEFAULT 'manual';

-- One row per flight reported by an external system (source_ref is the flight's reference there),
-- so a re-sent flight is recognised and counted once.
CREATE TABLE aircraft_usage (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  aircraft_id uuid NOT NULL,
  source_ref text NOT NULL,
  flight_hours numeric(8, 2) NOT NULL,
  cycles integer NOT NULL,
  recorded_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- who reported it: (created_by_org_id, created_by) like the audit log's actor, null for a job
  created_by_org_id uuid,
  created_by uuid,
  CONSTRAINT aircraft_usage_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT aircraft_usage_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT aircraft_usage_aircraft_fkey FOREIGN KEY (org_id, aircraft_id) REFERENCES aircraft (org_id, id),
  CONSTRAINT aircraft_usage_created_by_fkey FOREIGN KEY (created_by_org_id, created_by)
    REFERENCES users (org_id, id),
  CONSTRAINT aircraft_usage_source_ref_key UNIQUE (org_id, aircraft_id, source_ref),
  CONSTRAINT aircraft_usage_source_ref_not_blank CHECK (btrim(source_ref) <> ''),
  CONSTRAINT aircraft_usage_flight_hours_check CHECK (flight_hours >= 0),
  CONSTRAINT aircraft_usage_cycles_check CHECK (cycles >= 0),
  CONSTRAINT aircraft_usage_created_by_pairing CHECK ((created_by IS NULL) = (created_by_org_id IS NULL))
);
CREATE INDEX aircraft_usage_org_id_aircraft_id_recorded_at_idx ON aircraft_usage (org_id, aircraft_id, recorded_at);

-- +goose Down
DROP TABLE aircraft_usage;
ALTER TABLE aircraft DROP COLUMN status_source;
DROP TYPE aircraft_status_source;
