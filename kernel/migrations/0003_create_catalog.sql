-- The catalog (issue 5): what is sold, who may see it, and who finished what. Course content
-- itself lives in the course-type plugins' tables; the kernel keeps what money and access
-- depend on.

-- price_minor is an integer count of the currency's minor unit (fen, cents): never a float.
-- learners counts entitlements that are not revoked (kept in the transaction that grants or
-- revokes one), so "popular" sorts without a join.
CREATE TABLE lore_courses (
  id {{id}},
  slug VARCHAR(100) NOT NULL,
  type VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  summary VARCHAR(2000) NOT NULL,
  cover_url VARCHAR(2000) NOT NULL,
  price_minor BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  creator_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  learners BIGINT NOT NULL,
  created_at {{time}} NOT NULL,
  updated_at {{time}} NOT NULL,
  published_at {{time}},
  FOREIGN KEY (creator_id) REFERENCES lore_users (id)
) {{table_options}};
CREATE UNIQUE INDEX lore_courses_slug ON lore_courses (slug);
CREATE INDEX lore_courses_listing ON lore_courses (status, published_at, id);
CREATE INDEX lore_courses_by_creator ON lore_courses (creator_id, id);

CREATE TABLE lore_course_tags (
  course_id BIGINT NOT NULL,
  tag VARCHAR(50) NOT NULL,
  PRIMARY KEY (course_id, tag),
  FOREIGN KEY (course_id) REFERENCES lore_courses (id) ON DELETE CASCADE
) {{table_options}};
CREATE INDEX lore_course_tags_by_tag ON lore_course_tags (tag, course_id);

-- One row per (user, course), whatever happens to it: revoking or expiring keeps the row, and
-- granting again brings it back. Purchases (issue 6) grant through the same code path.
CREATE TABLE lore_entitlements (
  id {{id}},
  user_id BIGINT NOT NULL,
  course_id BIGINT NOT NULL,
  source VARCHAR(32) NOT NULL,
  granted_by BIGINT,
  granted_at {{time}} NOT NULL,
  expires_at {{time}},
  revoked_at {{time}},
  FOREIGN KEY (user_id) REFERENCES lore_users (id),
  FOREIGN KEY (course_id) REFERENCES lore_courses (id)
) {{table_options}};
CREATE UNIQUE INDEX lore_entitlements_user_course ON lore_entitlements (user_id, course_id);
CREATE INDEX lore_entitlements_by_course ON lore_entitlements (course_id);

-- Completions are recorded once: the insert that succeeds is the one that fires the hook.
CREATE TABLE lore_item_completions (
  user_id BIGINT NOT NULL,
  course_id BIGINT NOT NULL,
  item_id VARCHAR(64) NOT NULL,
  completed_at {{time}} NOT NULL,
  PRIMARY KEY (user_id, course_id, item_id)
) {{table_options}};

CREATE TABLE lore_course_completions (
  user_id BIGINT NOT NULL,
  course_id BIGINT NOT NULL,
  completed_at {{time}} NOT NULL,
  PRIMARY KEY (user_id, course_id)
) {{table_options}};
