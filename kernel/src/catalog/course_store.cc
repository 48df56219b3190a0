#include "catalog/course_store.h"

#include <algorithm>
#include <random>

#include "lore/sdk/http.h"
#include "lore/sdk/text.h"
#include "storage/sql_text.h"

namespace lore {

namespace db = sdk::db;
namespace sh = sdk::http;

namespace {

constexpr const char* kColumns =
    "c.id, c.slug, c.type, c.title, c.summary, c.cover_url, c.price_minor, c.currency, "
    "c.creator_id, c.status, c.created_at, c.updated_at, c.published_at";

Course course_of(const db::Row& row) {
  Course c;
  c.id = row.get<std::int64_t>("id");
  c.slug = row.get<std::string>("slug");
  c.type = row.get<std::string>("type");
  c.title = row.get<std::string>("title");
  c.summary = row.get<std::string>("summary");
  c.cover_url = row.get<std::string>("cover_url");
  c.price = {row.get<std::int64_t>("price_minor"), row.get<std::string>("currency")};
  c.creator_id = row.get<std::int64_t>("creator_id");
  c.status = row.get<std::string>("status");
  c.created_at_ms = row.get<std::int64_t>("created_at");
  c.updated_at_ms = row.get<std::int64_t>("updated_at");
  c.published_at_ms = row.get_optional<std::int64_t>("published_at").value_or(0);
  return c;
}

template <class Reader>
void load_tags(Reader& reader, std::vector<Course>& courses) {
  if (courses.empty()) return;
  std::string sql = "SELECT course_id, tag FROM lore_course_tags WHERE course_id IN (";
  sql += sql_placeholders(courses.size()) + ") ORDER BY course_id, tag";
  std::vector<db::Value> ids;
  for (const auto& c : courses) ids.emplace_back(c.id);
  for (const auto& row : reader.query(sql, ids)) {
    const auto id = row.template get<std::int64_t>("course_id");
    for (auto& c : courses)
      if (c.id == id) c.tags.push_back(row.template get<std::string>("tag"));
  }
}

template <class Reader>
std::optional<Course> load_one(Reader& reader, std::string_view where, const db::Value& key,
                               std::string_view lock = "") {
  auto rows = reader.query(std::string("SELECT ") + kColumns + " FROM lore_courses c WHERE " +
                               std::string(where) + " = ?" + std::string(lock),
                           {key});
  if (rows.rows.empty()) return std::nullopt;
  std::vector<Course> one{course_of(rows.rows.front())};
  load_tags(reader, one);
  return std::move(one.front());
}

sh::Error duplicate_slug(const std::string& slug) {
  return sh::Error(409, "duplicate_slug", "another course has the slug '" + slug + "'",
                   sh::field_errors_details({{"slug", "duplicate_slug", "the slug is taken"}}));
}

// A slug nobody chose: "c-" and 10 random base-36 characters.
std::string made_up_slug() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string slug = "c-";
  for (int i = 0; i < 10; ++i) slug += kAlphabet[random() % 36];
  return slug;
}

void replace_tags(db::Transaction& tx, std::int64_t id, const std::vector<std::string>& tags) {
  tx.execute("DELETE FROM lore_course_tags WHERE course_id = ?", {id});
  for (const auto& tag : tags)
    tx.execute("INSERT INTO lore_course_tags (course_id, tag) VALUES (?, ?)", {id, tag});
}

// LIKE pattern for "contains `text`", its wildcards escaped with '!'. The case is left to the
// database (see list()), so a search never misses text written in the same case.
std::string contains_pattern(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '!') pattern += '!';
    pattern += c;
  }
  return pattern + "%";
}

struct SortSpec {
  const char* key;  // the column ordered by, before the id
  bool descending;
};

SortSpec spec_of(CourseSort sort) {
  switch (sort) {
    case CourseSort::newest: return {"c.published_at", true};
    case CourseSort::popular: return {"c.learners", true};
    case CourseSort::price_low: return {"c.price_minor", false};
    case CourseSort::price_high: return {"c.price_minor", true};
  }
  return {"c.published_at", true};
}

}  // namespace

CourseStore::CourseStore(db::Database& database, const sdk::Clock& clock)
    : database_(database), clock_(clock) {}

std::string_view CourseStore::to_string(CourseSort sort) noexcept {
  switch (sort) {
    case CourseSort::newest: return "newest";
    case CourseSort::popular: return "popular";
    case CourseSort::price_low: return "price_low";
    case CourseSort::price_high: return "price_high";
  }
  return "newest";
}

Course CourseStore::create(db::Transaction& tx, const CourseFields& f, std::int64_t creator_id) {
  const auto now = clock_.now_ms();
  const auto slug = f.slug.value_or(made_up_slug());
  std::int64_t id = 0;
  try {
    id = tx.insert(
        "INSERT INTO lore_courses (slug, type, title, summary, cover_url, price_minor, currency, "
        "creator_id, status, learners, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', 0, ?, ?)",
        {slug, f.type.value(), f.title.value(), f.summary.value_or(""), f.cover_url.value_or(""),
         f.price.value().amount_minor, f.price.value().currency, creator_id, now, now});
  } catch (const db::Error& e) {
    if (e.kind() == db::ErrorKind::duplicate) throw duplicate_slug(slug);
    throw;
  }
  replace_tags(tx, id, f.tags.value_or(std::vector<std::string>{}));
  auto course = load_one(tx, "c.id", id);
  if (!course) throw sh::Error(500, "internal", "a new course vanished in its transaction");
  return *course;
}

Course CourseStore::update(db::Transaction& tx, std::int64_t id, const CourseFields& f) {
  std::string sets = "updated_at = ?";
  std::vector<db::Value> params{clock_.now_ms()};
  auto set = [&](const char* column, db::Value value) {
    sets += std::string(", ") + column + " = ?";
    params.push_back(std::move(value));
  };
  if (f.slug) set("slug", *f.slug);
  if (f.type) set("type", *f.type);
  if (f.title) set("title", *f.title);
  if (f.summary) set("summary", *f.summary);
  if (f.cover_url) set("cover_url", *f.cover_url);
  if (f.price) {
    set("price_minor", f.price->amount_minor);
    set("currency", f.price->currency);
  }
  params.emplace_back(id);
  try {
    if (tx.execute("UPDATE lore_courses SET " + sets + " WHERE id = ?", params) == 0)
      throw sh::Error(404, "not_found", "no such course");
  } catch (const db::Error& e) {
    if (e.kind() == db::ErrorKind::duplicate) throw duplicate_slug(*f.slug);
    throw;
  }
  if (f.tags) replace_tags(tx, id, *f.tags);
  auto course = load_one(tx, "c.id", id);
  if (!course) throw sh::Error(404, "not_found", "no such course");
  return *course;
}

std::pair<Course, bool> CourseStore::transition(db::Transaction& tx, std::int64_t id,
                                                const std::vector<std::string>& from,
                                                const std::string& to) {
  const auto now = clock_.now_ms();
  std::string sql = "UPDATE lore_courses SET status = ?, updated_at = ?";
  std::vector<db::Value> params{to, now};
  if (to == "published") {
    sql += ", published_at = COALESCE(published_at, ?)";
    params.emplace_back(now);
  }
  sql += " WHERE id = ? AND status IN (";
  params.emplace_back(id);
  sql += sql_placeholders(from.size()) + ")";
  for (const auto& state : from) params.emplace_back(state);
  const bool moved = tx.execute(sql, params) > 0;
  auto course = load_one(tx, "c.id", id);
  if (!course) throw sh::Error(404, "not_found", "no such course");
  return {std::move(*course), moved};
}

std::optional<Course> CourseStore::find(std::int64_t id) {
  auto session = database_.session();
  return load_one(session, "c.id", id);
}

std::optional<Course> CourseStore::find_by_slug(std::string_view slug) {
  auto session = database_.session();
  return load_one(session, "c.slug", std::string(slug));
}

std::optional<Course> CourseStore::find_for_update(db::Transaction& tx, std::int64_t id) {
  return load_one(tx, "c.id", id, db::row_lock(tx.dialect()));
}

CoursePage CourseStore::list(const CourseQuery& q) {
  const auto spec = spec_of(q.sort);
  std::string sql = std::string("SELECT ") + kColumns + ", c.learners FROM lore_courses c WHERE ";
  std::vector<db::Value> params;
  sql += "c.status IN (" + sql_placeholders(q.statuses.size()) + ")";
  for (const auto& status : q.statuses) params.emplace_back(status);
  if (!q.type.empty()) {
    sql += " AND c.type = ?";
    params.emplace_back(q.type);
  }
  if (q.creator_id != 0) {
    sql += " AND c.creator_id = ?";
    params.emplace_back(q.creator_id);
  }
  if (q.free) sql += *q.free ? " AND c.price_minor = 0" : " AND c.price_minor > 0";
  if (!q.tag.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM lore_course_tags t WHERE t.course_id = c.id AND t.tag = ?)";
    params.emplace_back(q.tag);
  }
  if (!q.text.empty()) {
    const auto pattern = contains_pattern(q.text);
    // Case-insensitive on both: SQLite's LIKE ignores ASCII case; on MySQL the columns are
    // utf8mb4_bin (byte-wise), so the comparison names a case-insensitive collation.
    const std::string ci =
        database_.dialect() == db::Dialect::mysql ? " COLLATE utf8mb4_unicode_ci" : "";
    sql += " AND (c.title" + ci + " LIKE ? ESCAPE '!' OR c.summary" + ci + " LIKE ? ESCAPE '!')";
    params.emplace_back(pattern);
    params.emplace_back(pattern);
  }
  // Keyset pagination: the cursor is the last row's sort key and id, so pages neither skip nor
  // repeat rows when courses are added meanwhile. A course never published sorts as 0.
  const std::string key = std::string("COALESCE(") + spec.key + ", 0)";
  if (!q.cursor.empty()) {
    const std::string prefix = std::string(to_string(q.sort)) + ":";
    std::optional<std::int64_t> last_key, last_id;
    if (q.cursor.rfind(prefix, 0) == 0) {
      const auto rest = std::string_view(q.cursor).substr(prefix.size());
      const auto colon = rest.find(':');
      if (colon != std::string_view::npos) {
        last_key = sdk::text::non_negative_integer(rest.substr(0, colon));
        last_id = sdk::text::positive_integer(rest.substr(colon + 1));
      }
    }
    if (!last_key || !last_id)
      throw sh::invalid_fields(
          {{"cursor", "invalid_cursor", "cursor must be a next_cursor of this same query"}});
    const char* beyond = spec.descending ? "<" : ">";
    sql += " AND (" + key + " " + beyond + " ? OR (" + key + " = ? AND c.id " + beyond + " ?))";
    params.emplace_back(*last_key);
    params.emplace_back(*last_key);
    params.emplace_back(*last_id);
  }
  const char* direction = spec.descending ? " DESC" : " ASC";
  const int limit = std::clamp(q.limit, 1, 100);
  sql += " ORDER BY " + key + direction + ", c.id" + direction + " LIMIT " +
         std::to_string(limit + 1);  // one more tells whether a next page exists

  auto session = database_.session();
  CoursePage page;
  std::vector<std::int64_t> keys;
  for (const auto& row : session.query(sql, params)) {
    page.courses.push_back(course_of(row));
    keys.push_back(q.sort == CourseSort::newest    ? page.courses.back().published_at_ms
                   : q.sort == CourseSort::popular ? row.get<std::int64_t>("learners")
                                                   : page.courses.back().price.amount_minor);
  }
  if (static_cast<int>(page.courses.size()) > limit) {
    page.courses.pop_back();
    page.next_cursor = std::string(to_string(q.sort)) + ":" +
                       std::to_string(keys[static_cast<std::size_t>(limit) - 1]) + ":" +
                       std::to_string(page.courses.back().id);
  }
  load_tags(session, page.courses);
  return page;
}

}  // namespace lore
