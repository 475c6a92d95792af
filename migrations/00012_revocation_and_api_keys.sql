-- AMSS schema, part 12: revocation that bites, and API keys for integrators.
--
-- users.sessions_revoked_at: a password change signs the user out everywhere. Access tokens
-- issued before it are refused (the server reads the user's current state on every request,
-- cached for a few seconds), as its refresh tokens already are.
--
-- api_keys: long-lived keys an organization's admins create for integrations. Only the SHA-256 of
-- the secret is kept (the secret is shown once, at creation), with its first characters (hint) so
-- a list can tell keys apart. A key acts for its creator (created_by, composite with the org like
-- every tenant reference); revoking sets revoked_at, and the name is free again for a new key.

-- +goose Up
ALTER TABLE users ADD COLUMN sessions_revoked_at timestamptz;

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  name text NOT NULL,
  scope text NOT NULL,
  -- lower-case hex SHA-256 of the secret; the secret itself is never stored
  secret_hash text NOT NULL,
  hint text NOT NULL,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  CONSTRAINT api_keys_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT api_keys_org_id_id_key UNIQUE (org_id, id),
  CONSTRAINT api_keys_created_by_fkey FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id),
  CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash),
  CONSTRAINT api_keys_secret_hash_format CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT api_keys_name_length CHECK (btrim(name) <> '' AND char_length(name) <= 100),
  CONSTRAINT api_keys_scope_check
    CHECK (scope IN ('read_only', 'admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor')),
  CONSTRAINT api_keys_hint_format CHECK (hint ~ '^amss_')
);
-- A live key's name is unique in its organization, case-insensitively.
CREATE UNIQUE INDEX api_keys_org_id_name_live_key ON api_keys (org_id, lower(name)) WHERE revoked_at IS NULL;
CREATE INDEX api_keys_org_id_created_at_idx ON api_keys (org_id, created_at, id);
CREATE INDEX api_keys_org_id_created_by_idx ON api_keys (org_id, created_by);

-- +goose Down
DROP TABLE api_keys;
ALTER TABLE users DROP COLUMN sessions_revoked_at;
