-- A live course's sessions. seats_taken is the number of rows in course_live_seats for the
-- session, kept by the same transaction that adds or removes a seat, and never above capacity:
-- the increment is conditional (seats_taken < capacity), so concurrent reservations queue on
-- the row and the last seat goes to exactly one of them.
CREATE TABLE course_live_sessions (
  course_id BIGINT NOT NULL,
  position INTEGER NOT NULL,
  session_id VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  starts_at BIGINT NOT NULL,
  duration_min INTEGER NOT NULL,
  capacity INTEGER NOT NULL,
  seats_taken INTEGER NOT NULL,
  join_url VARCHAR(2000) NOT NULL,
  replay_url VARCHAR(2000) NOT NULL,
  free_preview {{bool}} NOT NULL,
  PRIMARY KEY (course_id, session_id)
) {{table_options}};

CREATE TABLE course_live_seats (
  course_id BIGINT NOT NULL,
  session_id VARCHAR(64) NOT NULL,
  user_id BIGINT NOT NULL,
  reserved_at {{time}} NOT NULL,
  attended {{bool}} NOT NULL,
  PRIMARY KEY (course_id, session_id, user_id)
) {{table_options}};
