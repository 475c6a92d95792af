-- AMSS schema, part 11: an idempotent request's changes record their results as they commit.
--
-- An Idempotency-Key's response is stored after the response is built, in a transaction of its
-- own; the change it answers for commits earlier, in the change's transaction. A process that dies
-- between the two left the key "in progress" with nothing to replay, and the retry ran the change
-- again. Now every mutation of a request with a key writes its result here inside its own
-- transaction (claimed first, so a concurrent attempt at the same mutation waits for it and then
-- finds it): a retry that finds results re-runs the request with each mutation answering its
-- recorded result instead of changing anything, and so rebuilds the first response.
--
-- A row is inserted (result NULL) before the mutation's work and filled in before its commit, so a
-- committed row always has its result. Inserting it takes only a KEY SHARE lock on the key's row:
-- it never waits for the key's own updates.

-- +goose Up
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_org_id_id_key UNIQUE (org_id, id);
CREATE TABLE idempotency_mutations (
  org_id uuid NOT NULL,
  key_id uuid NOT NULL,
  -- 1 for the request's first mutation, 2 for its second, …
  seq integer NOT NULL,
  -- the mutation's result, serialized (node:v8); NULL only inside the mutation's own transaction
  result bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT idempotency_mutations_pkey PRIMARY KEY (org_id, key_id, seq),
  CONSTRAINT idempotency_mutations_key_fkey FOREIGN KEY (org_id, key_id)
    REFERENCES idempotency_keys (org_id, id) ON DELETE CASCADE,
  CONSTRAINT idempotency_mutations_seq_check CHECK (seq >= 1)
);

-- +goose Down
DROP TABLE idempotency_mutations;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_org_id_id_key;
