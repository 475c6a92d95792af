-- AMSS schema, part 28: which demo `amss dev` last brought up to date, and on which day.
--
-- `npm start` seeds the demo organization on every start: it looks up every demo record by its
-- natural key (so a newer demo adds only what is missing), moves the date-relative ones to their
-- days counted from today, and evaluates the alerts — about 0.7 s of a 3.5 s restart, nearly all of
-- it the first run of that code and of its statements on a freshly opened embedded database. A
-- start on the same day (UTC) as the last seed, of the same demo, has nothing to bring up to date
-- and skips it. Bookkeeping of the dev command, like amss_migrations: not audited, no tenant.

-- +goose Up
CREATE TABLE amss_demo_seed (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version text NOT NULL,
  seeded_on date NOT NULL
);

-- +goose Down
DROP TABLE amss_demo_seed;
