-- AMSS schema, part 23: the live-registration unique index gets a name PostgreSQL keeps whole.
--
-- 00022 named it organization_registrations_org_id_authority_certificate_live_key: 64 characters,
-- one past PostgreSQL's 63-byte identifier limit, so it was stored truncated (…_live_ke), and a
-- constraint rule registered under the written name would never match the violation a client gets.

-- +goose Up
ALTER INDEX organization_registrations_org_id_authority_certificate_live_ke
  RENAME TO organization_registrations_certificate_live_key;

-- +goose Down
ALTER INDEX organization_registrations_certificate_live_key
  RENAME TO organization_registrations_org_id_authority_certificate_live_ke;
