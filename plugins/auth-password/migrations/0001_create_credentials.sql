-- One argon2id hash per user (libsodium's encoded string: algorithm, parameters, salt, hash).
-- user_id refers to lore_users.id; no foreign key, since a plugin's tables are dropped on
-- uninstall while the kernel's stay.
CREATE TABLE auth_password_credentials (
  user_id BIGINT NOT NULL PRIMARY KEY,
  hash VARCHAR(255) NOT NULL,
  updated_at {{time}} NOT NULL
) {{table_options}};
