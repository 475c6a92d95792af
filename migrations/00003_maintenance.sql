-- AMSS schema, part 3: fleet, maintenance programs and tasks, parts, reservations, compliance.

-- +goose Up
CREATE TABLE aircraft (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  tail_number text NOT NULL,
  model text NOT NULL,
  last_maintenance timestamptz,
  next_due timestamptz,
  status aircraft_status NOT NULL DEFAULT 'operational',
  capacity_slots integer NOT NULL DEFAULT 1,
  flight_hours_total numeric(12, 2) NOT NULL DEFAULT 0,
  cycles_total integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT aircraft_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT aircraft_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT aircraft_tail_number_not_blank CHECK (btrim(tail_number) <> ''),
  CONSTRAINT aircraft_model_not_blank CHECK (btrim(model) <> ''),
  CONSTRAINT aircraft_capacity_slots_check CHECK (capacity_slots > 0),
  CONSTRAINT aircraft_flight_hours_total_check CHECK (flight_hours_total >= 0),
  CONSTRAINT aircraft_cycles_total_check CHECK (cycles_total >= 0),
  CONSTRAINT aircraft_next_due_after_last_maintenance
    CHECK (next_due IS NULL OR last_maintenance IS NULL OR next_due > last_maintenance)
);
CREATE UNIQUE INDEX aircraft_org_id_tail_number_live_key ON aircraft (org_id, tail_number) WHERE deleted_at IS NULL;
CREATE INDEX aircraft_org_id_status_idx ON aircraft (org_id, status);
CREATE INDEX aircraft_org_id_deleted_at_idx ON aircraft (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE TRIGGER aircraft_touch_updated_at BEFORE UPDATE ON aircraft
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE maintenance_programs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  -- null for a template program that is not bound to one aircraft
  aircraft_id uuid,
  name text NOT NULL,
  interval_type program_interval_type NOT NULL,
  -- days for calendar programs, hours for flight_hours, cycles for cycles
  interval_value integer NOT NULL,
  last_performed timestamptz,
  -- the aircraft's counters when the program was last performed (flight_hours and cycles programs)
  last_performed_flight_hours numeric(12, 2),
  last_performed_cycles integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT maintenance_programs_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT maintenance_programs_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT maintenance_programs_aircraft_fkey FOREIGN KEY (org_id, aircraft_id) REFERENCES aircraft (org_id, id),
  CONSTRAINT maintenance_programs_name_not_blank CHECK (btrim(name) <> ''),
  CONSTRAINT maintenance_programs_interval_value_check CHECK (interval_value > 0),
  CONSTRAINT maintenance_programs_last_performed_flight_hours_check CHECK (last_performed_flight_hours >= 0),
  CONSTRAINT maintenance_programs_last_performed_cycles_check CHECK (last_performed_cycles >= 0)
);
CREATE INDEX maintenance_programs_org_id_aircraft_id_idx ON maintenance_programs (org_id, aircraft_id);
CREATE INDEX maintenance_programs_org_id_deleted_at_idx ON maintenance_programs (org_id, deleted_at)
  WHERE deleted_at IS NOT NULL;
CREATE TRIGGER maintenance_programs_touch_updated_at BEFORE UPDATE ON maintenance_programs
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE maintenance_tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  aircraft_id uuid NOT NULL,
  program_id uuid,
  type task_type NOT NULL,
  state task_state NOT NULL DEFAULT 'scheduled',
  start_time timestamptz NOT NULL,
  end_time timestamptz NOT NULL,
  assigned_mechanic_id uuid,
  notes text,
  -- bumped by the application on every change; used for optimistic locking and event dedupe keys
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  -- The capacity window: only live scheduled/in-progress tasks hold one, so cancelled, completed
  -- and deleted tasks never conflict. The enum literals are constants folded at parse time, so the
  -- expression is immutable as a stored generated column requires.
  active_window tstzrange GENERATED ALWAYS AS (
    CASE WHEN state IN ('scheduled','in_progress') AND deleted_at IS NULL
      THEN tstzrange(start_time, end_time, '[)') ELSE NULL END
  ) STORED,
  CONSTRAINT maintenance_tasks_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT maintenance_tasks_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT maintenance_tasks_aircraft_fkey FOREIGN KEY (org_id, aircraft_id) REFERENCES aircraft (org_id, id),
  CONSTRAINT maintenance_tasks_program_fkey FOREIGN KEY (org_id, program_id)
    REFERENCES maintenance_programs (org_id, id),
  CONSTRAINT maintenance_tasks_assigned_mechanic_fkey FOREIGN KEY (org_id, assigned_mechanic_id)
    REFERENCES users (org_id, id),
  CONSTRAINT maintenance_tasks_end_after_start CHECK (end_time > start_time),
  CONSTRAINT maintenance_tasks_version_check CHECK (version > 0),
  CONSTRAINT maintenance_tasks_no_overlap EXCLUDE USING GIST (org_id WITH =, aircraft_id WITH =, active_window WITH &&)
);
CREATE INDEX maintenance_tasks_org_id_aircraft_id_start_time_idx ON maintenance_tasks (org_id, aircraft_id, start_time);
CREATE INDEX maintenance_tasks_org_id_state_start_time_idx ON maintenance_tasks (org_id, state, start_time);
CREATE INDEX maintenance_tasks_org_id_assigned_mechanic_id_idx ON maintenance_tasks (org_id, assigned_mechanic_id);
CREATE INDEX maintenance_tasks_org_id_program_id_idx ON maintenance_tasks (org_id, program_id);
CREATE INDEX maintenance_tasks_org_id_deleted_at_idx ON maintenance_tasks (org_id, deleted_at)
  WHERE deleted_at IS NOT NULL;
CREATE TRIGGER maintenance_tasks_touch_updated_at BEFORE UPDATE ON maintenance_tasks
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE part_definitions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  name text NOT NULL,
  category text NOT NULL,
  min_stock_level integer,
  reorder_point integer,
  lead_time_days integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT part_definitions_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT part_definitions_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT part_definitions_name_not_blank CHECK (btrim(name) <> ''),
  CONSTRAINT part_definitions_category_not_blank CHECK (btrim(category) <> ''),
  CONSTRAINT part_definitions_min_stock_level_check CHECK (min_stock_level >= 0),
  CONSTRAINT part_definitions_reorder_point_check CHECK (reorder_point >= 0),
  CONSTRAINT part_definitions_lead_time_days_check CHECK (lead_time_days >= 0)
);
CREATE UNIQUE INDEX part_definitions_org_id_name_live_key ON part_definitions (org_id, name) WHERE deleted_at IS NULL;
CREATE INDEX part_definitions_org_id_deleted_at_idx ON part_definitions (org_id, deleted_at)
  WHERE deleted_at IS NOT NULL;
CREATE TRIGGER part_definitions_touch_updated_at BEFORE UPDATE ON part_definitions
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE part_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  part_definition_id uuid NOT NULL,
  serial_number text NOT NULL,
  status part_item_status NOT NULL DEFAULT 'in_stock',
  expiry_date timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT part_items_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT part_items_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT part_items_part_definition_fkey FOREIGN KEY (org_id, part_definition_id)
    REFERENCES part_definitions (org_id, id),
  CONSTRAINT part_items_serial_number_not_blank CHECK (btrim(serial_number) <> '')
);
CREATE UNIQUE INDEX part_items_org_id_serial_number_live_key ON part_items (org_id, serial_number)
  WHERE deleted_at IS NULL;
CREATE INDEX part_items_org_id_status_idx ON part_items (org_id, status);
CREATE INDEX part_items_org_id_part_definition_id_idx ON part_items (org_id, part_definition_id);
CREATE INDEX part_items_org_id_expiry_date_idx ON part_items (org_id, expiry_date);
CREATE INDEX part_items_org_id_deleted_at_idx ON part_items (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE TRIGGER part_items_touch_updated_at BEFORE UPDATE ON part_items
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

-- A CHECK cannot use now(): expiry must lie in the future when a row is inserted and whenever an
-- update changes it. An update that leaves an (already passed) expiry alone is allowed, so an
-- expired item can still be marked used or disposed.
-- +goose StatementBegin
CREATE FUNCTION part_items_check_expiry() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.expiry_date IS NOT NULL AND NEW.expiry_date <= now() THEN
    IF TG_OP = 'INSERT' THEN
      RAISE EXCEPTION 'part item expiry_date must be in the future'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'part_items_expiry_in_future',
              TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA, COLUMN = 'expiry_date';
    ELSIF NEW.expiry_date IS DISTINCT FROM OLD.expiry_date THEN
      RAISE EXCEPTION 'part item expiry_date must be in the future'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'part_items_expiry_in_future',
              TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA, COLUMN = 'expiry_date';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER part_items_expiry_in_future BEFORE INSERT OR UPDATE ON part_items
  FOR EACH ROW EXECUTE FUNCTION part_items_check_expiry();

CREATE TABLE part_reservations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  task_id uuid NOT NULL,
  part_item_id uuid NOT NULL,
  state reservation_state NOT NULL DEFAULT 'reserved',
  quantity integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT part_reservations_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT part_reservations_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT part_reservations_task_fkey FOREIGN KEY (org_id, task_id) REFERENCES maintenance_tasks (org_id, id),
  CONSTRAINT part_reservations_part_item_fkey FOREIGN KEY (org_id, part_item_id) REFERENCES part_items (org_id, id),
  CONSTRAINT part_reservations_quantity_check CHECK (quantity > 0)
);
-- At most one open reservation per part item, even if the Redis lock fails.
CREATE UNIQUE INDEX part_reservations_one_active_per_item ON part_reservations (org_id, part_item_id)
  WHERE state = 'reserved';
-- A serialized item is consumed at most once.
CREATE UNIQUE INDEX part_reservations_one_use_per_item ON part_reservations (org_id, part_item_id)
  WHERE state = 'used';
CREATE INDEX part_reservations_org_id_task_id_idx ON part_reservations (org_id, task_id);
CREATE TRIGGER part_reservations_touch_updated_at BEFORE UPDATE ON part_reservations
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE compliance_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  task_id uuid NOT NULL,
  description text NOT NULL,
  result compliance_result NOT NULL DEFAULT 'pending',
  sign_off_user_id uuid,
  sign_off_time timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT compliance_items_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT compliance_items_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT compliance_items_task_fkey FOREIGN KEY (org_id, task_id) REFERENCES maintenance_tasks (org_id, id),
  CONSTRAINT compliance_items_sign_off_user_fkey FOREIGN KEY (org_id, sign_off_user_id) REFERENCES users (org_id, id),
  CONSTRAINT compliance_items_description_not_blank CHECK (btrim(description) <> ''),
  CONSTRAINT compliance_items_sign_off_complete CHECK ((sign_off_user_id IS NULL) = (sign_off_time IS NULL)),
  -- A signed-off item is frozen; frozen as pending, its task could never complete.
  CONSTRAINT compliance_items_signed_off_not_pending CHECK (sign_off_time IS NULL OR result <> 'pending')
);
CREATE INDEX compliance_items_org_id_task_id_idx ON compliance_items (org_id, task_id);
CREATE INDEX compliance_items_org_id_deleted_at_idx ON compliance_items (org_id, deleted_at)
  WHERE deleted_at IS NOT NULL;
CREATE TRIGGER compliance_items_touch_updated_at BEFORE UPDATE ON compliance_items
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

-- A signed-off item is frozen: every later UPDATE (soft delete included) and DELETE is rejected.
-- The sign-off itself is an ordinary update of an unsigned row and passes.
-- +goose StatementBegin
CREATE FUNCTION compliance_items_guard_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.sign_off_time IS NOT NULL THEN
    RAISE EXCEPTION 'compliance item % is signed off and immutable', OLD.id
      USING ERRCODE = 'AM001', HINT = 'ALREADY_SIGNED_OFF',
            CONSTRAINT = 'compliance_items_immutable_after_sign_off',
            TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
-- Named so it sorts (and fires) before compliance_items_touch_updated_at.
CREATE TRIGGER compliance_items_immutable_after_sign_off BEFORE UPDATE OR DELETE ON compliance_items
  FOR EACH ROW EXECUTE FUNCTION compliance_items_guard_immutable();

-- +goose Down
DROP TRIGGER compliance_items_immutable_after_sign_off ON compliance_items;
DROP TABLE compliance_items;
DROP FUNCTION compliance_items_guard_immutable();
DROP TABLE part_reservations;
DROP TRIGGER part_items_expiry_in_future ON part_items;
DROP TABLE part_items;
DROP FUNCTION part_items_check_expiry();
DROP TABLE part_definitions;
DROP TABLE maintenance_tasks;
DROP TABLE maintenance_programs;
DROP TABLE aircraft;
