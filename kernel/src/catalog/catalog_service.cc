#include "catalog/catalog_service.h"

#include <chrono>
#include <set>

#include "catalog/access_rules.h"
#include "catalog/course_fields.h"
#include "lore/sdk/hooks.h"
#include "lore/sdk/text.h"
#include "lore/sdk/type_name.h"

namespace lore {

namespace db = sdk::db;
namespace sh = sdk::http;
namespace courses = sdk::courses;

namespace {

// What a course type answered instead of a result, thrown on the kernel's side: a conflict
// as db::Error so that the transaction runs again, anything else as the client's answer.
[[noreturn]] void raise(const sh::Response& failure) {
  const auto code = failure.error ? failure.error->code : std::string("internal");
  const auto message = failure.error ? failure.error->message : std::string("internal error");
  if (code == "conflict") throw db::Error(db::ErrorKind::conflict, message);
  throw sh::Error(failure.status, code, message,
                  failure.error ? failure.error->details : nlohmann::json(nullptr));
}

void raise_if(const courses::Failure& failure) {
  if (failure) raise(*failure);
}

bool is_admin_or_creator(const Course& course, const sh::Principal* viewer) {
  return viewer != nullptr && (viewer->has_role("admin") || viewer->user_id == course.creator_id);
}

constexpr std::string_view kCacheNamespace = "kernel.courses";
constexpr std::chrono::milliseconds kCacheTtl{60000};

// The cache's own form of a course: times as integers, unlike the API's.
std::string encoded(const Course& c) {
  return nlohmann::json{{"i", c.id},
                        {"s", c.slug},
                        {"t", c.type},
                        {"ti", c.title},
                        {"su", c.summary},
                        {"co", c.cover_url},
                        {"g", c.tags},
                        {"pa", c.price.amount_minor},
                        {"pc", c.price.currency},
                        {"cr", c.creator_id},
                        {"st", c.status},
                        {"ca", c.created_at_ms},
                        {"ua", c.updated_at_ms},
                        {"pu", c.published_at_ms}}
      .dump();
}

std::optional<Course> decoded(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    Course c;
    c.id = j.at("i").get<std::int64_t>();
    c.slug = j.at("s").get<std::string>();
    c.type = j.at("t").get<std::string>();
    c.title = j.at("ti").get<std::string>();
    c.summary = j.at("su").get<std::string>();
    c.cover_url = j.at("co").get<std::string>();
    c.tags = j.at("g").get<std::vector<std::string>>();
    c.price = {j.at("pa").get<std::int64_t>(), j.at("pc").get<std::string>()};
    c.creator_id = j.at("cr").get<std::int64_t>();
    c.status = j.at("st").get<std::string>();
    c.created_at_ms = j.at("ca").get<std::int64_t>();
    c.updated_at_ms = j.at("ua").get<std::int64_t>();
    c.published_at_ms = j.at("pu").get<std::int64_t>();
    return c;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // written by another version: read the database
  }
}

const courses::Item* find_item(const std::vector<courses::Item>& items, std::string_view id) {
  for (const auto& item : items)
    if (item.id == id) return &item;
  return nullptr;
}

}  // namespace

CatalogService::CatalogService(db::Database& database, const sdk::Clock& clock, sdk::Cache& cache,
                               const ServiceRegistry& services, HookBus& hooks, Outbox& outbox,
                               std::int64_t public_cache_ms)
    : database_(database),
      clock_(clock),
      cache_(cache),
      services_(services),
      hooks_(hooks),
      outbox_(outbox),
      courses_(database, clock),
      entitlements_(database, clock),
      public_answers_(std::make_shared<ResponseCache>(
          clock, ResponseCache::Options{.ttl_ms = public_cache_ms,
                                        .epoch = [&services] { return services.generation(); }})) {}

std::optional<Course> CatalogService::find(std::int64_t id) {
  const auto key = "id:" + std::to_string(id);
  if (auto text = cache_.get(kCacheNamespace, key))
    if (auto course = decoded(*text)) return course;
  auto course = courses_.find(id);
  if (!course) return course;
  const auto text = encoded(*course);
  cache_.set(kCacheNamespace, key, text, kCacheTtl);
  // A second look after caching: a write that committed while we read has already forgotten
  // the entry we just stored over, so look again and drop ours if the course moved on. Misses
  // are rare (a minute per course), so the extra read is cheap.
  if (auto again = courses_.find(id); !again || encoded(*again) != text)
    cache_.erase(kCacheNamespace, key);
  return course;
}

std::optional<Course> CatalogService::find_by_slug(std::string_view slug) {
  const auto key = "slug:" + std::string(slug);
  if (auto text = cache_.get(kCacheNamespace, key))
    if (auto id = sdk::text::positive_integer(*text)) {
      // A slug can move to another course: trust the mapping only if the course agrees.
      if (auto course = find(*id); course && course->slug == slug) return course;
    }
  auto course = courses_.find_by_slug(slug);
  if (course) cache_.set(kCacheNamespace, key, std::to_string(course->id), kCacheTtl);
  return course;
}

void CatalogService::forget(const Course& course) {
  cache_.erase(kCacheNamespace, "id:" + std::to_string(course.id));
  cache_.erase(kCacheNamespace, "slug:" + course.slug);
  public_answers_->invalidate(course.id);
}

std::vector<std::string> CatalogService::type_names() const {
  return services_.names(courses::CourseType::kServiceKind);
}

std::shared_ptr<courses::CourseType> CatalogService::type_of(std::string_view type) const {
  return std::static_pointer_cast<courses::CourseType>(services_.find(
      courses::CourseType::kServiceKind, sdk::type_name<courses::CourseType>(), type));
}

std::shared_ptr<courses::CourseType> CatalogService::running_type(const Course& course) const {
  if (auto type = type_of(course.type)) return type;
  auto error = sh::Error(503, "course_type_unavailable",
                         "courses of type '" + course.type +
                             "' are unavailable right now: no running plugin provides that "
                             "course type; try again later",
                         {{"type", course.type}, {"retry_after_s", 30}});
  throw error;
}

std::pair<nlohmann::json, std::vector<courses::Item>> CatalogService::outline_of(
    courses::CourseType& type, const Course& course) const {
  nlohmann::json structure = nlohmann::json::object();
  std::vector<courses::Item> items;
  raise_if(type.outline(course, structure, items));
  return {std::move(structure), std::move(items)};
}

void CatalogService::check_content(courses::CourseType& type, const nlohmann::json& content,
                                   std::vector<sh::FieldError>& problems) const {
  if (!content.is_object()) {
    problems.push_back({"content", "invalid_type", "content must be a JSON object"});
    return;
  }
  std::vector<sh::FieldError> found;
  raise_if(type.validate(content, found));
  problems.insert(problems.end(), found.begin(), found.end());
}

Course CatalogService::create(const nlohmann::json& body, std::int64_t creator_id) {
  std::vector<sh::FieldError> problems;
  const auto fields = read_course_fields(body, true, problems);
  std::shared_ptr<courses::CourseType> type;
  if (fields.type) {
    type = type_of(*fields.type);
    if (!type) {
      const auto names = type_names();
      problems.push_back(
          {"type", "unknown_type",
           "unknown course type '" + *fields.type + "'; " +
               (names.empty() ? "no course type is running (enable a course-type plugin)"
                              : "registered types: " + sdk::text::join(names))});
    }
  }
  const auto content = body.contains("content") ? body["content"] : nlohmann::json::object();
  if (type) check_content(*type, content, problems);
  if (!problems.empty()) throw sh::invalid_fields(std::move(problems));
  return database_.transact([&](db::Transaction& tx) {
    auto course = courses_.create(tx, fields, creator_id);
    raise_if(type->save(tx, course, content));
    return course;
  });
}

Course CatalogService::update(std::int64_t id, const nlohmann::json& body) {
  auto current = courses_.find(id);  // the database's copy: about to be changed
  if (!current) throw sh::Error(404, "not_found", "no such course");
  std::vector<sh::FieldError> problems;
  const auto fields = read_course_fields(body, false, problems);
  if (fields.type && *fields.type != current->type)
    problems.push_back(
        {"type", "immutable",
         "a course's type cannot change; create a new course of type '" + *fields.type + "'"});
  const bool with_content = body.contains("content");
  std::shared_ptr<courses::CourseType> type;
  if (with_content) {
    type = running_type(*current);
    check_content(*type, body["content"], problems);
  }
  if (!problems.empty()) throw sh::invalid_fields(std::move(problems));
  return database_.transact([&](db::Transaction& tx) {
    auto course = courses_.update(tx, id, fields);
    if (with_content) raise_if(type->save(tx, course, body["content"]));
    tx.after_commit([this, old = *current, course] {
      forget(old);  // its slug may have moved
      forget(course);
    });
    return course;
  });
}

Course CatalogService::change_status(std::int64_t id, const std::string& to) {
  auto current = courses_.find(id);
  if (!current) throw sh::Error(404, "not_found", "no such course");
  // Publishing shows the course to everyone: its type must be there to show it.
  if (to == "published") running_type(*current);
  const std::vector<std::string> from = to == "published"
                                            ? std::vector<std::string>{"draft", "archived"}
                                            : std::vector<std::string>{"published"};
  return database_.transact([&](db::Transaction& tx) {
    auto [course, moved] = courses_.transition(tx, id, from, to);
    if (!moved)
      throw sh::Error(409, "invalid_transition",
                      "a " + course.status + " course cannot become " + to +
                          (to == "published" ? "" : " (only a published course can be archived)"),
                      {{"status", course.status}});
    tx.after_commit([this, course, to] {
      forget(course);
      if (to == "published")
        hooks_.fire(sdk::hooks::course_published, sdk::CoursePublished{course});
    });
    return course;
  });
}

Course CatalogService::visible(std::string_view id_or_slug, const sh::Principal* viewer,
                               bool fresh) {
  std::optional<Course> course;
  const auto id = sdk::text::positive_integer(id_or_slug);
  if (fresh)
    course = id ? courses_.find(*id) : courses_.find_by_slug(id_or_slug);
  else
    course = id ? find(*id) : find_by_slug(id_or_slug);
  // Someone else's draft looks missing, like any resource of someone else.
  if (!course || (course->status == "draft" && !is_admin_or_creator(*course, viewer)))
    throw sh::Error(404, "not_found", "no such course");
  return *course;
}

courses::Decision CatalogService::decide(const Course& course, const courses::Item& item,
                                         const sh::Principal* viewer) {
  std::optional<Entitlement> entitlement;
  if (viewer != nullptr) entitlement = entitlements_.find(viewer->user_id, course.id);
  return decide_access(
      {course, item, viewer, entitlement ? &*entitlement : nullptr, clock_.now_ms()});
}

nlohmann::json CatalogService::page(const Course& course, const sh::Principal* viewer) {
  auto type = running_type(course);
  auto [structure, items] = outline_of(*type, course);
  std::optional<Entitlement> entitlement;
  if (viewer != nullptr) entitlement = entitlements_.find(viewer->user_id, course.id);
  const auto now = clock_.now_ms();
  nlohmann::json listed = nlohmann::json::array();
  for (const auto& item : items) {
    const auto decision =
        decide_access({course, item, viewer, entitlement ? &*entitlement : nullptr, now});
    listed.push_back(
        {{"id", item.id},
         {"title", item.title},
         {"free_preview", item.free_preview},
         {"release_at", item.release_at_ms ? nlohmann::json(sdk::rfc3339(item.release_at_ms))
                                           : nlohmann::json(nullptr)},
         {"release_after_days", item.release_after_days},
         {"access", decision}});
  }
  nlohmann::json out{{"course", course}, {"outline", std::move(structure)}, {"items", listed}};
  if (entitlement) out["entitlement"] = *entitlement;
  return out;
}

CatalogService::OpenItem CatalogService::open(const Course& course, std::string_view item_id,
                                              const sh::Principal* viewer) {
  OpenItem found;
  found.type = running_type(course);
  const auto items = outline_of(*found.type, course).second;
  const auto* item = find_item(items, item_id);
  if (item == nullptr) throw sh::Error(404, "not_found", "the course has no such item");
  found.item = *item;
  found.decision = decide(course, found.item, viewer);
  if (!found.decision.allowed) {
    if (found.decision.reason == courses::Reason::not_published)
      throw sh::Error(404, "not_found", "no such course");
    throw sh::Error(403, std::string(courses::to_string(found.decision.reason)),
                    found.decision.message, nlohmann::json(found.decision));
  }
  return found;
}

sh::Response CatalogService::open_item(const Course& course, std::string_view item_id,
                                       const sh::Request& request) {
  const sh::Principal* viewer = request.principal ? &*request.principal : nullptr;
  const auto found = open(course, item_id, viewer);
  return found.type->deliver({course, found.item, viewer, found.decision, request});
}

nlohmann::json CatalogService::record_progress(const Course& course, std::string_view item_id,
                                               const sh::Request& request) {
  const auto& viewer = *request.principal;
  const auto found = open(course, item_id, &viewer);
  const auto payload = sh::parse_json_object_body(request);
  courses::Progress progress;
  raise_if(found.type->record_progress(
      {course, found.item, viewer.user_id, payload, found.decision}, progress));
  const bool course_done = progress.course_fraction >= 1.0 - 1e-9;
  const std::string item_key(item_id);
  bool first_item = false, first_course = false;
  database_.transact([&](db::Transaction& tx) {
    const auto now = clock_.now_ms();
    // The insert that succeeds is the first completion: two racing reports fire the hook once.
    first_item = progress.item_completed &&
                 tx.try_insert(
                     "INSERT INTO lore_item_completions (user_id, course_id, item_id, "
                     "completed_at) VALUES (?, ?, ?, ?)",
                     {viewer.user_id, course.id, item_key, now});
    first_course = course_done && tx.try_insert(
                                      "INSERT INTO lore_course_completions (user_id, course_id, "
                                      "completed_at) VALUES (?, ?, ?)",
                                      {viewer.user_id, course.id, now});
    tx.after_commit([&, user = viewer.user_id] {
      if (progress.outline_changed) public_answers_->invalidate(course.id);
      if (first_item)
        hooks_.fire(sdk::hooks::lesson_completed, sdk::ItemCompleted{course, item_key, user});
      if (first_course)
        hooks_.fire(sdk::hooks::course_completed, sdk::CourseCompleted{course, user});
      hooks_.fire(sdk::hooks::progress_updated,
                  sdk::ProgressUpdated{course, item_key, user, progress.course_fraction});
    });
  });
  return {{"item_id", item_key},
          {"state", progress.state},
          {"item_completed", progress.item_completed},
          {"course_fraction", progress.course_fraction},
          {"course_completed", course_done}};
}

std::pair<Entitlement, bool> CatalogService::grant(const Grant& grant) {
  if (!courses_.find(grant.course_id)) throw sh::Error(404, "not_found", "no such course");
  return database_.transact([&](db::Transaction& tx) {
    if (!tx.query_one("SELECT id FROM lore_users WHERE id = ?", {grant.user_id}))
      throw sh::invalid_fields({{"user_id", "unknown_user", "no user with this id"}});
    return this->grant(tx, grant, 0);
  });
}

std::pair<Entitlement, bool> CatalogService::grant(db::Transaction& tx, const Grant& grant,
                                                   std::int64_t order_id) {
  auto result = entitlements_.grant(tx, grant);
  // The count of learners (and the popular order) moves.
  tx.after_commit(
      [this, course_id = result.first.course_id] { public_answers_->invalidate(course_id); });
  if (result.second)
    outbox_.publish(tx, sdk::hooks::entitlement_granted, result.first.id,
                    sdk::EntitlementGranted{result.first, order_id});
  return result;
}

bool CatalogService::revoke(std::int64_t user_id, std::int64_t course_id) {
  return database_.transact([&](db::Transaction& tx) { return revoke(tx, user_id, course_id); });
}

bool CatalogService::revoke(db::Transaction& tx, std::int64_t user_id, std::int64_t course_id) {
  tx.after_commit([this, course_id] { public_answers_->invalidate(course_id); });
  return entitlements_.revoke(tx, user_id, course_id);
}

nlohmann::json CatalogService::library(std::int64_t user_id) {
  const auto now = clock_.now_ms();
  nlohmann::json items = nlohmann::json::array();
  // One connection at a time: each read below leases and returns its own, so the route works
  // with a pool of one and never holds a connection while waiting for another.
  const auto entitlements = entitlements_.of_user(user_id);
  std::set<std::int64_t> completed_courses;
  for (const auto& row : database_.session().query(
           "SELECT course_id FROM lore_course_completions WHERE user_id = ?", {user_id}))
    completed_courses.insert(row.get<std::int64_t>("course_id"));
  for (const auto& e : entitlements) {
    auto course = find(e.course_id);
    if (!course) continue;
    const bool completed = completed_courses.count(e.course_id) > 0;
    items.push_back({{"course", *course},
                     {"entitlement", e},
                     {"live", e.live(now)},
                     {"available", type_of(course->type) != nullptr},
                     {"completed", completed}});
  }
  return {{"items", items}};
}

}  // namespace lore
