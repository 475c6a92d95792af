-- AMSS schema, part 15: qualified people.
--
-- Reference data (aircraft types, certification types, skill types) is global with org_id null,
-- seeded here; an organization's own certification and skill types carry its org_id. People data
-- (certifications, type ratings, skills, recency) and task skill requirements are tenant-scoped
-- with composite foreign keys like every other tenant table. A type rating's certification must
-- be the same user's: the foreign key (org_id, user_id, certification_id) says so.

-- +goose Up
CREATE TYPE certification_status AS ENUM ('active', 'suspended', 'revoked');

CREATE TABLE aircraft_types (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- ICAO Doc 8643 type designator, e.g. A320, B738
  designator text NOT NULL,
  manufacturer text NOT NULL,
  model text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT aircraft_types_designator_key UNIQUE (designator),
  CONSTRAINT aircraft_types_designator_format CHECK (designator ~ '^[A-Z0-9]{2,4}$'),
  CONSTRAINT aircraft_types_manufacturer_not_blank CHECK (btrim(manufacturer) <> ''),
  CONSTRAINT aircraft_types_model_not_blank CHECK (btrim(model) <> '')
);

INSERT INTO aircraft_types (designator, manufacturer, model) VALUES
  ('A319', 'Airbus', 'A319'),
  ('A320', 'Airbus', 'A320'),
  ('A20N', 'Airbus', 'A320neo'),
  ('A321', 'Airbus', 'A321'),
  ('A21N', 'Airbus', 'A321neo'),
  ('A332', 'Airbus', 'A330-200'),
  ('A333', 'Airbus', 'A330-300'),
  ('A359', 'Airbus', 'A350-900'),
  ('A388', 'Airbus', 'A380-800'),
  ('B737', 'Boeing', '737-700'),
  ('B738', 'Boeing', '737-800'),
  ('B38M', 'Boeing', '737 MAX 8'),
  ('B744', 'Boeing', '747-400'),
  ('B763', 'Boeing', '767-300'),
  ('B77W', 'Boeing', '777-300ER'),
  ('B789', 'Boeing', '787-9'),
  ('E170', 'Embraer', 'E170'),
  ('E190', 'Embraer', 'E190'),
  ('E195', 'Embraer', 'E195'),
  ('AT76', 'ATR', 'ATR 72-600'),
  ('DH8D', 'De Havilland Canada', 'Dash 8-400'),
  ('CRJ9', 'Bombardier', 'CRJ900'),
  ('BCS3', 'Airbus', 'A220-300');

ALTER TABLE aircraft ADD COLUMN aircraft_type_id uuid
  CONSTRAINT aircraft_aircraft_type_fkey REFERENCES aircraft_types (id);
CREATE INDEX aircraft_org_id_aircraft_type_id_idx ON aircraft (org_id, aircraft_type_id);

-- When work actually began and ended: the task's worked time feeds the mechanic's recency.
ALTER TABLE maintenance_tasks ADD COLUMN started_at timestamptz, ADD COLUMN completed_at timestamptz;

CREATE TABLE certification_types (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- null: global reference data; else the organization's own type
  org_id uuid,
  -- the issuing authority, e.g. FAA, EASA, UK CAA, ECAA (free text for an org's own types)
  authority text NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  description text,
  -- whether certificates of this type carry an expiry date
  expires boolean NOT NULL DEFAULT true,
  -- whether holding it lets a person certify (sign off) work
  confers_certifying boolean NOT NULL DEFAULT false,
  -- whether holding it lets a person perform an independent inspection
  confers_inspection boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT certification_types_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT certification_types_authority_not_blank CHECK (btrim(authority) <> ''),
  CONSTRAINT certification_types_code_not_blank CHECK (btrim(code) <> ''),
  CONSTRAINT certification_types_name_not_blank CHECK (btrim(name) <> ''),
  CONSTRAINT certification_types_global_not_deleted CHECK (org_id IS NOT NULL OR deleted_at IS NULL)
);
CREATE UNIQUE INDEX certification_types_global_authority_code_key ON certification_types (authority, code)
  WHERE org_id IS NULL;
CREATE UNIQUE INDEX certification_types_org_id_authority_code_live_key ON certification_types (org_id, authority, code)
  WHERE org_id IS NOT NULL AND deleted_at IS NULL;
CREATE TRIGGER certification_types_touch_updated_at BEFORE UPDATE ON certification_types
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

INSERT INTO certification_types (authority, code, name, expires, confers_certifying, confers_inspection, description) VALUES
  ('FAA', 'A&P', 'Airframe and Powerplant Mechanic', false, true, false,
   '14 CFR Part 65 mechanic certificate with airframe and powerplant ratings'),
  ('FAA', 'IA', 'Inspection Authorization', true, true, true,
   '14 CFR 65.91: inspection authorization held by an A&P mechanic; renewed every two years'),
  ('FAA', 'REPAIRMAN', 'Repairman Certificate', false, true, false, '14 CFR 65.101 repairman certificate'),
  ('EASA', 'PART66-A', 'Part-66 Category A', true, true, false, 'Line maintenance certifying mechanic'),
  ('EASA', 'PART66-B1', 'Part-66 Category B1', true, true, true, 'Mechanical: airframe, engines, electrical'),
  ('EASA', 'PART66-B2', 'Part-66 Category B2', true, true, true, 'Avionics and electrical'),
  ('EASA', 'PART66-B3', 'Part-66 Category B3', true, true, false, 'Piston-engine non-pressurised aeroplanes'),
  ('EASA', 'PART66-C', 'Part-66 Category C', true, true, false, 'Base maintenance certifying staff'),
  ('UK CAA', 'PART66-A', 'UK Part-66 Category A', true, true, false, 'Line maintenance certifying mechanic'),
  ('UK CAA', 'PART66-B1', 'UK Part-66 Category B1', true, true, true, 'Mechanical: airframe, engines, electrical'),
  ('UK CAA', 'PART66-B2', 'UK Part-66 Category B2', true, true, true, 'Avionics and electrical'),
  ('UK CAA', 'PART66-B3', 'UK Part-66 Category B3', true, true, false, 'Piston-engine non-pressurised aeroplanes'),
  ('UK CAA', 'PART66-C', 'UK Part-66 Category C', true, true, false, 'Base maintenance certifying staff'),
  ('ECAA', 'PART66-B1', 'ECAA Part-66 Category B1', true, true, true, 'Egyptian CAA equivalent of EASA B1'),
  ('ECAA', 'PART66-B2', 'ECAA Part-66 Category B2', true, true, true, 'Egyptian CAA equivalent of EASA B2'),
  ('ECAA', 'PART66-C', 'ECAA Part-66 Category C', true, true, false, 'Egyptian CAA equivalent of EASA C');

CREATE TABLE skill_types (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- null: global reference data; else the organization's own type
  org_id uuid,
  code text NOT NULL,
  name text NOT NULL,
  category text NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT skill_types_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT skill_types_code_not_blank CHECK (btrim(code) <> ''),
  CONSTRAINT skill_types_name_not_blank CHECK (btrim(name) <> ''),
  CONSTRAINT skill_types_category_not_blank CHECK (btrim(category) <> ''),
  CONSTRAINT skill_types_global_not_deleted CHECK (org_id IS NOT NULL OR deleted_at IS NULL)
);
CREATE UNIQUE INDEX skill_types_global_code_key ON skill_types (code) WHERE org_id IS NULL;
CREATE UNIQUE INDEX skill_types_org_id_code_live_key ON skill_types (org_id, code)
  WHERE org_id IS NOT NULL AND deleted_at IS NULL;
CREATE TRIGGER skill_types_touch_updated_at BEFORE UPDATE ON skill_types
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

INSERT INTO skill_types (code, name, category) VALUES
  ('NDT-UT', 'Ultrasonic testing', 'NDT'),
  ('NDT-ET', 'Eddy current testing', 'NDT'),
  ('NDT-PT', 'Penetrant testing', 'NDT'),
  ('NDT-MT', 'Magnetic particle testing', 'NDT'),
  ('NDT-RT', 'Radiographic testing', 'NDT'),
  ('BORESCOPE', 'Borescope inspection', 'Inspection'),
  ('AVIONICS', 'Avionics troubleshooting', 'Avionics'),
  ('COMPOSITES', 'Composite repair', 'Structures'),
  ('SHEET-METAL', 'Sheet metal repair', 'Structures'),
  ('WELDING', 'Welding', 'Structures'),
  ('ENGINE-RUN', 'Engine run-up', 'Powerplant'),
  ('TAXI', 'Aircraft taxi', 'Operations'),
  ('FUEL-TANK', 'Fuel tank entry', 'Safety'),
  ('EWIS', 'Electrical wiring interconnection systems', 'Avionics'),
  ('HUMAN-FACTORS', 'Human factors', 'Training');

-- A row that names a certification or skill type may only name a global one or its own org's:
-- a composite foreign key cannot say "org_id null or equal", so a trigger does.
-- +goose StatementBegin
CREATE FUNCTION amss_check_type_visible() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  type_table text := TG_ARGV[0];
  type_column text := TG_ARGV[1];
  type_id uuid := to_jsonb(NEW) ->> type_column;
  type_org uuid;
BEGIN
  IF type_id IS NULL THEN
    RETURN NEW;
  END IF;
  EXECUTE format('SELECT org_id FROM %I WHERE id = $1', type_table) INTO type_org USING type_id;
  IF type_org IS NOT NULL AND type_org <> NEW.org_id THEN
    RAISE EXCEPTION '% % belongs to another organization', type_table, type_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_TABLE_NAME || '_' || type_column || '_visible',
            TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA, COLUMN = type_column;
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TABLE employee_certifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  certification_type_id uuid NOT NULL,
  certificate_number text NOT NULL,
  issue_date timestamptz NOT NULL,
  -- null when the type does not expire; "expired" is derived from it, never stored
  expiry_date timestamptz,
  status certification_status NOT NULL DEFAULT 'active',
  document_url text,
  verified_by uuid,
  verified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT employee_certifications_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT employee_certifications_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT employee_certifications_org_id_user_id_id_key UNIQUE (org_id, user_id, id),
  CONSTRAINT employee_certifications_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
  CONSTRAINT employee_certifications_verified_by_fkey FOREIGN KEY (org_id, verified_by) REFERENCES users (org_id, id),
  CONSTRAINT employee_certifications_certification_type_fkey FOREIGN KEY (certification_type_id)
    REFERENCES certification_types (id),
  CONSTRAINT employee_certifications_certificate_number_not_blank CHECK (btrim(certificate_number) <> ''),
  CONSTRAINT employee_certifications_expiry_after_issue CHECK (expiry_date IS NULL OR expiry_date > issue_date),
  CONSTRAINT employee_certifications_verified_complete CHECK ((verified_by IS NULL) = (verified_at IS NULL))
);
CREATE UNIQUE INDEX employee_certifications_org_id_user_id_type_live_key
  ON employee_certifications (org_id, user_id, certification_type_id) WHERE deleted_at IS NULL;
CREATE INDEX employee_certifications_org_id_expiry_date_idx ON employee_certifications (org_id, expiry_date)
  WHERE deleted_at IS NULL;
CREATE TRIGGER employee_certifications_touch_updated_at BEFORE UPDATE ON employee_certifications
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();
CREATE TRIGGER employee_certifications_type_visible BEFORE INSERT OR UPDATE ON employee_certifications
  FOR EACH ROW EXECUTE FUNCTION amss_check_type_visible('certification_types', 'certification_type_id');

CREATE TABLE type_ratings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  aircraft_type_id uuid NOT NULL,
  -- the certification that carries the endorsement: the same user's (composite foreign key)
  certification_id uuid NOT NULL,
  endorsed_date timestamptz NOT NULL,
  expiry_date timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT type_ratings_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT type_ratings_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT type_ratings_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
  CONSTRAINT type_ratings_certification_fkey FOREIGN KEY (org_id, user_id, certification_id)
    REFERENCES employee_certifications (org_id, user_id, id),
  CONSTRAINT type_ratings_aircraft_type_fkey FOREIGN KEY (aircraft_type_id) REFERENCES aircraft_types (id),
  CONSTRAINT type_ratings_expiry_after_endorsement CHECK (expiry_date IS NULL OR expiry_date > endorsed_date)
);
CREATE UNIQUE INDEX type_ratings_org_id_user_id_aircraft_type_live_key
  ON type_ratings (org_id, user_id, aircraft_type_id) WHERE deleted_at IS NULL;
CREATE INDEX type_ratings_org_id_certification_id_idx ON type_ratings (org_id, certification_id);
CREATE TRIGGER type_ratings_touch_updated_at BEFORE UPDATE ON type_ratings
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE employee_skills (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  skill_type_id uuid NOT NULL,
  -- 1 (trainee) to 5 (expert)
  proficiency smallint NOT NULL,
  qualified boolean NOT NULL DEFAULT true,
  expiry_date timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT employee_skills_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT employee_skills_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT employee_skills_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
  CONSTRAINT employee_skills_skill_type_fkey FOREIGN KEY (skill_type_id) REFERENCES skill_types (id),
  CONSTRAINT employee_skills_proficiency_check CHECK (proficiency BETWEEN 1 AND 5)
);
CREATE UNIQUE INDEX employee_skills_org_id_user_id_skill_type_live_key
  ON employee_skills (org_id, user_id, skill_type_id) WHERE deleted_at IS NULL;
CREATE TRIGGER employee_skills_touch_updated_at BEFORE UPDATE ON employee_skills
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();
CREATE TRIGGER employee_skills_type_visible BEFORE INSERT OR UPDATE ON employee_skills
  FOR EACH ROW EXECUTE FUNCTION amss_check_type_visible('skill_types', 'skill_type_id');

CREATE TABLE recency_entries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  aircraft_type_id uuid NOT NULL,
  hours numeric(8, 2) NOT NULL,
  performed_at timestamptz NOT NULL,
  -- the task the hours came from (written when the task completed); null for a manual entry
  task_id uuid,
  notes text,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT recency_entries_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT recency_entries_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT recency_entries_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
  CONSTRAINT recency_entries_created_by_fkey FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id),
  CONSTRAINT recency_entries_task_fkey FOREIGN KEY (org_id, task_id) REFERENCES maintenance_tasks (org_id, id),
  CONSTRAINT recency_entries_aircraft_type_fkey FOREIGN KEY (aircraft_type_id) REFERENCES aircraft_types (id),
  CONSTRAINT recency_entries_hours_check CHECK (hours > 0)
);
-- A completed task logs its mechanic's hours once.
CREATE UNIQUE INDEX recency_entries_org_id_task_id_user_id_live_key ON recency_entries (org_id, task_id, user_id)
  WHERE task_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX recency_entries_org_id_user_id_performed_at_idx
  ON recency_entries (org_id, user_id, aircraft_type_id, performed_at) WHERE deleted_at IS NULL;
CREATE TRIGGER recency_entries_touch_updated_at BEFORE UPDATE ON recency_entries
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

-- What a person needs for a type of task, optionally narrowed to an aircraft type and/or a program.
-- Unflagged rows apply to whoever does the work (assignment, start, completion); `certifying` rows
-- to whoever signs a compliance item off; `inspection` rows to the independent inspector.
CREATE TABLE task_skill_requirements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  task_type task_type NOT NULL,
  aircraft_type_id uuid,
  program_id uuid,
  certification_type_id uuid,
  -- the person must hold a live type rating on the task's aircraft type
  type_rating_required boolean NOT NULL DEFAULT false,
  skill_type_id uuid,
  min_proficiency smallint,
  -- at least min_recency_hours on the task's aircraft type within recency_window_days before the work
  min_recency_hours numeric(8, 2),
  recency_window_days integer,
  certifying boolean NOT NULL DEFAULT false,
  inspection boolean NOT NULL DEFAULT false,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT task_skill_requirements_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT task_skill_requirements_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT task_skill_requirements_program_fkey FOREIGN KEY (org_id, program_id)
    REFERENCES maintenance_programs (org_id, id),
  CONSTRAINT task_skill_requirements_aircraft_type_fkey FOREIGN KEY (aircraft_type_id) REFERENCES aircraft_types (id),
  CONSTRAINT task_skill_requirements_certification_type_fkey FOREIGN KEY (certification_type_id)
    REFERENCES certification_types (id),
  CONSTRAINT task_skill_requirements_skill_type_fkey FOREIGN KEY (skill_type_id) REFERENCES skill_types (id),
  CONSTRAINT task_skill_requirements_min_proficiency_check
    CHECK (min_proficiency IS NULL OR (skill_type_id IS NOT NULL AND min_proficiency BETWEEN 1 AND 5)),
  CONSTRAINT task_skill_requirements_recency_complete
    CHECK ((min_recency_hours IS NULL) = (recency_window_days IS NULL)),
  CONSTRAINT task_skill_requirements_min_recency_hours_check CHECK (min_recency_hours > 0),
  CONSTRAINT task_skill_requirements_recency_window_days_check CHECK (recency_window_days > 0),
  CONSTRAINT task_skill_requirements_requires_something CHECK (
    certification_type_id IS NOT NULL OR skill_type_id IS NOT NULL OR min_recency_hours IS NOT NULL
    OR type_rating_required)
);
CREATE INDEX task_skill_requirements_org_id_task_type_idx ON task_skill_requirements (org_id, task_type)
  WHERE deleted_at IS NULL;
CREATE TRIGGER task_skill_requirements_touch_updated_at BEFORE UPDATE ON task_skill_requirements
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();
CREATE TRIGGER task_skill_requirements_certification_type_visible BEFORE INSERT OR UPDATE ON task_skill_requirements
  FOR EACH ROW EXECUTE FUNCTION amss_check_type_visible('certification_types', 'certification_type_id');
CREATE TRIGGER task_skill_requirements_skill_type_visible BEFORE INSERT OR UPDATE ON task_skill_requirements
  FOR EACH ROW EXECUTE FUNCTION amss_check_type_visible('skill_types', 'skill_type_id');

-- +goose Down
DROP TABLE task_skill_requirements;
DROP TABLE recency_entries;
DROP TABLE employee_skills;
DROP TABLE type_ratings;
DROP TABLE employee_certifications;
DROP FUNCTION amss_check_type_visible();
DROP TABLE skill_types;
DROP TABLE certification_types;
ALTER TABLE maintenance_tasks DROP COLUMN completed_at, DROP COLUMN started_at;
DROP INDEX aircraft_org_id_aircraft_type_id_idx;
ALTER TABLE aircraft DROP COLUMN aircraft_type_id;
DROP TABLE aircraft_types;
DROP TYPE certification_status;
