-- AMSS schema, part 22: airworthiness directives and regulatory compliance.
--
-- Reference data (regulatory authorities, compliance templates and their items) is global,
-- seeded here, read-only. An organization records its approvals (registrations) and its
-- directives (ADs, service bulletins, engineering orders); each directive applies to aircraft by
-- type and optionally by tail number or serial range. A fleet scan tracks, per aircraft, one row
-- per applicable directive (the unique key makes concurrent scans track each aircraft once); a
-- compliance act is an immutable history row, and the tracking row carries the next due (date,
-- flight hours, cycles: whichever comes first) computed from it.
--
-- Dates that are calendar days (effective date, limits, next due) are `date`: the arithmetic on
-- them (months, month ends, leap days) is calendar arithmetic, not a number of seconds.

-- +goose Up
CREATE TYPE directive_type AS ENUM ('ad', 'emergency_ad', 'sb', 'alert_sb', 'eo');
CREATE TYPE directive_applicability AS ENUM ('mandatory', 'recommended', 'optional');
CREATE TYPE directive_status AS ENUM ('active', 'superseded', 'cancelled');
CREATE TYPE calendar_unit AS ENUM ('days', 'months', 'years');
CREATE TYPE directive_tracking_status AS ENUM
  ('pending', 'in_progress', 'complied', 'not_applicable', 'deferred', 'overdue');

CREATE TABLE regulatory_authorities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- the short name everyone uses: FAA, EASA, UK CAA
  code text NOT NULL,
  name text NOT NULL,
  -- ISO 3166-1 alpha-2 country, or null for a supranational body (EASA, ICAO)
  country text,
  -- how many years maintenance and compliance records must be kept under its rules
  record_retention_years integer NOT NULL,
  website text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT regulatory_authorities_code_key UNIQUE (code),
  CONSTRAINT regulatory_authorities_code_not_blank CHECK (btrim(code) <> ''),
  CONSTRAINT regulatory_authorities_name_not_blank CHECK (btrim(name) <> ''),
  CONSTRAINT regulatory_authorities_country_format CHECK (country ~ '^[A-Z]{2}$'),
  CONSTRAINT regulatory_authorities_record_retention_years_check CHECK (record_retention_years > 0)
);

INSERT INTO regulatory_authorities (code, name, country, record_retention_years, website) VALUES
  ('FAA', 'Federal Aviation Administration', 'US', 2, 'https://www.faa.gov'),
  ('EASA', 'European Union Aviation Safety Agency', NULL, 3, 'https://www.easa.europa.eu'),
  ('UK CAA', 'UK Civil Aviation Authority', 'GB', 3, 'https://www.caa.co.uk'),
  ('ECAA', 'Egyptian Civil Aviation Authority', 'EG', 3, 'https://www.civilaviation.gov.eg'),
  ('TCCA', 'Transport Canada Civil Aviation', 'CA', 2, 'https://tc.canada.ca'),
  ('CASA', 'Civil Aviation Safety Authority', 'AU', 3, 'https://www.casa.gov.au'),
  ('ANAC', 'Agência Nacional de Aviação Civil', 'BR', 5, 'https://www.gov.br/anac'),
  ('CAAC', 'Civil Aviation Administration of China', 'CN', 2, 'http://www.caac.gov.cn'),
  ('DGCA', 'Directorate General of Civil Aviation (India)', 'IN', 5, 'https://www.dgca.gov.in'),
  ('GCAA', 'General Civil Aviation Authority (UAE)', 'AE', 5, 'https://www.gcaa.gov.ae'),
  ('ICAO', 'International Civil Aviation Organization', NULL, 2, 'https://www.icao.int');

CREATE TABLE compliance_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  authority_id uuid NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT compliance_templates_authority_fkey FOREIGN KEY (authority_id) REFERENCES regulatory_authorities (id),
  CONSTRAINT compliance_templates_authority_id_code_key UNIQUE (authority_id, code),
  CONSTRAINT compliance_templates_code_not_blank CHECK (btrim(code) <> ''),
  CONSTRAINT compliance_templates_name_not_blank CHECK (btrim(name) <> '')
);

CREATE TABLE compliance_template_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_id uuid NOT NULL,
  -- 1-based order of the item in the checklist
  position integer NOT NULL,
  description text NOT NULL,
  -- the compliance item created from it asks for an independent inspection
  requires_inspection boolean NOT NULL DEFAULT false,
  CONSTRAINT compliance_template_items_template_fkey FOREIGN KEY (template_id)
    REFERENCES compliance_templates (id) ON DELETE CASCADE,
  CONSTRAINT compliance_template_items_template_id_position_key UNIQUE (template_id, position),
  CONSTRAINT compliance_template_items_position_check CHECK (position > 0),
  CONSTRAINT compliance_template_items_description_not_blank CHECK (btrim(description) <> '')
);

INSERT INTO compliance_templates (authority_id, code, name, description)
SELECT a.id, t.code, t.name, t.description
  FROM (VALUES
    ('FAA', 'RTS-121', 'Return to service (14 CFR 43.9 / 121.709)',
     'Airworthiness release after maintenance, preventive maintenance or alteration'),
    ('FAA', 'AD-COMPLIANCE', 'AD compliance record (14 CFR 91.417)',
     'What 91.417(a)(2)(v) asks to be recorded for each airworthiness directive'),
    ('EASA', 'CRS-145', 'Certificate of release to service (Part-145.A.50)',
     'Release to service by a Part-145 organisation'),
    ('EASA', 'AD-COMPLIANCE', 'AD compliance record (Part-CAMO / M.A.305)',
     'What M.A.305 asks to be recorded for each airworthiness directive'),
    ('UK CAA', 'CRS-145', 'Certificate of release to service (UK Part-145.A.50)',
     'Release to service by a UK Part-145 organisation'),
    ('ECAA', 'CRS-145', 'Certificate of release to service (ECAR Part-145)',
     'Release to service by an ECAA-approved maintenance organisation'),
    ('TCCA', 'MR-571', 'Maintenance release (CAR 571.10)', 'Maintenance release under the Canadian Aviation Regulations')
  ) AS t(authority, code, name, description)
  JOIN regulatory_authorities a ON a.code = t.authority;

INSERT INTO compliance_template_items (template_id, position, description, requires_inspection)
SELECT t.id, i.position, i.description, i.requires_inspection
  FROM (VALUES
    ('FAA', 'RTS-121', 1, 'Work performed described, with reference to acceptable data', false),
    ('FAA', 'RTS-121', 2, 'Required inspection items (RII) inspected by an authorised inspector', true),
    ('FAA', 'RTS-121', 3, 'Parts installed traceable and serviceable (8130-3 or equivalent)', false),
    ('FAA', 'RTS-121', 4, 'Aircraft returned to service: signature, certificate number and date', false),
    ('FAA', 'AD-COMPLIANCE', 1, 'AD number and revision date recorded', false),
    ('FAA', 'AD-COMPLIANCE', 2, 'Method of compliance recorded', false),
    ('FAA', 'AD-COMPLIANCE', 3, 'Time and date of next action for a recurring AD recorded', false),
    ('EASA', 'CRS-145', 1, 'Work order completed as requested', false),
    ('EASA', 'CRS-145', 2, 'Independent inspection of critical maintenance tasks (145.A.48)', true),
    ('EASA', 'CRS-145', 3, 'Tools and equipment accounted for', false),
    ('EASA', 'CRS-145', 4, 'Certificate of release to service issued by authorised certifying staff', false),
    ('EASA', 'AD-COMPLIANCE', 1, 'AD reference and revision recorded', false),
    ('EASA', 'AD-COMPLIANCE', 2, 'Method of compliance and approved data recorded', false),
    ('EASA', 'AD-COMPLIANCE', 3, 'Next due (date, hours, cycles) for a recurring AD recorded', false),
    ('UK CAA', 'CRS-145', 1, 'Work order completed as requested', false),
    ('UK CAA', 'CRS-145', 2, 'Independent inspection of critical maintenance tasks', true),
    ('UK CAA', 'CRS-145', 3, 'Certificate of release to service issued by authorised certifying staff', false),
    ('ECAA', 'CRS-145', 1, 'Work order completed as requested', false),
    ('ECAA', 'CRS-145', 2, 'Duplicate inspection of flight controls and critical systems', true),
    ('ECAA', 'CRS-145', 3, 'Certificate of release to service signed by authorised staff', false),
    ('TCCA', 'MR-571', 1, 'Maintenance performed in accordance with the applicable standards', false),
    ('TCCA', 'MR-571', 2, 'Required inspections performed', true),
    ('TCCA', 'MR-571', 3, 'Maintenance release signed by an authorised person', false)
  ) AS i(authority, code, position, description, requires_inspection)
  JOIN regulatory_authorities a ON a.code = i.authority
  JOIN compliance_templates t ON t.authority_id = a.id AND t.code = i.code;

-- An organization's approvals: its AOC, Part-145, Part-CAMO certificates and the like.
CREATE TABLE organization_registrations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  authority_id uuid NOT NULL,
  -- AOC, Part-145, Part-CAMO, Part-121, …
  approval_type text NOT NULL,
  certificate_number text NOT NULL,
  valid_from date,
  -- null: valid until revoked
  valid_until date,
  scope text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT organization_registrations_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT organization_registrations_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT organization_registrations_authority_fkey FOREIGN KEY (authority_id)
    REFERENCES regulatory_authorities (id),
  CONSTRAINT organization_registrations_approval_type_not_blank CHECK (btrim(approval_type) <> ''),
  CONSTRAINT organization_registrations_certificate_number_not_blank CHECK (btrim(certificate_number) <> ''),
  CONSTRAINT organization_registrations_valid_until_after_valid_from
    CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from)
);
CREATE UNIQUE INDEX organization_registrations_certificate_live_key
  ON organization_registrations (org_id, authority_id, approval_type, certificate_number) WHERE deleted_at IS NULL;
CREATE TRIGGER organization_registrations_touch_updated_at BEFORE UPDATE ON organization_registrations
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

-- The manufacturer serial number (MSN): directives name serial ranges.
ALTER TABLE aircraft ADD COLUMN serial_number text,
  ADD CONSTRAINT aircraft_serial_number_not_blank CHECK (btrim(serial_number) <> '');

-- Serial numbers compare naturally: a shorter one comes first, then by text, so '999' < '1000'
-- for the numeric MSNs most manufacturers use, and alphanumeric ones still order sensibly.
-- +goose StatementBegin
CREATE FUNCTION amss_serial_in_range(serial text, low text, high text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT serial IS NOT NULL
     AND (low IS NULL OR (length(serial), serial COLLATE "C") >= (length(low), low COLLATE "C"))
     AND (high IS NULL OR (length(serial), serial COLLATE "C") <= (length(high), high COLLATE "C"))
$$;
-- +goose StatementEnd

CREATE TABLE directives (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  authority_id uuid NOT NULL,
  type directive_type NOT NULL,
  -- the authority's number, e.g. 2024-02-51 (FAA) or 2023-0123 (EASA)
  reference_number text NOT NULL,
  title text NOT NULL,
  description text,
  applicability directive_applicability NOT NULL DEFAULT 'mandatory',
  -- optional narrowing beyond the aircraft types (directive_aircraft_types): only these tails …
  applicable_tail_numbers text[],
  -- … and/or only serial numbers in this range (either end may be open)
  serial_from text,
  serial_to text,
  effective_date date NOT NULL,
  -- The compliance limit, whichever comes first: a date, or within N days / flight hours /
  -- cycles of the effective date. All null: no limit (typically a recommended bulletin).
  limit_date date,
  limit_days integer,
  limit_flight_hours numeric(12, 2),
  limit_cycles integer,
  -- Recurrence after each compliance, whichever comes first; all null: once only.
  recurrence_calendar_value integer,
  recurrence_calendar_unit calendar_unit,
  recurrence_flight_hours numeric(12, 2),
  recurrence_cycles integer,
  status directive_status NOT NULL DEFAULT 'active',
  superseded_by uuid,
  source_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', reference_number || ' ' || title || ' ' || coalesce(description, ''))
  ) STORED,
  CONSTRAINT directives_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT directives_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT directives_authority_fkey FOREIGN KEY (authority_id) REFERENCES regulatory_authorities (id),
  CONSTRAINT directives_superseded_by_fkey FOREIGN KEY (org_id, superseded_by) REFERENCES directives (org_id, id),
  CONSTRAINT directives_reference_number_not_blank CHECK (btrim(reference_number) <> ''),
  CONSTRAINT directives_title_not_blank CHECK (btrim(title) <> ''),
  CONSTRAINT directives_applicable_tail_numbers_not_empty
    CHECK (applicable_tail_numbers IS NULL OR cardinality(applicable_tail_numbers) > 0),
  CONSTRAINT directives_serial_from_not_blank CHECK (btrim(serial_from) <> ''),
  CONSTRAINT directives_serial_to_not_blank CHECK (btrim(serial_to) <> ''),
  CONSTRAINT directives_serial_range_ordered
    CHECK (serial_from IS NULL OR serial_to IS NULL OR amss_serial_in_range(serial_from, NULL, serial_to)),
  CONSTRAINT directives_limit_days_check CHECK (limit_days > 0),
  CONSTRAINT directives_limit_flight_hours_check CHECK (limit_flight_hours > 0),
  CONSTRAINT directives_limit_cycles_check CHECK (limit_cycles > 0),
  CONSTRAINT directives_limit_date_not_before_effective CHECK (limit_date >= effective_date),
  CONSTRAINT directives_recurrence_calendar_complete
    CHECK ((recurrence_calendar_value IS NULL) = (recurrence_calendar_unit IS NULL)),
  CONSTRAINT directives_recurrence_calendar_value_check CHECK (recurrence_calendar_value > 0),
  CONSTRAINT directives_recurrence_flight_hours_check CHECK (recurrence_flight_hours > 0),
  CONSTRAINT directives_recurrence_cycles_check CHECK (recurrence_cycles > 0),
  CONSTRAINT directives_superseded_has_successor CHECK ((status = 'superseded') = (superseded_by IS NOT NULL)),
  CONSTRAINT directives_not_superseded_by_itself CHECK (superseded_by <> id)
);
CREATE UNIQUE INDEX directives_org_id_authority_reference_live_key
  ON directives (org_id, authority_id, reference_number) WHERE deleted_at IS NULL;
CREATE INDEX directives_org_id_status_idx ON directives (org_id, status) WHERE deleted_at IS NULL;
CREATE INDEX directives_search_idx ON directives USING gin (search);
CREATE TRIGGER directives_touch_updated_at BEFORE UPDATE ON directives
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

-- The aircraft types a directive applies to.
CREATE TABLE directive_aircraft_types (
  org_id uuid NOT NULL,
  directive_id uuid NOT NULL,
  aircraft_type_id uuid NOT NULL,
  PRIMARY KEY (org_id, directive_id, aircraft_type_id),
  CONSTRAINT directive_aircraft_types_directive_fkey FOREIGN KEY (org_id, directive_id)
    REFERENCES directives (org_id, id) ON DELETE CASCADE,
  CONSTRAINT directive_aircraft_types_aircraft_type_fkey FOREIGN KEY (aircraft_type_id)
    REFERENCES aircraft_types (id)
);
CREATE INDEX directive_aircraft_types_org_id_aircraft_type_id_idx
  ON directive_aircraft_types (org_id, aircraft_type_id);

-- The task that complies with a directive remembers it.
ALTER TABLE maintenance_tasks ADD COLUMN directive_id uuid,
  ADD CONSTRAINT maintenance_tasks_directive_fkey FOREIGN KEY (org_id, directive_id)
    REFERENCES directives (org_id, id);
CREATE INDEX maintenance_tasks_org_id_directive_id_idx ON maintenance_tasks (org_id, directive_id)
  WHERE directive_id IS NOT NULL;

-- One row per (aircraft, directive) it applies to: the directive's status on that aircraft.
CREATE TABLE aircraft_directives (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  aircraft_id uuid NOT NULL,
  directive_id uuid NOT NULL,
  status directive_tracking_status NOT NULL DEFAULT 'pending',
  -- where the limits count from: the effective date, and the aircraft's counters then
  baseline_date date NOT NULL,
  baseline_flight_hours numeric(12, 2) NOT NULL,
  baseline_cycles integer NOT NULL,
  -- the next due, whichever comes first; all null: nothing due (no limit, or complied once)
  next_due_date date,
  next_due_flight_hours numeric(12, 2),
  next_due_cycles integer,
  last_compliance_id uuid,
  last_complied_at timestamptz,
  -- not_applicable and deferred say why; a deferral carries its approved new limit
  status_reason text,
  deferred_until_date date,
  deferred_until_flight_hours numeric(12, 2),
  deferred_until_cycles integer,
  status_changed_by uuid,
  status_changed_by_org_id uuid,
  -- the task booked to comply with it, while one is
  task_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT aircraft_directives_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT aircraft_directives_org_id_id_key UNIQUE (org_id, id),
  -- concurrent scans track each aircraft once
  CONSTRAINT aircraft_directives_org_id_directive_id_aircraft_id_key UNIQUE (org_id, directive_id, aircraft_id),
  CONSTRAINT aircraft_directives_aircraft_fkey FOREIGN KEY (org_id, aircraft_id) REFERENCES aircraft (org_id, id),
  CONSTRAINT aircraft_directives_directive_fkey FOREIGN KEY (org_id, directive_id) REFERENCES directives (org_id, id),
  CONSTRAINT aircraft_directives_task_fkey FOREIGN KEY (org_id, task_id) REFERENCES maintenance_tasks (org_id, id),
  CONSTRAINT aircraft_directives_status_changed_by_fkey FOREIGN KEY (status_changed_by_org_id, status_changed_by)
    REFERENCES users (org_id, id),
  CONSTRAINT aircraft_directives_status_changed_by_pairing
    CHECK ((status_changed_by IS NULL) = (status_changed_by_org_id IS NULL)),
  CONSTRAINT aircraft_directives_baseline_flight_hours_check CHECK (baseline_flight_hours >= 0),
  CONSTRAINT aircraft_directives_baseline_cycles_check CHECK (baseline_cycles >= 0),
  CONSTRAINT aircraft_directives_reason_required
    CHECK (status NOT IN ('not_applicable', 'deferred') OR btrim(coalesce(status_reason, '')) <> ''),
  CONSTRAINT aircraft_directives_deferral_has_limit CHECK (
    (status = 'deferred') = (deferred_until_date IS NOT NULL OR deferred_until_flight_hours IS NOT NULL
                             OR deferred_until_cycles IS NOT NULL)),
  CONSTRAINT aircraft_directives_complied_has_compliance
    CHECK (status <> 'complied' OR last_compliance_id IS NOT NULL)
);
CREATE INDEX aircraft_directives_org_id_aircraft_id_idx ON aircraft_directives (org_id, aircraft_id);
-- A task that complies with a directive finds its row by the task on every transition, and a
-- task's delete checks the foreign key: both by (org_id, task_id).
CREATE INDEX aircraft_directives_org_id_task_id_idx ON aircraft_directives (org_id, task_id)
  WHERE task_id IS NOT NULL;
-- The due tracker and the due list look for open rows by their date.
CREATE INDEX aircraft_directives_org_id_next_due_date_idx ON aircraft_directives (org_id, next_due_date)
  WHERE status IN ('pending', 'in_progress', 'deferred', 'overdue');
CREATE TRIGGER aircraft_directives_touch_updated_at BEFORE UPDATE ON aircraft_directives
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

-- Each act of compliance, signed: an immutable history row.
CREATE TABLE directive_compliance_records (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  aircraft_directive_id uuid NOT NULL,
  aircraft_id uuid NOT NULL,
  directive_id uuid NOT NULL,
  performed_at timestamptz NOT NULL,
  -- the aircraft's counters when the work was done
  flight_hours numeric(12, 2) NOT NULL,
  cycles integer NOT NULL,
  -- how it was complied with: inspection, modification, replacement, terminating action, …
  method text NOT NULL,
  notes text,
  -- the task that did the work, when one did
  task_id uuid,
  signed_by uuid NOT NULL,
  signature_meaning text NOT NULL DEFAULT 'complied',
  signed_at timestamptz NOT NULL DEFAULT now(),
  -- the next due this compliance set, whichever comes first; all null: closed
  next_due_date date,
  next_due_flight_hours numeric(12, 2),
  next_due_cycles integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT directive_compliance_records_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT directive_compliance_records_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT directive_compliance_records_tracking_fkey FOREIGN KEY (org_id, aircraft_directive_id)
    REFERENCES aircraft_directives (org_id, id),
  CONSTRAINT directive_compliance_records_aircraft_fkey FOREIGN KEY (org_id, aircraft_id)
    REFERENCES aircraft (org_id, id),
  CONSTRAINT directive_compliance_records_directive_fkey FOREIGN KEY (org_id, directive_id)
    REFERENCES directives (org_id, id),
  CONSTRAINT directive_compliance_records_task_fkey FOREIGN KEY (org_id, task_id)
    REFERENCES maintenance_tasks (org_id, id),
  CONSTRAINT directive_compliance_records_signed_by_fkey FOREIGN KEY (org_id, signed_by) REFERENCES users (org_id, id),
  CONSTRAINT directive_compliance_records_method_not_blank CHECK (btrim(method) <> ''),
  CONSTRAINT directive_compliance_records_flight_hours_check CHECK (flight_hours >= 0),
  CONSTRAINT directive_compliance_records_cycles_check CHECK (cycles >= 0),
  CONSTRAINT directive_compliance_records_signature_meaning_check CHECK (signature_meaning = 'complied')
);
CREATE INDEX directive_compliance_records_org_id_tracking_idx
  ON directive_compliance_records (org_id, aircraft_directive_id, performed_at);
-- A task complies with a directive on its aircraft once.
CREATE UNIQUE INDEX directive_compliance_records_org_id_task_id_key
  ON directive_compliance_records (org_id, aircraft_directive_id, task_id) WHERE task_id IS NOT NULL;
-- The retention cleaner and a task's delete look records up by their task.
CREATE INDEX directive_compliance_records_org_id_task_idx ON directive_compliance_records (org_id, task_id)
  WHERE task_id IS NOT NULL;

ALTER TABLE aircraft_directives ADD CONSTRAINT aircraft_directives_last_compliance_fkey
  FOREIGN KEY (org_id, last_compliance_id) REFERENCES directive_compliance_records (org_id, id);

-- +goose StatementBegin
CREATE FUNCTION directive_compliance_records_reject_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'directive compliance records are signed and immutable: % is not allowed', TG_OP
    USING ERRCODE = 'AM003', HINT = 'COMPLIANCE_RECORD_IMMUTABLE',
          CONSTRAINT = 'directive_compliance_records_immutable',
          TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER directive_compliance_records_immutable BEFORE UPDATE OR DELETE ON directive_compliance_records
  FOR EACH ROW EXECUTE FUNCTION directive_compliance_records_reject_mutation();
CREATE TRIGGER directive_compliance_records_no_truncate BEFORE TRUNCATE ON directive_compliance_records
  FOR EACH STATEMENT EXECUTE FUNCTION directive_compliance_records_reject_mutation();

-- How many days before a directive's due date it counts as due soon (the due list's and the
-- alerts' warning window).
ALTER TABLE org_policies ADD COLUMN directive_warning_days integer NOT NULL DEFAULT 30,
  ADD CONSTRAINT org_policies_directive_warning_days_check CHECK (directive_warning_days > 0);

-- +goose Down
ALTER TABLE org_policies DROP CONSTRAINT org_policies_directive_warning_days_check,
  DROP COLUMN directive_warning_days;
ALTER TABLE aircraft_directives DROP CONSTRAINT aircraft_directives_last_compliance_fkey;
DROP TABLE directive_compliance_records;
DROP FUNCTION directive_compliance_records_reject_mutation();
DROP TABLE aircraft_directives;
DROP INDEX maintenance_tasks_org_id_directive_id_idx;
ALTER TABLE maintenance_tasks DROP CONSTRAINT maintenance_tasks_directive_fkey, DROP COLUMN directive_id;
DROP TABLE directive_aircraft_types;
DROP TABLE directives;
DROP FUNCTION amss_serial_in_range(text, text, text);
ALTER TABLE aircraft DROP CONSTRAINT aircraft_serial_number_not_blank, DROP COLUMN serial_number;
DROP TABLE organization_registrations;
DROP TABLE compliance_template_items;
DROP TABLE compliance_templates;
DROP TABLE regulatory_authorities;
DROP TYPE directive_tracking_status;
DROP TYPE calendar_unit;
DROP TYPE directive_applicability;
DROP TYPE directive_status;
DROP TYPE directive_type;
