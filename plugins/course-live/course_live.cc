// course-live: a course type of scheduled sessions with seat capacity. An entitled learner
// reserves a seat by reporting {"seat": "reserve"} on a session (the kernel's access engine has
// let them in by then); the reservation is a conditional increment in one transaction, so a
// session is never oversold however many ask at once. The join link is shown to seat holders
// (and the course's creator and admins) from join_opens_minutes before the start until the
// end; afterwards the replay link, if there is one.
#include <lore/sdk.h>

#include "live_content.h"

namespace {

using namespace lore::sdk;

constexpr std::int64_t kMinuteMs = 60 * 1000;

class LiveType final : public courses::CourseTypeBase {
 public:
  LiveType(db::Database& database, const Clock& clock, std::int64_t join_opens_minutes)
      : database_(database), clock_(clock), join_opens_ms_(join_opens_minutes * kMinuteMs) {}

  std::string_view description() const noexcept override {
    return "Live course: scheduled sessions with seats, join links and replays";
  }

 protected:
  std::vector<http::FieldError> check(const nlohmann::json& content) override {
    return course_live::check_content(content);
  }

  // Seats already taken survive an edit: a session keeps its count, cannot shrink below it,
  // and cannot be removed while anyone holds a seat.
  void store(db::Transaction& tx, const courses::Course& course,
             const nlohmann::json& content) override {
    const auto sessions = course_live::sessions_of(content);
    std::vector<std::string> kept;
    int position = 0;
    for (const auto& s : sessions) {
      kept.push_back(s.id);
      auto row = tx.query_one(
          "SELECT seats_taken FROM course_live_sessions WHERE course_id = ? AND session_id = ?" +
              lock(tx),
          {course.id, s.id});
      if (!row) {
        tx.execute(
            "INSERT INTO course_live_sessions (course_id, position, session_id, title, "
            "starts_at, duration_min, capacity, seats_taken, join_url, replay_url, "
            "free_preview) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            {course.id, position++, s.id, s.title, s.starts_at_ms, s.duration_min, s.capacity,
             s.join_url, s.replay_url, s.free_preview});
        continue;
      }
      if (row->get<std::int64_t>("seats_taken") > s.capacity)
        throw http::Error(409, "capacity_below_seats",
                          "session '" + s.id + "' already has " +
                              std::to_string(row->get<std::int64_t>("seats_taken")) +
                              " seats taken; its capacity cannot go below that");
      tx.execute(
          "UPDATE course_live_sessions SET position = ?, title = ?, starts_at = ?, "
          "duration_min = ?, capacity = ?, join_url = ?, replay_url = ?, free_preview = ? "
          "WHERE course_id = ? AND session_id = ?",
          {position++, s.title, s.starts_at_ms, s.duration_min, s.capacity, s.join_url,
           s.replay_url, s.free_preview, course.id, s.id});
    }
    for (const auto& row :
         tx.query("SELECT session_id FROM course_live_sessions WHERE course_id = ?", {course.id})) {
      const auto id = row.get<std::string>("session_id");
      if (std::find(kept.begin(), kept.end(), id) != kept.end()) continue;
      // Conditional, not the count read above: that read may be a snapshot older than a seat
      // reserved since (MariaDB's REPEATABLE READ), while the DELETE sees the latest row.
      if (tx.execute("DELETE FROM course_live_sessions WHERE course_id = ? AND session_id = ? "
                     "AND seats_taken = 0",
                     {course.id, id}) == 0)
        throw http::Error(409, "session_has_seats",
                          "session '" + id + "' has seats taken and cannot be removed");
    }
  }

  std::vector<courses::Item> describe(const courses::Course& course,
                                      nlohmann::json& structure) override {
    std::vector<courses::Item> items;
    nlohmann::json sessions = nlohmann::json::array();
    for (const auto& row : database_.session().query(
             "SELECT session_id, title, starts_at, duration_min, capacity, seats_taken, "
             "free_preview FROM course_live_sessions WHERE course_id = ? ORDER BY position",
             {course.id})) {
      courses::Item item{row.get<std::string>("session_id"), row.get<std::string>("title"),
                         row.get<bool>("free_preview"), 0, 0};
      const auto starts = row.get<std::int64_t>("starts_at");
      sessions.push_back({{"id", item.id},
                          {"title", item.title},
                          {"starts_at", rfc3339(starts)},
                          {"duration_min", row.get<std::int64_t>("duration_min")},
                          {"capacity", row.get<std::int64_t>("capacity")},
                          {"seats_left", row.get<std::int64_t>("capacity") -
                                             row.get<std::int64_t>("seats_taken")}});
      items.push_back(std::move(item));
    }
    structure = {{"sessions", std::move(sessions)}};
    return items;
  }

  http::Response open(const courses::Delivery& d) override {
    auto session = database_.session();
    auto row = session.query_one(
        "SELECT starts_at, duration_min, capacity, seats_taken, join_url, replay_url FROM "
        "course_live_sessions WHERE course_id = ? AND session_id = ?",
        {d.course.id, d.item.id});
    if (!row) throw http::Error(404, "not_found", "the course has no such session");
    const auto starts = row->get<std::int64_t>("starts_at");
    const auto ends = starts + row->get<std::int64_t>("duration_min") * kMinuteMs;
    const auto now = clock_.now_ms();
    const bool staff = d.decision.reason == courses::Reason::creator ||
                       d.decision.reason == courses::Reason::admin;
    const bool seated = d.viewer != nullptr &&
                        session
                            .query_one(
                                "SELECT user_id FROM course_live_seats WHERE course_id = ? AND "
                                "session_id = ? AND user_id = ?",
                                {d.course.id, d.item.id, d.viewer->user_id})
                            .has_value();
    nlohmann::json out{
        {"id", d.item.id},
        {"title", d.item.title},
        {"starts_at", rfc3339(starts)},
        {"ends_at", rfc3339(ends)},
        {"capacity", row->get<std::int64_t>("capacity")},
        {"seats_left", row->get<std::int64_t>("capacity") - row->get<std::int64_t>("seats_taken")},
        {"seat", seated}};
    if (now >= ends) {
      out["state"] = "ended";
      const auto replay = row->get<std::string>("replay_url");
      out["replay_url"] = replay.empty() ? nlohmann::json(nullptr) : nlohmann::json(replay);
    } else if (now >= starts - join_opens_ms_) {
      out["state"] = now >= starts ? "live" : "open";
      // The link is the seat: only holders (and the course's staff) get it.
      if (seated || staff) out["join_url"] = row->get<std::string>("join_url");
    } else {
      out["state"] = "scheduled";
      out["join_opens_at"] = rfc3339(starts - join_opens_ms_);
    }
    auto response = http::Response::json({{"session", out}, {"access", d.decision}});
    response.headers.emplace_back("Cache-Control", "private, no-store");
    return response;
  }

  // {"seat": "reserve" | "release"} or {"attended": true}.
  courses::Progress track(const courses::ProgressReport& r) override {
    const auto& p = r.payload;
    const bool seat_request = p.contains("seat");
    const bool attended = p.value("attended", false);
    if (seat_request &&
        (!p["seat"].is_string() || (p["seat"] != "reserve" && p["seat"] != "release")))
      throw http::invalid_fields({{"seat", "invalid_value", "seat must be reserve or release"}});
    if (!seat_request && !(p.contains("attended") && p["attended"].is_boolean()))
      throw http::invalid_fields({{"seat", "required",
                                   "report {\"seat\": \"reserve\"}, {\"seat\": \"release\"} or "
                                   "{\"attended\": true}"}});
    if (seat_request) {
      if (p["seat"] == "reserve") {
        // A seat is for those who may attend: buyers (or a free course's learners) and the
        // course's staff, not readers of a free-preview session.
        using courses::Reason;
        const auto why = r.decision.reason;
        if (why != Reason::entitled && why != Reason::free_course && why != Reason::creator &&
            why != Reason::admin)
          throw http::Error(403, "purchase_required", "a seat needs the course");
        reserve(r);
      } else {
        release(r);
      }
    }
    auto session = database_.session();
    if (attended) {
      // Attendance counts once the session has begun: reserving and claiming every session
      // in advance must not complete the course.
      auto times = session.query_one(
          "SELECT starts_at FROM course_live_sessions WHERE course_id = ? AND session_id = ?",
          {r.course.id, r.item.id});
      if (times && clock_.now_ms() < times->get<std::int64_t>("starts_at"))
        throw http::Error(409, "not_started", "attendance counts once the session has begun");
      session.execute(
          "UPDATE course_live_seats SET attended = ? WHERE course_id = ? AND session_id = ? AND "
          "user_id = ?",
          {true, r.course.id, r.item.id, r.user_id});
    }
    const auto mine = session.query_one(
        "SELECT attended FROM course_live_seats WHERE course_id = ? AND session_id = ? AND "
        "user_id = ?",
        {r.course.id, r.item.id, r.user_id});
    const auto counts = session.query_one(
        "SELECT (SELECT COUNT(*) FROM course_live_sessions WHERE course_id = ?) AS total, "
        "(SELECT COUNT(*) FROM course_live_seats WHERE course_id = ? AND user_id = ? AND "
        "attended = ?) AS done",
        {r.course.id, r.course.id, r.user_id, true});
    const auto total = counts->get<std::int64_t>("total");
    const auto done = counts->get<std::int64_t>("done");
    const bool item_done = mine && mine->get<bool>("attended");
    // Seats left are in the public outline.
    return {item_done,
            total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0,
            {{"seat", mine.has_value()}, {"attended", item_done}},
            seat_request};
  }

 private:
  static std::string lock(db::Transaction& tx) { return std::string(db::row_lock(tx.dialect())); }

  void reserve(const courses::ProgressReport& r) {
    database_.transact([&](db::Transaction& tx) {
      const auto now = clock_.now_ms();
      auto row = tx.query_one(
          "SELECT starts_at, duration_min FROM course_live_sessions WHERE course_id = ? AND "
          "session_id = ?",
          {r.course.id, r.item.id});
      if (!row) throw http::Error(404, "not_found", "the course has no such session");
      if (now >=
          row->get<std::int64_t>("starts_at") + row->get<std::int64_t>("duration_min") * kMinuteMs)
        throw http::Error(409, "session_ended", "this session has ended");
      // Holding a seat already: nothing to do (a retried request must not take two).
      if (!tx.try_insert("INSERT INTO course_live_seats (course_id, session_id, user_id, "
                         "reserved_at, attended) VALUES (?, ?, ?, ?, ?)",
                         {r.course.id, r.item.id, r.user_id, now, false}))
        return;
      // The conditional increment is the guard: of concurrent reservations for the last seat,
      // one matches the row and the others match nothing (and roll back their seat row).
      if (tx.execute("UPDATE course_live_sessions SET seats_taken = seats_taken + 1 WHERE "
                     "course_id = ? AND session_id = ? AND seats_taken < capacity",
                     {r.course.id, r.item.id}) == 0)
        throw http::Error(409, "session_full", "every seat of this session is taken");
    });
  }

  void release(const courses::ProgressReport& r) {
    database_.transact([&](db::Transaction& tx) {
      if (tx.execute("DELETE FROM course_live_seats WHERE course_id = ? AND session_id = ? AND "
                     "user_id = ?",
                     {r.course.id, r.item.id, r.user_id}) > 0)
        tx.execute(
            "UPDATE course_live_sessions SET seats_taken = seats_taken - 1 WHERE "
            "course_id = ? AND session_id = ? AND seats_taken > 0",
            {r.course.id, r.item.id});
    });
  }

  db::Database& database_;
  const Clock& clock_;
  std::int64_t join_opens_ms_;
};

class CourseLive {
 public:
  Status start(Context& ctx) {
    return ctx.services().provide<courses::CourseType>(
        "live", std::make_shared<LiveType>(ctx.database(), ctx.clock(),
                                           ctx.settings().get<std::int64_t>("join_opens_minutes")));
  }
};

}  // namespace

LORE_PLUGIN(CourseLive, "course-live", "1.0.0")
