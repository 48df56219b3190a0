-- Refunds and the revenue ledger (issue 6).

-- status gains 'refunding': a refund asked of the provider and not yet confirmed (the buyer
-- keeps the course until it is). While refunding: the amount the kernel asked the provider for (refund id lore-refund-<order>),
-- asked again with the same id and amount until the provider answers.
ALTER TABLE lore_orders ADD COLUMN refund_asked_minor BIGINT NOT NULL DEFAULT 0;

-- Each refund the provider confirmed (before the payment too), once: a refund confirmed by the
-- kernel's own request and reported again by a webhook (under another event id) is the same
-- provider_ref. What of an order went back so far is their sum (refunds come in parts); the
-- order is refunded when it reaches amount_minor.
CREATE TABLE lore_refunds (
  provider VARCHAR(64) NOT NULL,
  provider_ref VARCHAR(300) NOT NULL,
  order_id BIGINT NOT NULL,
  amount_minor BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  created_at {{time}} NOT NULL,
  PRIMARY KEY (provider, provider_ref),
  FOREIGN KEY (order_id) REFERENCES lore_orders (id)
) {{table_options}};
CREATE INDEX lore_refunds_by_order ON lore_refunds (order_id);

-- Double-entry: every journal (a payment, a refund) is a set of entries whose amounts sum to
-- zero, so the whole ledger always does. Signed integer minor units: positive is a debit,
-- negative a credit. Accounts: provider:<name> (money held for us by the provider),
-- platform:fees (the platform's share), creator:<user id> (what the platform owes the
-- creator). A journal's account appears once in it: writing a journal twice is impossible.
CREATE TABLE lore_ledger_entries (
  id {{id}},
  journal VARCHAR(300) NOT NULL,
  order_id BIGINT NOT NULL,
  account VARCHAR(100) NOT NULL,
  creator_id BIGINT,
  amount_minor BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  created_at {{time}} NOT NULL,
  FOREIGN KEY (order_id) REFERENCES lore_orders (id)
) {{table_options}};
CREATE UNIQUE INDEX lore_ledger_entries_once ON lore_ledger_entries (journal, account);
CREATE INDEX lore_ledger_entries_by_creator ON lore_ledger_entries (creator_id, id);
CREATE INDEX lore_ledger_entries_by_account ON lore_ledger_entries (account, currency);
