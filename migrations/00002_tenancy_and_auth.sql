-- AMSS schema, part 2: organizations, their policies, users and refresh tokens.
-- Tenant tables carry org_id and UNIQUE (org_id, id); children reference parents through composite
-- foreign keys (org_id, x_id), so a row can never point into another tenant.

-- +goose Up
CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT organizations_name_not_blank CHECK (btrim(name) <> '')
);
-- Names are unique among live organizations, case-insensitively; a deleted org's name can be reused.
CREATE UNIQUE INDEX organizations_name_live_key ON organizations (lower(name)) WHERE deleted_at IS NULL;
CREATE TRIGGER organizations_touch_updated_at BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE org_policies (
  org_id uuid PRIMARY KEY,
  retention_interval interval NOT NULL DEFAULT '365 days',
  max_webhook_attempts integer NOT NULL DEFAULT 10,
  webhook_replay_window_seconds integer NOT NULL DEFAULT 300,
  api_rate_limit_per_min integer NOT NULL DEFAULT 100,
  api_key_rate_limit_per_min integer NOT NULL DEFAULT 10,
  grounding_lead_time interval NOT NULL DEFAULT '24 hours',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT org_policies_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT org_policies_retention_interval_check CHECK (retention_interval > interval '0'),
  CONSTRAINT org_policies_max_webhook_attempts_check CHECK (max_webhook_attempts > 0),
  CONSTRAINT org_policies_webhook_replay_window_seconds_check CHECK (webhook_replay_window_seconds > 0),
  CONSTRAINT org_policies_api_rate_limit_per_min_check CHECK (api_rate_limit_per_min > 0),
  CONSTRAINT org_policies_api_key_rate_limit_per_min_check CHECK (api_key_rate_limit_per_min > 0),
  CONSTRAINT org_policies_grounding_lead_time_check CHECK (grounding_lead_time >= interval '0')
);
CREATE TRIGGER org_policies_touch_updated_at BEFORE UPDATE ON org_policies
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  email citext NOT NULL,
  role user_role NOT NULL,
  password_hash text NOT NULL,
  last_login timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT users_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT users_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT users_email_not_blank CHECK (btrim(email::text) <> '')
);
CREATE UNIQUE INDEX users_org_id_email_live_key ON users (org_id, email) WHERE deleted_at IS NULL;
-- Login without org_id looks a live email up across every org.
CREATE INDEX users_email_live_idx ON users (email) WHERE deleted_at IS NULL;
CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION amss_touch_updated_at();

CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  family_id uuid NOT NULL,
  -- lower-case hex SHA-256 of the token; the token itself is never stored
  token_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  revoked_at timestamptz,
  replaced_by uuid,
  CONSTRAINT refresh_tokens_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT refresh_tokens_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
  CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (org_id, user_id)
    REFERENCES users (org_id, id) ON DELETE CASCADE,
  CONSTRAINT refresh_tokens_replaced_by_fkey FOREIGN KEY (org_id, replaced_by)
    REFERENCES refresh_tokens (org_id, id) ON DELETE SET NULL (replaced_by),
  CONSTRAINT refresh_tokens_token_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_org_id_user_id_idx ON refresh_tokens (org_id, user_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE org_policies;
DROP TABLE organizations;
