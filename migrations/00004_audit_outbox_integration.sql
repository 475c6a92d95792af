-- AMSS schema, part 4: audit log, outbox, idempotency keys, webhooks and their deliveries, CSV imports.

-- +goose Up
-- org_id is the tenant whose data changed; the actor is (actor_org_id, user_id), which differs from
-- org_id when a system admin acts in another tenant, and is null for worker jobs (actor names the job).
CREATE TABLE audit_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  actor_org_id uuid,
  user_id uuid,
  actor text NOT NULL,
  entity_type text NOT NULL,
  entity_id uuid NOT NULL,
  action audit_action NOT NULL,
  entity_version integer NOT NULL DEFAULT 0,
  request_id text,
  ip_address text,
  user_agent text,
  "timestamp" timestamptz NOT NULL DEFAULT now(),
  details jsonb NOT NULL DEFAULT '{}',
  CONSTRAINT audit_logs_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT audit_logs_actor_user_fkey FOREIGN KEY (actor_org_id, user_id) REFERENCES users (org_id, id),
  CONSTRAINT audit_logs_actor_user_pairing CHECK ((user_id IS NULL) = (actor_org_id IS NULL)),
  CONSTRAINT audit_logs_actor_not_blank CHECK (btrim(actor) <> ''),
  CONSTRAINT audit_logs_details_object CHECK (jsonb_typeof(details) = 'object')
);
-- (timestamp, id) is the keyset order of the audit list and its CSV export.
CREATE INDEX audit_logs_org_id_timestamp_idx ON audit_logs (org_id, "timestamp", id);
CREATE INDEX audit_logs_org_id_entity_idx ON audit_logs (org_id, entity_type, entity_id);
CREATE INDEX audit_logs_org_id_user_id_idx ON audit_logs (org_id, user_id);
CREATE INDEX audit_logs_actor_org_id_user_id_idx ON audit_logs (actor_org_id, user_id) WHERE user_id IS NOT NULL;

-- The audit log is append-only: UPDATE, DELETE and TRUNCATE are rejected. DROP TABLE is not.
-- +goose StatementBegin
CREATE FUNCTION audit_logs_reject_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'AM002', HINT = 'AUDIT_LOG_IMMUTABLE', CONSTRAINT = 'audit_logs_immutable',
          TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
  RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_logs_immutable BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_reject_mutation();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_reject_mutation();

CREATE TABLE outbox_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id uuid NOT NULL,
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  dedupe_key text NOT NULL,
  status outbox_status NOT NULL DEFAULT 'pending',
  attempt_count integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_at timestamptz,
  locked_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  failed_at timestamptz,
  CONSTRAINT outbox_events_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT outbox_events_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT outbox_events_org_id_dedupe_key_key UNIQUE (org_id, dedupe_key),
  CONSTRAINT outbox_events_attempt_count_check CHECK (attempt_count >= 0),
  CONSTRAINT outbox_events_payload_object CHECK (jsonb_typeof(payload) = 'object')
);
CREATE INDEX outbox_events_org_id_processed_at_idx ON outbox_events (org_id, processed_at NULLS FIRST);
CREATE INDEX outbox_events_org_id_next_attempt_at_idx ON outbox_events (org_id, next_attempt_at);
-- The publisher's claim query: WHERE processed_at IS NULL AND status = 'pending' AND next_attempt_at <= now().
CREATE INDEX outbox_events_publishable_idx ON outbox_events (next_attempt_at, created_at)
  WHERE processed_at IS NULL AND status = 'pending';

CREATE TABLE idempotency_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  key text NOT NULL,
  endpoint text NOT NULL,
  request_hash text NOT NULL,
  -- 0 while the first request is still running
  status_code integer NOT NULL DEFAULT 0,
  -- text, not jsonb, so a replay returns the stored body byte for byte
  response_body text,
  response_headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT idempotency_keys_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
  CONSTRAINT idempotency_keys_org_id_user_id_key_endpoint_key UNIQUE (org_id, user_id, key, endpoint),
  CONSTRAINT idempotency_keys_key_length CHECK (char_length(key) BETWEEN 1 AND 255),
  CONSTRAINT idempotency_keys_status_code_check CHECK (status_code = 0 OR status_code BETWEEN 100 AND 599)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

CREATE TABLE webhooks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  url text NOT NULL,
  events text[] NOT NULL,
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT webhooks_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT webhooks_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT webhooks_url_scheme CHECK (url ~* '^https?://'),
  CONSTRAINT webhooks_events_not_empty CHECK (cardinality(events) > 0 AND array_position(events, NULL) IS NULL),
  CONSTRAINT webhooks_secret_not_blank CHECK (secret <> '')
);
CREATE INDEX webhooks_org_id_live_idx ON webhooks (org_id) WHERE deleted_at IS NULL;
CREATE INDEX webhooks_org_id_deleted_at_idx ON webhooks (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE TRIGGER webhooks_touch_updated_at BEFORE UPDATE ON webhooks
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  webhook_id uuid NOT NULL,
  event_id uuid NOT NULL,
  status delivery_status NOT NULL DEFAULT 'pending',
  attempt_count integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_response_code integer,
  last_response_body text,
  locked_at timestamptz,
  locked_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  CONSTRAINT webhook_deliveries_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT webhook_deliveries_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT webhook_deliveries_webhook_fkey FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id),
  CONSTRAINT webhook_deliveries_event_fkey FOREIGN KEY (org_id, event_id) REFERENCES outbox_events (org_id, id),
  CONSTRAINT webhook_deliveries_webhook_id_event_id_key UNIQUE (webhook_id, event_id),
  CONSTRAINT webhook_deliveries_attempt_count_check CHECK (attempt_count >= 0),
  CONSTRAINT webhook_deliveries_last_response_body_length CHECK (char_length(last_response_body) <= 4096)
);
CREATE INDEX webhook_deliveries_org_id_next_attempt_at_idx ON webhook_deliveries (org_id, next_attempt_at);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_org_id_event_id_idx ON webhook_deliveries (org_id, event_id);
CREATE TRIGGER webhook_deliveries_touch_updated_at BEFORE UPDATE ON webhook_deliveries
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  type import_type NOT NULL,
  status import_status NOT NULL DEFAULT 'pending',
  file_name text NOT NULL,
  file_path text,
  created_by uuid NOT NULL,
  total_rows integer NOT NULL DEFAULT 0,
  valid_rows integer NOT NULL DEFAULT 0,
  invalid_rows integer NOT NULL DEFAULT 0,
  applied_rows integer NOT NULL DEFAULT 0,
  summary jsonb NOT NULL DEFAULT '{}',
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT imports_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT imports_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT imports_created_by_fkey FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id),
  CONSTRAINT imports_row_counts_check
    CHECK (total_rows >= 0 AND valid_rows >= 0 AND invalid_rows >= 0 AND applied_rows >= 0),
  CONSTRAINT imports_summary_object CHECK (jsonb_typeof(summary) = 'object')
);
CREATE INDEX imports_org_id_created_at_idx ON imports (org_id, created_at);
CREATE INDEX imports_pending_idx ON imports (created_at) WHERE status = 'pending';
CREATE TRIGGER imports_touch_updated_at BEFORE UPDATE ON imports
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE import_rows (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  import_id uuid NOT NULL,
  row_number integer NOT NULL,
  raw jsonb NOT NULL,
  status import_row_status NOT NULL DEFAULT 'pending',
  errors jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT import_rows_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT import_rows_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT import_rows_import_fkey FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id) ON DELETE CASCADE,
  CONSTRAINT import_rows_org_id_import_id_row_number_key UNIQUE (org_id, import_id, row_number),
  CONSTRAINT import_rows_row_number_check CHECK (row_number > 0),
  CONSTRAINT import_rows_errors_array CHECK (jsonb_typeof(errors) = 'array')
);
CREATE INDEX import_rows_org_id_import_id_status_idx ON import_rows (org_id, import_id, status);
CREATE TRIGGER import_rows_touch_updated_at BEFORE UPDATE ON import_rows
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

-- +goose Down
DROP TABLE import_rows;
DROP TABLE imports;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE idempotency_keys;
DROP TABLE outbox_events;
DROP TRIGGER audit_logs_no_truncate ON audit_logs;
DROP TRIGGER audit_logs_immutable ON audit_logs;
DROP TABLE audit_logs;
DROP FUNCTION audit_logs_reject_mutation();
