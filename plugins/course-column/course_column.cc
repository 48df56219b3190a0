// course-column (专栏): a course type whose items are articles in Markdown. Saving renders
// each article once to safe HTML (markdown.h); the outline shows titles, lengths, trial flags
// and release rules, never bodies; a reader's report {"read": true} marks an article read, and
// the column is complete when every article is.
#include <lore/sdk.h>

#include <cmath>

#include "column_content.h"
#include "markdown.h"

namespace {

using namespace lore::sdk;
using course_column::Article;

class ColumnType final : public courses::CourseTypeBase {
 public:
  ColumnType(db::Database& database, const Clock& clock, const Settings& settings)
      : database_(database),
        clock_(clock),
        chars_per_minute_(settings.get<std::int64_t>("chars_per_minute")),
        limits_{settings.get<std::int64_t>("max_articles"),
                settings.get<std::int64_t>("max_article_bytes")} {}

  std::string_view description() const noexcept override {
    return "Column (专栏): Markdown articles with trial articles and drip release";
  }

 protected:
  std::vector<http::FieldError> check(const nlohmann::json& content) override {
    return course_column::check_content(content, limits_);
  }

  void store(db::Transaction& tx, const courses::Course& course,
             const nlohmann::json& content) override {
    tx.execute("DELETE FROM course_column_articles WHERE course_id = ?", {course.id});
    int position = 0;
    for (const auto& a : course_column::articles_of(content))
      tx.execute(
          "INSERT INTO course_column_articles (course_id, position, article_id, title, "
          "body_markdown, body_html, characters, trial, release_at, release_after_days) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {course.id, position++, a.id, a.title, a.body_markdown,
           course_column::render_markdown(a.body_markdown),
           course_column::readable_characters(a.body_markdown), a.trial, a.release_at_ms,
           a.release_after_days});
  }

  std::vector<courses::Item> describe(const courses::Course& course,
                                      nlohmann::json& structure) override {
    std::vector<courses::Item> items;
    nlohmann::json articles = nlohmann::json::array();
    for (const auto& row : database_.session().query(
             "SELECT article_id, title, characters, trial, release_at, release_after_days FROM "
             "course_column_articles WHERE course_id = ? ORDER BY position",
             {course.id})) {
      courses::Item item{row.get<std::string>("article_id"), row.get<std::string>("title"),
                         row.get<bool>("trial"), row.get<std::int64_t>("release_at"),
                         row.get<std::int64_t>("release_after_days")};
      articles.push_back({{"id", item.id},
                          {"title", item.title},
                          {"trial", item.free_preview},
                          {"reading_minutes", minutes(row.get<std::int64_t>("characters"))}});
      items.push_back(std::move(item));
    }
    structure = {{"articles", std::move(articles)}};
    return items;
  }

  http::Response open(const courses::Delivery& d) override {
    auto row = database_.session().query_one(
        "SELECT body_html, characters FROM course_column_articles WHERE course_id = ? AND "
        "article_id = ?",
        {d.course.id, d.item.id});
    if (!row) throw http::Error(404, "not_found", "the column has no such article");
    return http::Response::json(
        {{"article",
          {{"id", d.item.id},
           {"title", d.item.title},
           {"html", row->get<std::string>("body_html")},
           {"reading_minutes", minutes(row->get<std::int64_t>("characters"))},
           {"trial", d.item.free_preview}}},
         {"access", d.decision}});
  }

  courses::Progress track(const courses::ProgressReport& r) override {
    if (!r.payload.contains("read") || !r.payload["read"].is_boolean())
      throw http::invalid_fields({{"read", "required", "read must be true or false"}});
    const bool read = r.payload["read"].get<bool>();
    auto session = database_.session();
    if (read)
      session.try_insert(
          "INSERT INTO course_column_reads (user_id, course_id, article_id, read_at) VALUES "
          "(?, ?, ?, ?)",
          {r.user_id, r.course.id, r.item.id, clock_.now_ms()});
    else
      session.execute(
          "DELETE FROM course_column_reads WHERE user_id = ? AND course_id = ? AND article_id = ?",
          {r.user_id, r.course.id, r.item.id});
    // Only articles still in the column count: a removed one leaves the ratio honest.
    const auto counts = session.query_one(
        "SELECT (SELECT COUNT(*) FROM course_column_articles WHERE course_id = ?) AS total, "
        "(SELECT COUNT(*) FROM course_column_reads r JOIN course_column_articles a ON "
        "a.course_id = r.course_id AND a.article_id = r.article_id WHERE r.user_id = ? AND "
        "r.course_id = ?) AS done",
        {r.course.id, r.user_id, r.course.id});
    const auto total = counts->get<std::int64_t>("total");
    const auto done = counts->get<std::int64_t>("done");
    return {read,
            total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0,
            {{"read", read}, {"articles_read", done}, {"articles", total}}};
  }

 private:
  std::int64_t minutes(std::int64_t characters) const {
    return std::max<std::int64_t>(1, (characters + chars_per_minute_ - 1) / chars_per_minute_);
  }

  db::Database& database_;
  const Clock& clock_;
  std::int64_t chars_per_minute_;
  course_column::Limits limits_;
};

class CourseColumn {
 public:
  Status start(Context& ctx) {
    return ctx.services().provide<courses::CourseType>(
        "column", std::make_shared<ColumnType>(ctx.database(), ctx.clock(), ctx.settings()));
  }
};

}  // namespace

LORE_PLUGIN(CourseColumn, "course-column", "1.0.0")
