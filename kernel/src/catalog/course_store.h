// Catalog entries (lore_courses, lore_course_tags): what is sold, at what price, by whom, in
// which state. Content belongs to the course-type plugins; this is what money and access need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lore/sdk/clock.h"
#include "lore/sdk/courses.h"
#include "lore/sdk/database.h"

namespace lore {

using Course = sdk::courses::Course;

// The fields a creator sets. In an update, absent fields stay as they are.
struct CourseFields {
  std::optional<std::string> slug;
  std::optional<std::string> type;
  std::optional<std::string> title;
  std::optional<std::string> summary;
  std::optional<std::string> cover_url;
  std::optional<std::vector<std::string>> tags;
  std::optional<sdk::courses::Price> price;
};

enum class CourseSort { newest, popular, price_low, price_high };

struct CourseQuery {
  std::vector<std::string> statuses{"published"};
  std::string type;
  std::string tag;
  std::int64_t creator_id = 0;  // 0: anyone's
  std::optional<bool> free;     // true: price 0 only; false: paid only
  std::string text;             // in the title or summary, case-insensitive
  CourseSort sort = CourseSort::newest;
  std::string cursor;  // next_cursor of the previous page, for the same query
  int limit = 20;
};

struct CoursePage {
  std::vector<Course> courses;
  std::string next_cursor;  // empty on the last page
};

class CourseStore {
 public:
  CourseStore(sdk::db::Database& database, const sdk::Clock& clock);

  // A new draft. `fields` must hold type, title and price (checked by read_course_fields);
  // without a slug one is made up. Throws http::Error 409 duplicate_slug.
  Course create(sdk::db::Transaction& tx, const CourseFields& fields, std::int64_t creator_id);
  // Applies the fields that are set. Throws http::Error 409 duplicate_slug, 404 not_found.
  Course update(sdk::db::Transaction& tx, std::int64_t id, const CourseFields& fields);
  // Moves the course to `to` if its status is one of `from` (a conditional update: of two
  // concurrent transitions one wins); the first publication stamps published_at. Returns the
  // course as it is after the attempt, and whether this call moved it.
  std::pair<Course, bool> transition(sdk::db::Transaction& tx, std::int64_t id,
                                     const std::vector<std::string>& from, const std::string& to);

  std::optional<Course> find(std::int64_t id);
  std::optional<Course> find_by_slug(std::string_view slug);
  // Within `tx`, locking the row on MySQL so that concurrent changes queue behind it.
  std::optional<Course> find_for_update(sdk::db::Transaction& tx, std::int64_t id);

  // Throws http::Error 400 invalid_cursor for a cursor of another sort or a forged one.
  CoursePage list(const CourseQuery& query);

  static std::string_view to_string(CourseSort sort) noexcept;

 private:
  sdk::db::Database& database_;
  const sdk::Clock& clock_;
};

}  // namespace lore
