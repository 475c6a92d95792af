-- AMSS schema, part 12: revocation that bites.
--
-- users.sessions_revoked_at: a password change signs the user out everywhere. Access tokens
-- issued before it are refused (the server reads the user's current state on every request,
-- cached for a few seconds), as its refresh tokens already are.

-- +goose Up
ALTER TABLE users ADD COLUMN sessions_revoked_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN sessions_revoked_at;
