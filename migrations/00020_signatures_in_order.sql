-- AMSS schema, part 20: a compliance item's signatures come one at a time, in order.
--
-- 00016 froze a signed item but for its one inspection. Two ways around the order remained: one
-- UPDATE of an unsigned item could write the sign-off, the inspection requirement and the
-- inspection together (never passing through "signed, awaiting inspection"), and an INSERT could
-- create a row already signed, or signed and inspected. Now an item is always created unsigned; it
-- is signed off by one statement, and inspected by a later one.

-- +goose Up
-- The guard of 00016, plus: an unsigned item takes no inspection (the sign-off comes first, in its
-- own statement). Raised as the violation of the rule it extends, "inspected only after it is
-- signed off", so it reads the same to a client.
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
  IF NEW.inspected_at IS NOT NULL THEN
    RAISE EXCEPTION 'compliance item % is not signed off: it is inspected only after its sign-off, in a later statement', OLD.id
      USING ERRCODE = 'check_violation', HINT = 'NOT_SIGNED_OFF',
            CONSTRAINT = 'compliance_items_inspection_after_sign_off',
            TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- A compliance item is created unsigned: a signature is an update of an existing item, made by
-- the one who signs, never part of the row's creation.
-- +goose StatementBegin
CREATE FUNCTION compliance_items_guard_created_unsigned() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.sign_off_time IS NOT NULL OR NEW.inspected_at IS NOT NULL THEN
    RAISE EXCEPTION 'compliance item % cannot be created signed off or inspected: it is created unsigned and signed afterwards', NEW.id
      USING ERRCODE = 'check_violation', HINT = 'SIGNED_ON_CREATE',
            CONSTRAINT = 'compliance_items_created_unsigned',
            TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER compliance_items_created_unsigned BEFORE INSERT ON compliance_items
  FOR EACH ROW EXECUTE FUNCTION compliance_items_guard_created_unsigned();

-- +goose Down
DROP TRIGGER compliance_items_created_unsigned ON compliance_items;
DROP FUNCTION compliance_items_guard_created_unsigned();
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
