-- Fine on both databases: applied and recorded before 0002 fails.
CREATE TABLE bad_migration_notes (
  id {{id}},
  body {{text}} NOT NULL
) {{table_options}};
