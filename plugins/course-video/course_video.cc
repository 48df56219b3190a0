// course-video: a course type of sections and lessons. A lesson is delivered as a signed,
// expiring media URL pointing at this plugin's own media route, which checks the signature and
// hands the request to the media store (X-Accel-Redirect) without the client ever learning
// where the video lives. Progress is the last position per lesson; a lesson is completed once
// the position reaches completion_ratio of its duration (or the player says so).
#include <lore/sdk.h>

#include <cmath>

#include "media_signer.h"
#include "video_content.h"

namespace {

using namespace lore::sdk;
using course_video::MediaSigner;

constexpr std::string_view kMediaRoute = "/api/v1/video/media";

// Percent-encoding for a query value: RFC 3986 unreserved characters and "/" (legal in a
// query) stay, so ordinary media paths read as they are.
std::string query_escaped(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

struct VideoSettings {
  std::int64_t link_lifetime_s;
  std::string accel_prefix;
  double completion_ratio;
};

class VideoType final : public courses::CourseTypeBase {
 public:
  VideoType(db::Database& database, const Clock& clock, std::shared_ptr<MediaSigner> signer,
            VideoSettings settings)
      : database_(database), clock_(clock), signer_(std::move(signer)), settings_(settings) {}

  std::string_view description() const noexcept override {
    return "Video course: sections of lessons, delivered as signed expiring media links";
  }

 protected:
  std::vector<http::FieldError> check(const nlohmann::json& content) override {
    return course_video::check_content(content);
  }

  void store(db::Transaction& tx, const courses::Course& course,
             const nlohmann::json& content) override {
    tx.execute("DELETE FROM course_video_lessons WHERE course_id = ?", {course.id});
    int position = 0;
    for (const auto& l : course_video::lessons_of(content))
      tx.execute(
          "INSERT INTO course_video_lessons (course_id, position, section_index, section_title, "
          "lesson_id, title, duration_s, media_path, free_preview, release_at, "
          "release_after_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {course.id, position++, l.section_index, l.section_title, l.id, l.title, l.duration_s,
           l.media_path, l.free_preview, l.release_at_ms, l.release_after_days});
  }

  std::vector<courses::Item> describe(const courses::Course& course,
                                      nlohmann::json& structure) override {
    std::vector<courses::Item> items;
    nlohmann::json sections = nlohmann::json::array();
    std::int64_t total_s = 0;
    std::int64_t last_section = -1;
    for (const auto& row : database_.session().query(
             "SELECT section_index, section_title, lesson_id, title, duration_s, free_preview, "
             "release_at, "
             "release_after_days FROM course_video_lessons WHERE course_id = ? ORDER BY position",
             {course.id})) {
      courses::Item item{row.get<std::string>("lesson_id"), row.get<std::string>("title"),
                         row.get<bool>("free_preview"), row.get<std::int64_t>("release_at"),
                         row.get<std::int64_t>("release_after_days")};
      // By index, not title: two sections may share a title.
      const auto section = row.get<std::int64_t>("section_index");
      if (section != last_section) {
        sections.push_back({{"title", row.get<std::string>("section_title")},
                            {"lessons", nlohmann::json::array()}});
        last_section = section;
      }
      const auto duration = row.get<std::int64_t>("duration_s");
      total_s += duration;
      sections.back()["lessons"].push_back({{"id", item.id},
                                            {"title", item.title},
                                            {"duration_s", duration},
                                            {"free_preview", item.free_preview}});
      items.push_back(std::move(item));
    }
    structure = {{"sections", std::move(sections)}, {"duration_s", total_s}};
    return items;
  }

  http::Response open(const courses::Delivery& d) override {
    auto row = database_.session().query_one(
        "SELECT media_path, duration_s FROM course_video_lessons WHERE course_id = ? AND "
        "lesson_id = ?",
        {d.course.id, d.item.id});
    if (!row) throw http::Error(404, "not_found", "the course has no such lesson");
    const auto path = row->get<std::string>("media_path");
    const auto viewer = d.viewer ? d.viewer->user_id : 0;
    auto expires_s = clock_.now_ms() / 1000 + settings_.link_lifetime_s;
    // An entitlement that ends sooner shortens the link with it.
    if (d.decision.ends_at_ms != 0) expires_s = std::min(expires_s, d.decision.ends_at_ms / 1000);
    const auto url = std::string(kMediaRoute) + "?path=" + query_escaped(path) +
                     "&exp=" + std::to_string(expires_s) + "&u=" + std::to_string(viewer) +
                     "&sig=" + signer_->sign(path, expires_s, viewer);
    nlohmann::json lesson{{"id", d.item.id},
                          {"title", d.item.title},
                          {"duration_s", row->get<std::int64_t>("duration_s")},
                          {"media_url", url},
                          {"media_expires_at", rfc3339(expires_s * 1000)}};
    if (d.viewer != nullptr) {
      auto seen = database_.session().query_one(
          "SELECT position_s, completed FROM course_video_progress WHERE user_id = ? AND "
          "course_id = ? AND lesson_id = ?",
          {d.viewer->user_id, d.course.id, d.item.id});
      if (seen)
        lesson["progress"] = {{"position_s", seen->get<std::int64_t>("position_s")},
                              {"completed", seen->get<bool>("completed")}};
    }
    auto response = http::Response::json({{"lesson", lesson}, {"access", d.decision}});
    response.headers.emplace_back("Cache-Control", "private, no-store");
    return response;
  }

  courses::Progress track(const courses::ProgressReport& r) override {
    auto row = database_.session().query_one(
        "SELECT duration_s FROM course_video_lessons WHERE course_id = ? AND lesson_id = ?",
        {r.course.id, r.item.id});
    if (!row) throw http::Error(404, "not_found", "the course has no such lesson");
    const auto duration = row->get<std::int64_t>("duration_s");
    std::vector<http::FieldError> problems;
    std::int64_t position = 0;
    if (!r.payload.contains("position_s") || !r.payload["position_s"].is_number_integer() ||
        r.payload["position_s"].get<std::int64_t>() < 0 ||
        r.payload["position_s"].get<std::int64_t>() > duration)
      problems.push_back({"position_s", "invalid_value",
                          "position_s must be a whole number of seconds from 0 to the lesson's "
                          "duration (" +
                              std::to_string(duration) + ")"});
    else
      position = r.payload["position_s"].get<std::int64_t>();
    if (r.payload.contains("completed") && !r.payload["completed"].is_boolean())
      problems.push_back({"completed", "invalid_type", "completed must be true or false"});
    if (!problems.empty()) throw http::invalid_fields(std::move(problems));
    const bool completed =
        r.payload.value("completed", false) ||
        static_cast<double>(position) >= settings_.completion_ratio * static_cast<double>(duration);
    auto session = database_.session();
    const auto d = session.dialect();
    // Completion sticks: watching the start again does not undo it.
    session.execute(
        db::upsert_sql_with(
            d, "course_video_progress",
            {"user_id", "course_id", "lesson_id", "position_s", "completed", "updated_at"},
            {"user_id", "course_id", "lesson_id"},
            "position_s = " + db::inserted_value(d, "position_s") +
                ", completed = CASE WHEN completed THEN completed ELSE " +
                db::inserted_value(d, "completed") +
                " END, updated_at = " + db::inserted_value(d, "updated_at")),
        {r.user_id, r.course.id, r.item.id, position, completed, clock_.now_ms()});
    const auto counts = session.query_one(
        "SELECT (SELECT COUNT(*) FROM course_video_lessons WHERE course_id = ?) AS total, "
        "(SELECT COUNT(*) FROM course_video_progress p JOIN course_video_lessons l ON "
        "l.course_id = p.course_id AND l.lesson_id = p.lesson_id WHERE p.user_id = ? AND "
        "p.course_id = ? AND p.completed = ?) AS done",
        {r.course.id, r.user_id, r.course.id, true});
    const auto total = counts->get<std::int64_t>("total");
    const auto done = counts->get<std::int64_t>("done");
    const auto item_done = session
                               .query_one(
                                   "SELECT completed FROM course_video_progress WHERE "
                                   "user_id = ? AND course_id = ? AND lesson_id = ?",
                                   {r.user_id, r.course.id, r.item.id})
                               ->get<bool>("completed");
    return {item_done,
            total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0,
            {{"position_s", position}, {"completed", item_done}}};
  }

 private:
  db::Database& database_;
  const Clock& clock_;
  std::shared_ptr<MediaSigner> signer_;
  VideoSettings settings_;
};

class CourseVideo {
 public:
  Status start(Context& ctx) {
    const auto& s = ctx.settings();
    auto signer = std::make_shared<MediaSigner>(s.get<std::string>("signing_secret"));
    if (signer->random_secret())
      ctx.log().warn(
          "signing_secret is empty: media links are signed with a random key, so they break "
          "on restart and only work on this process; set it (e.g. ${LORE_VIDEO_SECRET})");
    VideoSettings settings{s.get<std::int64_t>("link_lifetime_s"),
                           s.get<std::string>("accel_prefix"), s.get<double>("completion_ratio")};
    if (auto status = ctx.services().provide<courses::CourseType>(
            "video", std::make_shared<VideoType>(ctx.database(), ctx.clock(), signer, settings));
        !status)
      return status;

    RouteSpec spec;
    spec.method = http::Method::get;
    spec.path = std::string(kMediaRoute);
    spec.summary =
        "A lesson's video, for a signed link from GET /api/v1/courses/{id}/items/{lesson}: "
        "checks the signature and expiry, then hands the request to the media store "
        "(X-Accel-Redirect). 403 for a forged, altered or expired link.";
    // The signature is the credential: players fetch media without the bearer token.
    spec.access = http::Access::anonymous;
    spec.execution = Execution::reactor;  // an HMAC and a clock read: never blocks
    const auto& clock = ctx.clock();
    return ctx.routes().add(spec, [signer, settings, &clock](const http::Request& request) {
      const auto path = request.query_param("path").value_or("");
      const auto expires = text::positive_integer(request.query_param("exp").value_or(""));
      // 0 names an anonymous viewer (a free preview).
      const auto viewer = text::non_negative_integer(request.query_param("u").value_or(""));
      const auto signature = request.query_param("sig").value_or("");
      if (!expires || !viewer || !course_video::acceptable_media_path(path) ||
          !signer->verify(path, *expires, *viewer, signature))
        return http::Response::failure(403, "invalid_signature",
                                       "this media link is not valid: request a new one from the "
                                       "lesson");
      if (*expires * 1000 <= clock.now_ms())
        return http::Response::failure(403, "link_expired",
                                       "this media link has expired: request a new one from the "
                                       "lesson");
      auto response = http::Response::text("", 200, "application/octet-stream");
      response.headers.emplace_back("X-Accel-Redirect", settings.accel_prefix + path);
      response.headers.emplace_back("Cache-Control", "private, no-store");
      return response;
    });
  }
};

}  // namespace

LORE_PLUGIN(CourseVideo, "course-video", "1.0.0")
