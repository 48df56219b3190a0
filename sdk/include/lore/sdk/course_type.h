// The course-type interface: what a plugin provides to add a kind of course (video lessons,
// column articles, live sessions) to the kernel's catalog. The kernel owns the catalog entry,
// the price, entitlements and the access decision; the type owns its content: the shape of the
// payload, its own tables, the public outline, delivering one item, and progress.
//
// Provide one with `ctx.services().provide<courses::CourseType>("video", std::make_shared<T>())`
// where T derives from CourseTypeBase (below) and implements its five throwing methods. The
// provided name is the `type` of the courses it serves.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "lore/sdk/courses.h"
#include "lore/sdk/database.h"
#include "lore/sdk/handler_guard.h"
#include "lore/sdk/http.h"

namespace lore::sdk::courses {

// A request for one item, after the kernel's access engine decided. `viewer` is null for an
// anonymous caller.
struct Delivery {
  const Course& course;
  const Item& item;
  const http::Principal* viewer;
  const Decision& decision;
  const http::Request& request;
};

// A learner's report on an item (payload is the type's own, e.g. {"position_s": 312}), after
// the engine opened the item to them (`decision` says why: a type may allow some actions only
// to buyers, e.g. reserving a seat, and not to free-preview readers).
struct ProgressReport {
  const Course& course;
  const Item& item;
  std::int64_t user_id;
  const nlohmann::json& payload;
  const Decision& decision;
};

// What the type concluded from a report. The kernel records completions itself, once each, and
// fires lesson.completed and course.completed the first time only.
struct Progress {
  bool item_completed = false;
  double course_fraction = 0;  // 0 to 1: how much of the course this learner has done
  nlohmann::json state;        // the type's view of the item's progress, echoed to the client
  // Set when the report changed what the public outline shows (seats left, say), so the
  // kernel forgets the course pages it keeps for anonymous visitors.
  bool outline_changed = false;
};

// The answer a call gives instead of its result when it fails: sent to the client as is.
using Failure = std::optional<http::Response>;

// The boundary the kernel calls. Nothing crosses it as an exception (types thrown in a plugin
// cannot be caught reliably in the kernel): implement CourseTypeBase instead of this.
class CourseType {
 public:
  static constexpr std::string_view kServiceKind = "course.type";
  virtual ~CourseType() = default;

  // One line for people: "Video course: sections of lessons with signed media links".
  virtual std::string_view description() const noexcept = 0;
  // The type-specific payload (`content` of POST and PATCH /api/v1/courses): problems named by
  // path from "content", e.g. "content.sections[0].lessons[2].duration_s".
  virtual Failure validate(const nlohmann::json& content,
                           std::vector<http::FieldError>& problems) noexcept = 0;
  // Stores the validated payload as the course's content, replacing what was there, inside the
  // kernel's transaction (so the catalog entry and its content commit together).
  virtual Failure save(db::Transaction& tx, const Course& course,
                       const nlohmann::json& content) noexcept = 0;
  // What anyone may see: titles, durations, preview flags, release rules. Never protected
  // content (media sources, article bodies, join links).
  virtual Failure outline(const Course& course, nlohmann::json& structure,
                          std::vector<Item>& items) noexcept = 0;
  // One item the engine opened to the viewer.
  virtual http::Response deliver(const Delivery& delivery) noexcept = 0;
  virtual Failure record_progress(const ProgressReport& report, Progress& out) noexcept = 0;
};

// Implement these; what they throw (http::Error, db::Error, anything) becomes the client's
// answer on the plugin's side of the boundary, as for route handlers.
class CourseTypeBase : public CourseType {
 protected:
  virtual std::vector<http::FieldError> check(const nlohmann::json& content) = 0;
  virtual void store(db::Transaction& tx, const Course& course, const nlohmann::json& content) = 0;
  // Fills `structure` (public JSON) and returns every gated item in course order.
  virtual std::vector<Item> describe(const Course& course, nlohmann::json& structure) = 0;
  virtual http::Response open(const Delivery& delivery) = 0;
  virtual Progress track(const ProgressReport& report) = 0;

 public:
  Failure validate(const nlohmann::json& content,
                   std::vector<http::FieldError>& problems) noexcept final {
    return detail::failure_of([&] { problems = check(content); });
  }
  Failure save(db::Transaction& tx, const Course& course,
               const nlohmann::json& content) noexcept final {
    return detail::failure_of([&] { store(tx, course, content); });
  }
  Failure outline(const Course& course, nlohmann::json& structure,
                  std::vector<Item>& items) noexcept final {
    return detail::failure_of([&] { items = describe(course, structure); });
  }
  http::Response deliver(const Delivery& delivery) noexcept final {
    try {
      return open(delivery);
    } catch (...) {
      return detail::current_exception_response();
    }
  }
  Failure record_progress(const ProgressReport& report, Progress& out) noexcept final {
    return detail::failure_of([&] { out = track(report); });
  }
};

}  // namespace lore::sdk::courses
