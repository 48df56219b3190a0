-- Statement 1 is rerunnable (MySQL keeps it after the failure); statement 2 inserts into a
-- table that does not exist, so it fails on every database.
CREATE TABLE IF NOT EXISTS bad_migration_extra (id BIGINT NOT NULL) {{table_options}};

INSERT INTO bad_migration_missing (id) VALUES (1);
