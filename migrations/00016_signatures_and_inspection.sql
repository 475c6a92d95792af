-- AMSS schema, part 16: sign-off as an electronic signature, and independent inspection.
--
-- A sign-off records what the signature means (`performed`). A compliance item may require an
-- independent inspection: after the sign-off a second person — never the performer, which the
-- database itself refuses — signs `inspected`. A signed item stays frozen except for that one
-- inspection, and once inspected nothing about it changes again. Whether a signer re-enters their
-- password is the organization's policy `sign_off_reauthentication` (on by default).

-- +goose Up
ALTER TABLE org_policies ADD COLUMN sign_off_reauthentication boolean NOT NULL DEFAULT true;

ALTER TABLE compliance_items
  ADD COLUMN requires_inspection boolean NOT NULL DEFAULT false,
  ADD COLUMN sign_off_meaning text,
  ADD COLUMN inspected_by uuid,
  ADD COLUMN inspected_at timestamptz,
  ADD COLUMN inspection_meaning text;

-- Items signed before signatures had a meaning were signed as performed. The guard and the
-- updated_at trigger stand aside for this one backfill, so the signed rows keep their times.
DROP TRIGGER compliance_items_immutable_after_sign_off ON compliance_items;
ALTER TABLE compliance_items DISABLE TRIGGER compliance_items_touch_updated_at;
UPDATE compliance_items SET sign_off_meaning = 'performed' WHERE sign_off_time IS NOT NULL;
ALTER TABLE compliance_items ENABLE TRIGGER compliance_items_touch_updated_at;

ALTER TABLE compliance_items
  ADD CONSTRAINT compliance_items_inspected_by_fkey FOREIGN KEY (org_id, inspected_by) REFERENCES users (org_id, id),
  ADD CONSTRAINT compliance_items_sign_off_meaning_check
    CHECK ((sign_off_time IS NULL AND sign_off_meaning IS NULL) OR (sign_off_time IS NOT NULL AND sign_off_meaning = 'performed')),
  ADD CONSTRAINT compliance_items_inspection_complete
    CHECK ((inspected_by IS NULL AND inspected_at IS NULL AND inspection_meaning IS NULL)
        OR (inspected_by IS NOT NULL AND inspected_at IS NOT NULL AND inspection_meaning = 'inspected')),
  -- An inspection inspects signed-off work, of an item that asks for one.
  ADD CONSTRAINT compliance_items_inspection_after_sign_off
    CHECK (inspected_at IS NULL OR (sign_off_time IS NOT NULL AND inspected_at >= sign_off_time)),
  ADD CONSTRAINT compliance_items_inspection_required CHECK (inspected_at IS NULL OR requires_inspection),
  -- Independent: the inspector is never the person who performed the work.
  ADD CONSTRAINT compliance_items_inspector_not_performer
    CHECK (inspected_by IS NULL OR inspected_by <> sign_off_user_id);

-- Completing a task looks for its items still awaiting inspection.
CREATE INDEX compliance_items_org_id_task_id_inspection_pending_idx ON compliance_items (org_id, task_id)
  WHERE requires_inspection AND inspected_at IS NULL AND deleted_at IS NULL;

-- A signed-off item is frozen. The one change it still takes is its inspection, once, on an item
-- that requires one: the inspection columns (and updated_at) set, every other column unchanged.
-- An inspected item is frozen for good: no update, no soft delete, no delete.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION compliance_items_guard_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  inspection_columns CONSTANT text[] := ARRAY['inspected_by', 'inspected_at', 'inspection_meaning', 'updated_at'];
BEGIN
  IF OLD.inspected_at IS NOT NULL THEN
    RAISE EXCEPTION 'compliance item % is signed off and inspected, and immutable', OLD.id
      USING ERRCODE = 'AM001', HINT = 'ALREADY_INSPECTED',
            CONSTRAINT = 'compliance_items_immutable_after_inspection',
            TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  END IF;
  IF OLD.sign_off_time IS NOT NULL THEN
    IF TG_OP = 'UPDATE' AND OLD.requires_inspection AND NEW.inspected_at IS NOT NULL
       AND (to_jsonb(NEW) - inspection_columns) = (to_jsonb(OLD) - inspection_columns) THEN
      RETURN NEW;
    END IF;
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
CREATE TRIGGER compliance_items_immutable_after_sign_off BEFORE UPDATE OR DELETE ON compliance_items
  FOR EACH ROW EXECUTE FUNCTION compliance_items_guard_immutable();

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION compliance_items_guard_immutable() RETURNS trigger
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
DROP INDEX compliance_items_org_id_task_id_inspection_pending_idx;
DROP TRIGGER compliance_items_immutable_after_sign_off ON compliance_items;
ALTER TABLE compliance_items
  DROP CONSTRAINT compliance_items_inspector_not_performer,
  DROP CONSTRAINT compliance_items_inspection_required,
  DROP CONSTRAINT compliance_items_inspection_after_sign_off,
  DROP CONSTRAINT compliance_items_inspection_complete,
  DROP CONSTRAINT compliance_items_sign_off_meaning_check,
  DROP CONSTRAINT compliance_items_inspected_by_fkey,
  DROP COLUMN inspection_meaning,
  DROP COLUMN inspected_at,
  DROP COLUMN inspected_by,
  DROP COLUMN sign_off_meaning,
  DROP COLUMN requires_inspection;
CREATE TRIGGER compliance_items_immutable_after_sign_off BEFORE UPDATE OR DELETE ON compliance_items
  FOR EACH ROW EXECUTE FUNCTION compliance_items_guard_immutable();
ALTER TABLE org_policies DROP COLUMN sign_off_reauthentication;
