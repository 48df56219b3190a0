-- Accounts (issue 4): people, their roles, and their sign-in sessions. Authentication methods
-- (passwords, API keys) are plugins and keep their secrets in their own tables.

-- email is kept as entered, for display; email_key is its lower-case form, unique, so that
-- Ann@Example.com and ann@example.com are one account on both databases.
CREATE TABLE lore_users (
  id {{id}},
  email VARCHAR(254) NOT NULL,
  email_key VARCHAR(254) NOT NULL,
  display_name VARCHAR(100) NOT NULL,
  status VARCHAR(16) NOT NULL,
  created_at {{time}} NOT NULL,
  updated_at {{time}} NOT NULL
) {{table_options}};
CREATE UNIQUE INDEX lore_users_email_key ON lore_users (email_key);

CREATE TABLE lore_user_roles (
  user_id BIGINT NOT NULL,
  role VARCHAR(32) NOT NULL,
  granted_at {{time}} NOT NULL,
  PRIMARY KEY (user_id, role),
  FOREIGN KEY (user_id) REFERENCES lore_users (id) ON DELETE CASCADE
) {{table_options}};

-- Only a hash of each session token is stored: a copy of this table signs nobody in.
CREATE TABLE lore_sessions (
  id {{id}},
  token_hash CHAR(64) NOT NULL,
  user_id BIGINT NOT NULL,
  created_at {{time}} NOT NULL,
  last_used_at {{time}} NOT NULL,
  expires_at {{time}} NOT NULL,
  revoked_at {{time}},
  user_agent VARCHAR(255),
  ip VARCHAR(64),
  FOREIGN KEY (user_id) REFERENCES lore_users (id) ON DELETE CASCADE
) {{table_options}};
CREATE UNIQUE INDEX lore_sessions_token_hash ON lore_sessions (token_hash);
CREATE INDEX lore_sessions_by_user ON lore_sessions (user_id, expires_at);
