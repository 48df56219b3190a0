// course-basic: the smallest useful course type, for the kernel's catalog tests. Content is
// {"items": [{"id", "title", "body", "free_preview"?, "release_at_ms"?, "release_after_days"?}]};
// an item is delivered as {"item": {id, title, body}}; a report {"completed": true} completes
// it, and the course is done when every item is.
#include <lore/sdk.h>

#include <set>

namespace {

using namespace lore::sdk;

class BasicType final : public courses::CourseTypeBase {
 public:
  explicit BasicType(db::Database& database) : database_(database) {}

  std::string_view description() const noexcept override {
    return "Test course type: items of plain text";
  }

 protected:
  std::vector<http::FieldError> check(const nlohmann::json& content) override {
    std::vector<http::FieldError> problems;
    if (!content.contains("items") || !content["items"].is_array() || content["items"].empty()) {
      problems.push_back({"content.items", "required", "items must be a non-empty list"});
      return problems;
    }
    std::set<std::string> ids;
    for (std::size_t i = 0; i < content["items"].size(); ++i) {
      const auto& item = content["items"][i];
      const auto at = "content.items[" + std::to_string(i) + "]";
      if (!item.is_object() || !item.contains("id") || !item["id"].is_string() ||
          item["id"].get<std::string>().empty() || item["id"].get<std::string>().size() > 64) {
        problems.push_back({at + ".id", "required", "every item needs an id of 1 to 64 bytes"});
        continue;
      }
      if (!ids.insert(item["id"].get<std::string>()).second)
        problems.push_back({at + ".id", "duplicate", "item ids are unique within a course"});
      if (!item.contains("title") || !item["title"].is_string())
        problems.push_back({at + ".title", "required", "every item needs a title"});
      if (item.contains("release_after_days") && !item["release_after_days"].is_number_integer())
        problems.push_back({at + ".release_after_days", "invalid_type", "a whole number"});
    }
    return problems;
  }

  void store(db::Transaction& tx, const courses::Course& course,
             const nlohmann::json& content) override {
    tx.execute("DELETE FROM course_basic_items WHERE course_id = ?", {course.id});
    int position = 0;
    for (const auto& item : content["items"])
      tx.execute(
          "INSERT INTO course_basic_items (course_id, position, item_id, title, body, "
          "free_preview, release_at, release_after_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {course.id, position++, item["id"].get<std::string>(), item["title"].get<std::string>(),
           item.value("body", std::string()), item.value("free_preview", false),
           item.value("release_at_ms", std::int64_t{0}),
           item.value("release_after_days", std::int64_t{0})});
  }

  std::vector<courses::Item> describe(const courses::Course& course,
                                      nlohmann::json& structure) override {
    std::vector<courses::Item> items;
    for (const auto& row : database_.session().query(
             "SELECT item_id, title, free_preview, release_at, release_after_days FROM "
             "course_basic_items WHERE course_id = ? ORDER BY position",
             {course.id}))
      items.push_back({row.get<std::string>("item_id"), row.get<std::string>("title"),
                       row.get<bool>("free_preview"), row.get<std::int64_t>("release_at"),
                       row.get<std::int64_t>("release_after_days")});
    structure = {{"items", items.size()}};
    return items;
  }

  http::Response open(const courses::Delivery& d) override {
    auto row = database_.session().query_one(
        "SELECT body FROM course_basic_items WHERE course_id = ? AND item_id = ?",
        {d.course.id, d.item.id});
    if (!row) throw http::Error(404, "not_found", "no such item");
    return http::Response::json(
        {{"item",
          {{"id", d.item.id}, {"title", d.item.title}, {"body", row->get<std::string>("body")}}},
         {"access", d.decision}});
  }

  courses::Progress track(const courses::ProgressReport& r) override {
    if (!r.payload.contains("completed") || !r.payload["completed"].is_boolean())
      throw http::invalid_fields({{"completed", "required", "completed must be true or false"}});
    auto session = database_.session();
    if (r.payload["completed"].get<bool>())
      session.try_insert(
          "INSERT INTO course_basic_done (user_id, course_id, item_id) VALUES (?, ?, ?)",
          {r.user_id, r.course.id, r.item.id});
    const auto done = session
                          .query_one(
                              "SELECT COUNT(*) AS n FROM course_basic_done WHERE user_id = "
                              "? AND course_id = ?",
                              {r.user_id, r.course.id})
                          ->get<std::int64_t>("n");
    const auto total = session
                           .query_one(
                               "SELECT COUNT(*) AS n FROM course_basic_items WHERE "
                               "course_id = ?",
                               {r.course.id})
                           ->get<std::int64_t>("n");
    const bool completed = r.payload["completed"].get<bool>();
    return {completed,
            total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0,
            {{"completed", completed}}};
  }

 private:
  db::Database& database_;
};

class CourseBasic {
 public:
  Status start(Context& ctx) {
    return ctx.services().provide<courses::CourseType>("basic",
                                                       std::make_shared<BasicType>(ctx.database()));
  }
};

}  // namespace

LORE_PLUGIN(CourseBasic, "course-basic", "1.0.0")
