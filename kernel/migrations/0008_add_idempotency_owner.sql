-- Which request holds an idempotency key's claim (a random token), so that a request presumed
-- dead and taken over cannot store its answer over the answer of the request that took over.
ALTER TABLE lore_idempotency_keys ADD COLUMN owner CHAR(32) NOT NULL DEFAULT '';
