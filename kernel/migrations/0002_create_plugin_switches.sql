-- Plugins turned on or off at run time through the admin API (issue 4). A switch here wins
-- over `plugins:` in the configuration until it is changed again, so a restart keeps it.
CREATE TABLE lore_plugin_switches (
  name VARCHAR(100) NOT NULL PRIMARY KEY,
  enabled {{bool}} NOT NULL,
  changed_by BIGINT,
  changed_at {{time}} NOT NULL
) {{table_options}};
