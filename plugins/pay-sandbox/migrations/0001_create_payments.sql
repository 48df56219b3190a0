-- What the sandbox "provider" believes about each order it took a decision on: written when
-- the buyer presses Pay or Fail on the checkout page (before the webhook is sent, as a real
-- provider knows before it tells), marked refunded by a refund. query_payment reads it, so
-- reconciliation finds a payment whose webhook was lost. state: paid, failed or refunded.
CREATE TABLE pay_sandbox_payments (
  order_id BIGINT NOT NULL PRIMARY KEY,
  state VARCHAR(16) NOT NULL,
  amount_minor BIGINT NOT NULL,
  currency VARCHAR(8) NOT NULL,
  ref VARCHAR(64) NOT NULL,
  updated_at {{time}} NOT NULL
) {{table_options}};
