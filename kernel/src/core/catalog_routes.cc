// The catalog routes: browse and read courses, write them (their creators and admins), open
// and report progress on items (the access engine decides), the learner's library and the
// admin's grants. Course types are plugins; these routes are the same whatever the type.

#include "catalog/catalog_service.h"
#include "core/kernel.h"
#include "core/route_input.h"
#include "lore/sdk/text.h"

namespace lore {

namespace sh = sdk::http;

namespace {

const sh::Principal* viewer_of(const sh::Request& request) {
  return request.principal ? &*request.principal : nullptr;
}

// ?type=&tag=&creator=&price=free|paid&q=&sort=&cursor=&limit=
CourseQuery course_query(const sh::Request& request) {
  CourseQuery q;
  std::vector<sh::FieldError> errors;
  if (auto v = request.query_param("type")) q.type = *v;
  if (auto v = request.query_param("tag")) q.tag = sdk::text::ascii_lower(*v);
  if (auto v = request.query_param("creator")) {
    if (auto id = sdk::text::positive_integer(*v))
      q.creator_id = *id;
    else
      errors.push_back({"creator", "invalid_id", "creator must be a user id"});
  }
  if (auto v = request.query_param("price")) {
    if (*v == "free" || *v == "paid")
      q.free = *v == "free";
    else
      errors.push_back({"price", "invalid_value", "price must be free or paid"});
  }
  if (auto v = request.query_param("q")) {
    if (v->size() > 100)
      errors.push_back({"q", "too_long", "q must be at most 100 bytes"});
    else
      q.text = *v;
  }
  if (auto v = request.query_param("sort")) {
    bool known = false;
    for (auto sort :
         {CourseSort::newest, CourseSort::popular, CourseSort::price_low, CourseSort::price_high})
      if (*v == CourseStore::to_string(sort)) {
        q.sort = sort;
        known = true;
      }
    if (!known)
      errors.push_back(
          {"sort", "invalid_value", "sort must be newest, popular, price_low or price_high"});
  }
  if (auto v = request.query_param("cursor")) q.cursor = *v;
  if (auto v = request.query_param("limit")) {
    auto n = sdk::text::positive_integer(*v);
    if (!n || *n > 100)
      errors.push_back({"limit", "out_of_range", "limit must be a whole number from 1 to 100"});
    else
      q.limit = static_cast<int>(*n);
  }
  if (!errors.empty()) throw sh::invalid_fields(std::move(errors));
  return q;
}

}  // namespace

void Kernel::register_catalog_routes() {
  auto add = [&](sh::Method method, std::string path, std::string summary, sh::Access access,
                 std::string scope, auto handler,
                 std::shared_ptr<ResponseCache> response_cache = nullptr) {
    add_api_route(method, std::move(path), std::move(summary), std::move(access), std::move(scope),
                  "catalog", handler, std::move(response_cache));
  };
  CatalogService& catalog = *catalog_;
  // The creator of the course the path names (admins pass too); others get 404.
  const auto course_owner =
      sh::Access::owner([&catalog](const sh::Request& request) -> std::optional<std::int64_t> {
        auto id = id_param(request, "course");
        if (!id) return std::nullopt;
        auto course = catalog.find(*id);
        return course ? std::optional(course->creator_id) : std::nullopt;
      });

  add(
      sh::Method::get, "/api/v1/courses",
      "Published courses: ?type=, ?tag=, ?creator=, ?price=free|paid, ?q= (title or summary), "
      "?sort=newest|popular|price_low|price_high, ?limit= (1-100, 20), ?cursor=.",
      sh::Access::anonymous, "",
      [&catalog](const sh::Request& request) {
        auto& answers = *catalog.public_answers();
        const auto ticket = answers.ticket();
        const auto page = catalog.courses().list(course_query(request));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& course : page.courses) {
          nlohmann::json item = course;
          // A course whose type plugin is off stays listed, marked so clients can say why.
          item["available"] = catalog.type_of(course.type) != nullptr;
          list.push_back(std::move(item));
        }
        auto response = sh::Response::json(
            {{"courses", list},
             {"next_cursor", page.next_cursor.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(page.next_cursor)}});
        answers.store(request, response, ticket, 0);
        return response;
      },
      catalog.public_answers());

  add(
      sh::Method::get, "/api/v1/courses/{course}",
      "A course by id or slug, with its type's public outline and the caller's access to every "
      "item. Drafts are visible to their creator and admins only.",
      sh::Access::anonymous, "",
      [&catalog](const sh::Request& request) {
        auto& answers = *catalog.public_answers();
        const auto ticket = answers.ticket();
        const auto* viewer = viewer_of(request);
        const auto course =
            catalog.visible(request.param("course"), viewer, answers.keeps(request));
        auto response = sh::Response::json(catalog.page(course, viewer));
        answers.store(request, response, ticket, course.id);
        return response;
      },
      catalog.public_answers());

  add(sh::Method::post, "/api/v1/courses",
      "Creates a draft: {type, title, price: {amount_minor, currency}, slug?, summary?, "
      "cover_url?, tags?, content} -> 201 {course}. `content` is checked by the course type.",
      sh::Access::role("creator"), "courses:write", [&catalog](const sh::Request& request) {
        const auto body = sh::parse_json_object_body(request);
        auto course = catalog.create(body, request.principal->user_id);
        return sh::Response::json({{"course", course}}, 201);
      });

  add(sh::Method::patch, "/api/v1/courses/{course}",
      "Changes the fields present; `content` replaces the content. The type cannot change.",
      course_owner, "courses:write", [&catalog](const sh::Request& request) {
        const auto body = sh::parse_json_object_body(request);
        return sh::Response::json({{"course", catalog.update(*id_param(request, "course"), body)}});
      });

  for (const auto& [verb, status] :
       {std::pair{"publish", "published"}, std::pair{"archive", "archived"}}) {
    const std::string to = status;
    add(sh::Method::post, std::string("/api/v1/courses/{course}/") + verb,
        to == "published"
            ? "Publishes a draft or an archived course (fires course.published)."
            : "Archives a published course: no longer listed or sold; its buyers keep access.",
        course_owner, "courses:write", [&catalog, to](const sh::Request& request) {
          return sh::Response::json(
              {{"course", catalog.change_status(*id_param(request, "course"), to)}});
        });
  }

  add(sh::Method::get, "/api/v1/courses/{course}/items/{item}",
      "One item (lesson, article, session) as its course type delivers it, if the access "
      "engine opens it to the caller; 403 with the reason (purchase_required, not_released...) "
      "otherwise.",
      sh::Access::anonymous, "", [&catalog](const sh::Request& request) {
        const auto course = catalog.visible(request.param("course"), viewer_of(request));
        return catalog.open_item(course, request.param("item"), request);
      });

  add(sh::Method::post, "/api/v1/courses/{course}/items/{item}/progress",
      "Reports progress on an item (the type's payload, e.g. {\"position_s\": 312}); answers "
      "the course's completion. First completions fire lesson.completed and course.completed.",
      sh::Access::authenticated, "", [&catalog](const sh::Request& request) {
        const auto course = catalog.visible(request.param("course"), viewer_of(request));
        return sh::Response::json(
            {{"progress", catalog.record_progress(course, request.param("item"), request)}});
      });

  add(sh::Method::get, "/api/v1/me/library",
      "The courses the caller is entitled to, newest first, with expiry and completion.",
      sh::Access::authenticated, "library", [&catalog](const sh::Request& request) {
        return sh::Response::json(catalog.library(request.principal->user_id));
      });

  add(sh::Method::post, "/api/v1/admin/courses/{course}/entitlements",
      "Grants a user the course: {user_id, expires_at_ms?} -> 200 {entitlement, granted} "
      "(granted is false when it was live already; the later expiry wins).",
      sh::Access::admin, "entitlements:write", [&catalog](const sh::Request& request) {
        const auto course_id = id_param(request, "course");
        if (!course_id) throw sh::Error(404, "not_found", "no such course");
        const auto body = sh::parse_json_object_body(request);
        std::vector<sh::FieldError> errors;
        Grant grant;
        grant.course_id = *course_id;
        grant.granted_by = request.principal->user_id;
        if (!body.contains("user_id") || !body["user_id"].is_number_integer() ||
            body["user_id"].get<std::int64_t>() <= 0)
          errors.push_back({"user_id", body.contains("user_id") ? "invalid_type" : "required",
                            "user_id must be a user's id"});
        else
          grant.user_id = body["user_id"].get<std::int64_t>();
        if (body.contains("expires_at_ms") && !body["expires_at_ms"].is_null()) {
          if (!body["expires_at_ms"].is_number_integer())
            errors.push_back({"expires_at_ms", "invalid_type",
                              "expires_at_ms must be a time in milliseconds since 1970"});
          else if (body["expires_at_ms"].get<std::int64_t>() <= catalog.now_ms())
            errors.push_back({"expires_at_ms", "in_the_past",
                              "expires_at_ms must be in the future (leave it out: never)"});
          else
            grant.expires_at_ms = body["expires_at_ms"].get<std::int64_t>();
        }
        if (!errors.empty()) throw sh::invalid_fields(std::move(errors));
        const auto [entitlement, granted] = catalog.grant(grant);
        return sh::Response::json({{"entitlement", entitlement}, {"granted", granted}});
      });

  add(sh::Method::delete_, "/api/v1/admin/courses/{course}/entitlements/{user}",
      "Revokes a user's entitlement to the course; 404 when there is none or it is revoked.",
      sh::Access::admin, "entitlements:write", [&catalog](const sh::Request& request) {
        const auto course_id = id_param(request, "course");
        const auto user_id = id_param(request, "user");
        if (!course_id || !user_id || !catalog.revoke(*user_id, *course_id))
          throw sh::Error(404, "not_found",
                          "this user has no unrevoked entitlement to this course");
        return sh::Response::no_content();
      });
}

}  // namespace lore
