-- AMSS schema, part 25: alerts — what the maintenance control centre is told (a licence about to
-- expire, a task running late, a directive about to go overdue, a part out of stock, a webhook
-- endpoint that stopped answering, an aircraft on ground).
--
-- The rules (levels per threshold, escalation, who may acknowledge) are pure functions in
-- src/domain/alert.ts; the database keeps what it can keep alone: one open alert per condition, so
-- two triggers racing raise it once, and an alert that is resolved never changes again.

-- +goose Up
CREATE TYPE alert_level AS ENUM ('info', 'warning', 'critical');
CREATE TYPE alert_category AS ENUM (
  'certification_expiring', 'certification_expired', 'task_overdue', 'directive_due', 'directive_overdue',
  'part_low_stock', 'part_out_of_stock', 'webhook_failing', 'aircraft_aog'
);
CREATE TYPE alert_entity_type AS ENUM (
  'certification', 'task', 'aircraft_directive', 'part_definition', 'webhook', 'aircraft'
);

-- How long an alert may wait for an acknowledgement before it moves up a level.
ALTER TABLE org_policies ADD COLUMN alert_escalation_after interval NOT NULL DEFAULT '4 hours',
  ADD CONSTRAINT org_policies_alert_escalation_after_check
    CHECK (alert_escalation_after >= interval '1 minute' AND alert_escalation_after <= interval '30 days');

-- The entity reference has no FK on purpose: like the audit log's, an alert must outlive (and may
-- be about) a row that is deleted later; the trigger that raised it resolves it then.
CREATE TABLE alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  level alert_level NOT NULL,
  category alert_category NOT NULL,
  title text NOT NULL,
  description text NOT NULL,
  entity_type alert_entity_type NOT NULL,
  entity_id uuid NOT NULL,
  -- the aircraft the condition is about, when there is one (filters, the fleet board)
  aircraft_id uuid,
  -- the person the condition is about: a certification's holder, an overdue task's mechanic; such
  -- a mechanic may acknowledge and resolve it, and receives it live
  user_id uuid,
  -- the limit crossed and where the condition stands now, in `unit` (days, items, minutes, deliveries…)
  threshold numeric,
  current_value numeric,
  unit text,
  -- how many times it moved up a level for want of an acknowledgement (0, 1 or 2)
  escalation_level smallint NOT NULL DEFAULT 0,
  escalated_at timestamptz,
  -- when it reached its current level: escalation counts from here
  level_changed_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_by uuid,
  acknowledged_by_org_id uuid,
  acknowledged_at timestamptz,
  -- resolved by a person (resolved_by), or automatically when the condition cleared
  resolved_by uuid,
  resolved_by_org_id uuid,
  resolved_at timestamptz,
  resolved_automatically boolean NOT NULL DEFAULT false,
  resolution_note text,
  raised_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alerts_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT alerts_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT alerts_aircraft_fkey FOREIGN KEY (org_id, aircraft_id) REFERENCES aircraft (org_id, id)
    ON DELETE CASCADE,
  CONSTRAINT alerts_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
  CONSTRAINT alerts_acknowledged_by_fkey FOREIGN KEY (acknowledged_by_org_id, acknowledged_by)
    REFERENCES users (org_id, id),
  CONSTRAINT alerts_resolved_by_fkey FOREIGN KEY (resolved_by_org_id, resolved_by) REFERENCES users (org_id, id),
  CONSTRAINT alerts_title_not_blank CHECK (btrim(title) <> ''),
  CONSTRAINT alerts_unit_not_blank CHECK (btrim(unit) <> ''),
  CONSTRAINT alerts_escalation_level_check CHECK (escalation_level BETWEEN 0 AND 2),
  CONSTRAINT alerts_escalated_at_pairing CHECK ((escalation_level = 0) = (escalated_at IS NULL)),
  CONSTRAINT alerts_acknowledged_by_pairing CHECK ((acknowledged_by IS NULL) = (acknowledged_by_org_id IS NULL)),
  -- a job may acknowledge nothing: an acknowledgement is a person's
  CONSTRAINT alerts_acknowledged_pairing CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL)),
  CONSTRAINT alerts_resolved_by_pairing CHECK ((resolved_by IS NULL) = (resolved_by_org_id IS NULL)),
  -- resolved either by a person or automatically, never both, never neither
  CONSTRAINT alerts_resolution_check CHECK (
    (resolved_at IS NULL AND resolved_by IS NULL AND NOT resolved_automatically)
    OR (resolved_at IS NOT NULL AND (resolved_by IS NOT NULL) <> resolved_automatically)
  )
);
-- One open alert per condition: a second trigger raising it meets this index and raises the level
-- of the open one instead (INSERT … ON CONFLICT).
CREATE UNIQUE INDEX alerts_org_id_open_condition_key ON alerts (org_id, category, entity_type, entity_id)
  WHERE resolved_at IS NULL;
-- The control centre's list: newest first, open ones by level; escalation scans the unacknowledged.
CREATE INDEX alerts_org_id_raised_at_idx ON alerts (org_id, raised_at DESC, id DESC);
CREATE INDEX alerts_open_unacknowledged_idx ON alerts (level_changed_at)
  WHERE resolved_at IS NULL AND acknowledged_at IS NULL;
CREATE INDEX alerts_org_id_user_id_idx ON alerts (org_id, user_id) WHERE user_id IS NOT NULL;
CREATE TRIGGER alerts_touch_updated_at BEFORE UPDATE ON alerts
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

-- A resolved alert is a closed record: it never changes (the retention cleaner may delete it).
-- +goose StatementBegin
CREATE FUNCTION alerts_reject_change_after_resolution() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'alert % is resolved and can no longer change', OLD.id
    USING ERRCODE = 'AM005', HINT = 'ALERT_ALREADY_RESOLVED',
          CONSTRAINT = 'alerts_resolved_final',
          TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER alerts_resolved_final BEFORE UPDATE ON alerts
  FOR EACH ROW WHEN (OLD.resolved_at IS NOT NULL) EXECUTE FUNCTION alerts_reject_change_after_resolution();

-- +goose Down
DROP TABLE alerts;
DROP FUNCTION alerts_reject_change_after_resolution();
ALTER TABLE org_policies DROP CONSTRAINT org_policies_alert_escalation_after_check,
  DROP COLUMN alert_escalation_after;
DROP TYPE alert_entity_type;
DROP TYPE alert_category;
DROP TYPE alert_level;
