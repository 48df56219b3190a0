-- The transactional outbox (issue 6): each event that consumers must never miss (order.paid,
-- order.refunded, entitlement.granted) is inserted by the transaction that makes it true, so it
-- exists exactly when that committed. The hooks of the same names fire after the commit, best
-- effort (a crash in between skips them); this table is the record. Read it with GET
-- /api/v1/admin/events (cursor = id) or, from a plugin, with SQL (its columns are part of the
-- SDK's contract, see docs/plugin-guide.md "The outbox").
CREATE TABLE lore_outbox (
  id {{id}},
  topic VARCHAR(64) NOT NULL,
  subject_id BIGINT NOT NULL,
  payload {{text}} NOT NULL,
  created_at {{time}} NOT NULL
) {{table_options}};
CREATE INDEX lore_outbox_by_topic ON lore_outbox (topic, id);
CREATE INDEX lore_outbox_by_age ON lore_outbox (created_at);
