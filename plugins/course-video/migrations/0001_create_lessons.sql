-- Lessons in course order. media_path is where the video lives in the media store: it is never
-- shown to clients, only signed into short-lived links.
CREATE TABLE course_video_lessons (
  course_id BIGINT NOT NULL,
  position INTEGER NOT NULL,
  section_index INTEGER NOT NULL,
  section_title VARCHAR(200) NOT NULL,
  lesson_id VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  duration_s BIGINT NOT NULL,
  media_path VARCHAR(1000) NOT NULL,
  free_preview {{bool}} NOT NULL,
  release_at BIGINT NOT NULL,
  release_after_days BIGINT NOT NULL,
  PRIMARY KEY (course_id, lesson_id)
) {{table_options}};
CREATE INDEX course_video_lessons_order ON course_video_lessons (course_id, position);

-- The last position a learner reported, and whether the lesson counts as completed.
CREATE TABLE course_video_progress (
  user_id BIGINT NOT NULL,
  course_id BIGINT NOT NULL,
  lesson_id VARCHAR(64) NOT NULL,
  position_s BIGINT NOT NULL,
  completed {{bool}} NOT NULL,
  updated_at {{time}} NOT NULL,
  PRIMARY KEY (user_id, course_id, lesson_id)
) {{table_options}};
