-- API keys for server-to-server callers. Only a SHA-256 of each key is stored (the key is 256
-- random bits, so a fast hash is enough); `prefix` is the first characters, kept to tell keys
-- apart in lists. A key acts as its user, limited to its scopes.
CREATE TABLE auth_apikey_keys (
  id {{id}},
  user_id BIGINT NOT NULL,
  name VARCHAR(100) NOT NULL,
  prefix VARCHAR(32) NOT NULL,
  key_hash CHAR(64) NOT NULL,
  scopes VARCHAR(2000) NOT NULL,
  created_by BIGINT NOT NULL,
  created_at {{time}} NOT NULL,
  expires_at {{time}},
  last_used_at {{time}},
  revoked_at {{time}}
) {{table_options}};
CREATE UNIQUE INDEX auth_apikey_keys_hash ON auth_apikey_keys (key_hash);
CREATE INDEX auth_apikey_keys_by_user ON auth_apikey_keys (user_id);
