-- AMSS schema, part 9: an index for the compliance report, which lists and exports an
-- organization's live compliance items in (created_at, id) order, the export in keyset batches.

-- +goose Up
CREATE INDEX compliance_items_org_id_created_at_live_idx ON compliance_items (org_id, created_at, id)
  WHERE deleted_at IS NULL;

-- +goose Down
DROP INDEX compliance_items_org_id_created_at_live_idx;
