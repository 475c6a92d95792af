-- AMSS schema, part 1: extensions, enum types and the shared updated_at trigger function.
-- Every file runs unchanged on PostgreSQL 15+ and on PGlite (which must be constructed with the
-- btree_gist, citext and pgcrypto contrib extensions loaded).

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TYPE user_role AS ENUM ('admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor');
CREATE TYPE aircraft_status AS ENUM ('operational', 'maintenance', 'grounded');
CREATE TYPE task_type AS ENUM ('inspection', 'repair', 'overhaul');
CREATE TYPE task_state AS ENUM ('scheduled', 'in_progress', 'completed', 'cancelled');
CREATE TYPE part_item_status AS ENUM ('in_stock', 'used', 'disposed');
CREATE TYPE reservation_state AS ENUM ('reserved', 'used', 'released');
CREATE TYPE program_interval_type AS ENUM ('flight_hours', 'cycles', 'calendar');
CREATE TYPE compliance_result AS ENUM ('pass', 'fail', 'pending');
CREATE TYPE audit_action AS ENUM ('create', 'update', 'delete', 'state_change');
CREATE TYPE delivery_status AS ENUM ('pending', 'delivered', 'failed');
CREATE TYPE import_type AS ENUM ('aircraft', 'parts', 'programs');
CREATE TYPE import_status AS ENUM ('pending', 'validating', 'applying', 'completed', 'failed');
CREATE TYPE import_row_status AS ENUM ('pending', 'valid', 'invalid', 'applied');
CREATE TYPE outbox_status AS ENUM ('pending', 'processed', 'failed');

-- Sets updated_at to now() on every UPDATE that does not set it itself, so no code path can
-- forget it while a caller with its own clock (tests with a fake clock) still wins.
-- +goose StatementBegin
CREATE FUNCTION amss_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION amss_touch_updated_at();

DROP TYPE outbox_status;
DROP TYPE import_row_status;
DROP TYPE import_status;
DROP TYPE import_type;
DROP TYPE delivery_status;
DROP TYPE audit_action;
DROP TYPE compliance_result;
DROP TYPE program_interval_type;
DROP TYPE reservation_state;
DROP TYPE part_item_status;
DROP TYPE task_state;
DROP TYPE task_type;
DROP TYPE aircraft_status;
DROP TYPE user_role;

DROP EXTENSION citext;
DROP EXTENSION btree_gist;
DROP EXTENSION pgcrypto;
