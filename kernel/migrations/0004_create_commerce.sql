-- Commerce (issue 6): orders and their state machine, the idempotency keys of the requests
-- that create them, and the provider events already processed.

-- An order snapshots the price when it is placed (amount_minor: an integer count of the
-- currency's minor unit, never a float). status: pending -> paid -> fulfilled -> refunded,
-- pending -> cancelled | expired; every change is a conditional UPDATE ... WHERE status = ?
-- inside a transaction.
CREATE TABLE lore_orders (
  id {{id}},
  user_id BIGINT NOT NULL,
  course_id BIGINT NOT NULL,
  title VARCHAR(200) NOT NULL,
  amount_minor BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  provider VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  provider_ref VARCHAR(255) NOT NULL,
  checkout_kind VARCHAR(32) NOT NULL,
  checkout_value VARCHAR(2000) NOT NULL,
  created_at {{time}} NOT NULL,
  updated_at {{time}} NOT NULL,
  expires_at {{time}} NOT NULL,
  paid_at {{time}},
  fulfilled_at {{time}},
  FOREIGN KEY (user_id) REFERENCES lore_users (id),
  FOREIGN KEY (course_id) REFERENCES lore_courses (id)
) {{table_options}};
CREATE INDEX lore_orders_by_user ON lore_orders (user_id, id);
-- The buyer's open order for a course, found (and locked) without touching other orders.
CREATE INDEX lore_orders_by_buyer_course ON lore_orders (user_id, course_id, status);
CREATE INDEX lore_orders_by_status ON lore_orders (status, expires_at);

-- Stripe's semantics: the first request with a key stores its answer; a retry with the same
-- key and body gets that answer again, with another body a 422, while the first still runs a
-- 409. status is 0 while it runs.
CREATE TABLE lore_idempotency_keys (
  user_id BIGINT NOT NULL,
  route VARCHAR(100) NOT NULL,
  idem_key VARCHAR(255) NOT NULL,
  fingerprint CHAR(64) NOT NULL,
  status INTEGER NOT NULL,
  response_body {{text}} NOT NULL,
  created_at {{time}} NOT NULL,
  PRIMARY KEY (user_id, route, idem_key)
) {{table_options}};
CREATE INDEX lore_idempotency_keys_by_age ON lore_idempotency_keys (created_at);

-- Every provider event, inserted in the transaction that acts on it: a duplicate finds the
-- row and changes nothing. outcome says what it did (fulfilled, already_paid, paid_twice,
-- amount_mismatch, unknown_order, refunded...; docs/payments.md lists them).
CREATE TABLE lore_payment_events (
  provider VARCHAR(64) NOT NULL,
  event_id VARCHAR(255) NOT NULL,
  order_id BIGINT,
  kind VARCHAR(16) NOT NULL,
  outcome VARCHAR(32) NOT NULL,
  received_at {{time}} NOT NULL,
  PRIMARY KEY (provider, event_id)
) {{table_options}};
CREATE INDEX lore_payment_events_by_order ON lore_payment_events (order_id);
