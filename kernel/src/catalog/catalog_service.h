// The catalog behind the course routes: entries and their content (through the course type
// that serves them), the access decision for every item, entitlements, the library, progress
// and completions. Writes commit the catalog row and the type's content together; hooks fire
// after the commit.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/course_store.h"
#include "catalog/entitlement_store.h"
#include "core/service_registry.h"
#include "events/outbox.h"
#include "hooks/hook_bus.h"
#include "http/response_cache.h"
#include "lore/sdk/cache.h"
#include "lore/sdk/course_type.h"
#include "lore/sdk/http.h"

namespace lore {

class CatalogService {
 public:
  // `public_cache_ms`: how long answers for callers without credentials are reused (0: never).
  CatalogService(sdk::db::Database& database, const sdk::Clock& clock, sdk::Cache& cache,
                 const ServiceRegistry& services, HookBus& hooks, Outbox& outbox,
                 std::int64_t public_cache_ms);

  // The rendered course list and course pages for callers without credentials: every write
  // here forgets what it changes after its commit; a course type coming or going forgets all.
  const std::shared_ptr<ResponseCache>& public_answers() const noexcept { return public_answers_; }

  CourseStore& courses() noexcept { return courses_; }
  EntitlementStore& entitlements() noexcept { return entitlements_; }

  // A course by id or slug through the site cache (every write forgets the entry after its
  // commit, in every process sharing the cache).
  std::optional<Course> find(std::int64_t id);
  std::optional<Course> find_by_slug(std::string_view slug);

  // Names of the running course types, sorted.
  std::vector<std::string> type_names() const;
  // The running provider of `type`, or null.
  std::shared_ptr<sdk::courses::CourseType> type_of(std::string_view type) const;

  // POST /api/v1/courses: `body` holds the catalog fields and `content`. Throws http::Error
  // (400 with every problem, 409 duplicate_slug, 503 when the type stops meanwhile).
  Course create(const nlohmann::json& body, std::int64_t creator_id);
  // PATCH: the fields present change; `content`, when present, replaces the content.
  Course update(std::int64_t id, const nlohmann::json& body);
  // "published" (from draft or archived) or "archived" (from published); 409 otherwise.
  Course change_status(std::int64_t id, const std::string& to);

  // The course named by id or slug, as the viewer may see it: drafts only for their creator
  // and admins; 404 otherwise. `fresh` reads the database rather than the site cache, for an
  // answer that will be kept: the site cache can hold a copy older than a write that has
  // already answered (a reader that stored it is about to look again), which must not be kept
  // for the public cache's whole lifetime.
  Course visible(std::string_view id_or_slug, const sdk::http::Principal* viewer,
                 bool fresh = false);
  // {course, outline, items: [{id, title, free_preview, release_at, release_after_days,
  // access}]}: the public outline with the viewer's decision for every item. 503 when the
  // course's type is not running.
  nlohmann::json page(const Course& course, const sdk::http::Principal* viewer);
  // GET an item: 403 with the reason when closed, the type's delivery when open.
  sdk::http::Response open_item(const Course& course, std::string_view item_id,
                                const sdk::http::Request& request);
  // POST progress on an item: the type records it; the kernel records first completions and
  // fires lesson.completed / course.completed once each, progress.updated every time.
  nlohmann::json record_progress(const Course& course, std::string_view item_id,
                                 const sdk::http::Request& request);

  std::pair<Entitlement, bool> grant(const Grant& grant);
  // The same inside the caller's transaction (a purchase's fulfilment): after its commit the
  // public answers forget the course and entitlement.granted fires (when it was not live).
  std::pair<Entitlement, bool> grant(sdk::db::Transaction& tx, const Grant& grant,
                                     std::int64_t order_id);
  std::int64_t now_ms() const { return clock_.now_ms(); }
  bool revoke(std::int64_t user_id, std::int64_t course_id);
  bool revoke(sdk::db::Transaction& tx, std::int64_t user_id, std::int64_t course_id);
  // {items: [{course, entitlement, access: {live, ends_at}, completed}]}
  nlohmann::json library(std::int64_t user_id);

 private:
  struct OpenItem {
    std::shared_ptr<sdk::courses::CourseType> type;
    sdk::courses::Item item;
    sdk::courses::Decision decision;
  };
  // The item and the running type serving it, if the engine opens it to `viewer`; 404 for
  // an unknown item (or a draft), 403 with the reason otherwise, 503 without the type.
  OpenItem open(const Course& course, std::string_view item_id, const sdk::http::Principal* viewer);
  // Drops the cached copies of `course` (by id and slug); call after the commit.
  void forget(const Course& course);
  // The running type of `course`, or 503 course_type_unavailable.
  std::shared_ptr<sdk::courses::CourseType> running_type(const Course& course) const;
  // The type's outline: structure and items, or what the type failed with.
  std::pair<nlohmann::json, std::vector<sdk::courses::Item>> outline_of(
      sdk::courses::CourseType& type, const Course& course) const;
  sdk::courses::Decision decide(const Course& course, const sdk::courses::Item& item,
                                const sdk::http::Principal* viewer);
  // Validates `content` with the type; problems are appended.
  void check_content(sdk::courses::CourseType& type, const nlohmann::json& content,
                     std::vector<sdk::http::FieldError>& problems) const;

  sdk::db::Database& database_;
  const sdk::Clock& clock_;
  sdk::Cache& cache_;
  const ServiceRegistry& services_;
  HookBus& hooks_;
  Outbox& outbox_;
  CourseStore courses_;
  EntitlementStore entitlements_;
  std::shared_ptr<ResponseCache> public_answers_;
};

}  // namespace lore
