-- AMSS schema, part 28: which demo `amss dev` last brought up to date, and on which day.
--
-- `amss dev` brings the demo organization up to date when it starts: it looks up every demo
-- record by its natural key (so a newer demo adds only what is missing), moves the date-relative
-- ones to their days counted from today, and evaluates the alerts. A start on the same day (UTC) as
-- the last one, of the same demo and with no migration applied since, has nothing to bring up to
-- date and skips it (see src/app/demo-seed.ts). Bookkeeping of the dev command, like
-- amss_migrations: not audited, one row per demo organization's name.

-- +goose Up
CREATE TABLE amss_demo_seed (
  org_name text PRIMARY KEY,
  version text NOT NULL,
  seeded_on date NOT NULL
);

-- +goose Down
DROP TABLE amss_demo_seed;
