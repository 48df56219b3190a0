-- A column's articles, in order. The Markdown is kept as written and the HTML as rendered once,
-- when saved: readers never pay for rendering.
CREATE TABLE course_column_articles (
  course_id BIGINT NOT NULL,
  position INTEGER NOT NULL,
  article_id VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  body_markdown {{text}} NOT NULL,
  body_html {{text}} NOT NULL,
  characters BIGINT NOT NULL,
  trial {{bool}} NOT NULL,
  release_at BIGINT NOT NULL,
  release_after_days BIGINT NOT NULL,
  PRIMARY KEY (course_id, article_id)
) {{table_options}};
CREATE INDEX course_column_articles_order ON course_column_articles (course_id, position);

-- Who read what: a report {"read": true} marks an article read.
CREATE TABLE course_column_reads (
  user_id BIGINT NOT NULL,
  course_id BIGINT NOT NULL,
  article_id VARCHAR(64) NOT NULL,
  read_at {{time}} NOT NULL,
  PRIMARY KEY (user_id, course_id, article_id)
) {{table_options}};
