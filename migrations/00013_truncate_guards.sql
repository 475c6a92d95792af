-- Signed compliance sign-offs are immutable row by row (00003), but TRUNCATE fires no row trigger:
-- `TRUNCATE compliance_items` (or `TRUNCATE organizations CASCADE`) removed them all. Like the
-- audit log's, a statement-level guard refuses it, here while any signed-off item exists (a table
-- of unsigned items only may still be emptied by its owner, e.g. in a test set-up).
-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION compliance_items_reject_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM compliance_items WHERE sign_off_time IS NOT NULL) THEN
    RAISE EXCEPTION 'compliance_items holds signed-off items, which are immutable: TRUNCATE is not allowed'
      USING ERRCODE = 'AM001', HINT = 'ALREADY_SIGNED_OFF',
            CONSTRAINT = 'compliance_items_immutable_after_sign_off',
            TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  END IF;
  RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER compliance_items_no_truncate BEFORE TRUNCATE ON compliance_items
  FOR EACH STATEMENT EXECUTE FUNCTION compliance_items_reject_truncate();

-- +goose Down
DROP TRIGGER compliance_items_no_truncate ON compliance_items;
DROP FUNCTION compliance_items_reject_truncate();
