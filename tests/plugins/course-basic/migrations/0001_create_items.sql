CREATE TABLE course_basic_items (
  course_id BIGINT NOT NULL,
  position INTEGER NOT NULL,
  item_id VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  body {{text}} NOT NULL,
  free_preview {{bool}} NOT NULL,
  release_at BIGINT NOT NULL,
  release_after_days BIGINT NOT NULL,
  PRIMARY KEY (course_id, item_id)
) {{table_options}};

CREATE TABLE course_basic_done (
  user_id BIGINT NOT NULL,
  course_id BIGINT NOT NULL,
  item_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (user_id, course_id, item_id)
) {{table_options}};
