-- AMSS schema, part 10: the outbox publishes events in the order they were recorded.
--
-- created_at is now(), the start of the recording transaction: every event of one transaction
-- shares it, and a change that waited for another's row lock can carry an earlier one than the
-- change it waited for. A number drawn as each event is inserted orders the events of one
-- transaction as they were written, and an event of a change that waited for another after the
-- other's: the publisher claims in this order.
--
-- The column gets its default after it is added, so existing rows keep NULL and the table is not
-- rewritten (an identity column would rewrite it, blocking writes for as long as a year of
-- retained events takes). Events from before this migration (NULL) are claimed first, in their
-- old order.

-- +goose Up
ALTER TABLE outbox_events ADD COLUMN seq bigint;
CREATE SEQUENCE outbox_events_seq_seq AS bigint OWNED BY outbox_events.seq;
ALTER TABLE outbox_events ALTER COLUMN seq SET DEFAULT nextval('outbox_events_seq_seq');
DROP INDEX outbox_events_publishable_idx;
CREATE INDEX outbox_events_publishable_idx ON outbox_events (seq NULLS FIRST, created_at, id)
  WHERE processed_at IS NULL AND status = 'pending';

-- +goose Down
DROP INDEX outbox_events_publishable_idx;
CREATE INDEX outbox_events_publishable_idx ON outbox_events (next_attempt_at, created_at)
  WHERE processed_at IS NULL AND status = 'pending';
ALTER TABLE outbox_events DROP COLUMN seq;
