-- Everyone hello has counted a visit for. Portable SQL: {{time}} and {{table_options}} are
-- spelled for SQLite or MySQL by the kernel; tables and indexes carry the plugin's prefix.
CREATE TABLE hello_visits (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  visits BIGINT NOT NULL,
  first_at {{time}} NOT NULL,
  last_at {{time}} NOT NULL
) {{table_options}};

CREATE INDEX hello_visits_by_count ON hello_visits (visits);
