// CourseTypeBase: a course type's exceptions become answers on its own side of the boundary.
#include "lore/sdk/course_type.h"

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

namespace lore::sdk::courses {
namespace {

class ScriptedType final : public CourseTypeBase {
 public:
  std::function<std::vector<http::FieldError>()> on_check;
  std::function<http::Response()> on_open;
  std::function<Progress()> on_track;

  std::string_view description() const noexcept override { return "a type for tests"; }

 protected:
  std::vector<http::FieldError> check(const nlohmann::json&) override { return on_check(); }
  void store(db::Transaction&, const Course&, const nlohmann::json&) override {}
  std::vector<Item> describe(const Course&, nlohmann::json& structure) override {
    structure = {{"lessons", 1}};
    return {Item{"l1", "One", true, 0, 0}};
  }
  http::Response open(const Delivery&) override { return on_open(); }
  Progress track(const ProgressReport&) override { return on_track(); }
};

class CourseTypeBoundary : public ::testing::Test {
 protected:
  ScriptedType type_;
  CourseType& abi_ = type_;  // what the kernel sees
  Course course_;
  Item item_{"l1", "One", false, 0, 0};
  Decision decision_{true, Reason::entitled, 0, 0, "yours"};
  http::Request request_;
};

TEST_F(CourseTypeBoundary, ProblemsComeBackAsFieldErrors) {
  type_.on_check = [] {
    return std::vector<http::FieldError>{
        {"content.sections[0].title", "required", "every section needs a title"}};
  };
  std::vector<http::FieldError> problems;
  EXPECT_FALSE(abi_.validate(nlohmann::json::object(), problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "content.sections[0].title");
}

TEST_F(CourseTypeBoundary, ThrownHttpErrorsKeepTheirStatusAndCode) {
  type_.on_check = []() -> std::vector<http::FieldError> {
    throw http::Error(422, "unsupported_media", "this media host is not allowed");
  };
  std::vector<http::FieldError> problems;
  const auto failure = abi_.validate(nlohmann::json::object(), problems);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 422);
  ASSERT_TRUE(failure->error);
  EXPECT_EQ(failure->error->code, "unsupported_media");
}

TEST_F(CourseTypeBoundary, AnOutageIs503AndABugIs500) {
  type_.on_open = []() -> http::Response {
    throw db::Error(db::ErrorKind::unavailable, "connection refused");
  };
  const auto outage = abi_.deliver({course_, item_, nullptr, decision_, request_});
  EXPECT_EQ(outage.status, 503);
  EXPECT_EQ(outage.error->code, "database_unavailable");

  type_.on_track = []() -> Progress { throw std::runtime_error("position out of range"); };
  Progress progress;
  const nlohmann::json payload{{"position_s", 5}};
  const auto bug = abi_.record_progress({course_, item_, 1, payload, decision_}, progress);
  ASSERT_TRUE(bug);
  EXPECT_EQ(bug->status, 500);
  EXPECT_EQ(bug->error->code, "internal");
}

TEST_F(CourseTypeBoundary, ResultsPassThrough) {
  nlohmann::json structure;
  std::vector<Item> items;
  EXPECT_FALSE(abi_.outline(course_, structure, items));
  EXPECT_EQ(structure["lessons"], 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].free_preview);

  type_.on_open = [] { return http::Response::json({{"media_url", "https://cdn/x?sig=1"}}); };
  EXPECT_EQ(abi_.deliver({course_, item_, nullptr, decision_, request_}).status, 200);

  type_.on_track = [] { return Progress{true, 0.5, {{"position_s", 600}}}; };
  Progress progress;
  const nlohmann::json payload{{"position_s", 600}};
  EXPECT_FALSE(abi_.record_progress({course_, item_, 1, payload, decision_}, progress));
  EXPECT_TRUE(progress.item_completed);
  EXPECT_DOUBLE_EQ(progress.course_fraction, 0.5);
}

}  // namespace
}  // namespace lore::sdk::courses
