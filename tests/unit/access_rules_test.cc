// The access-rule engine: every rule, its reason code and message, and the edges of time.
#include "catalog/access_rules.h"

#include <gtest/gtest.h>

namespace lore {
namespace {

namespace courses = sdk::courses;
using courses::Reason;

constexpr std::int64_t kDay = 24LL * 60 * 60 * 1000;
constexpr std::int64_t kNow = 1764547200000;  // 2025-12-01T00:00:00Z

class AccessRules : public ::testing::Test {
 protected:
  AccessRules() {
    course_.id = 7;
    course_.creator_id = 100;
    course_.status = "published";
    course_.price = {9900, "CNY"};
    course_.published_at_ms = kNow - 30 * kDay;
    item_.id = "l1";
    learner_.user_id = 200;
    learner_.roles = {"learner"};
    entitlement_.user_id = 200;
    entitlement_.course_id = 7;
    entitlement_.source = "purchase";
    entitlement_.granted_at_ms = kNow - 10 * kDay;
  }

  courses::Decision as(const sdk::http::Principal* viewer, bool with_entitlement = false,
                       std::int64_t now = kNow) {
    return decide_access({course_, item_, viewer, with_entitlement ? &entitlement_ : nullptr, now});
  }
  sdk::http::Principal principal(std::int64_t id, std::vector<std::string> roles) {
    sdk::http::Principal p;
    p.user_id = id;
    p.roles = std::move(roles);
    return p;
  }

  courses::Course course_;
  courses::Item item_;
  sdk::http::Principal learner_;
  courses::Entitlement entitlement_;
};

TEST_F(AccessRules, APaidItemNeedsALiveEntitlement) {
  const auto anonymous = as(nullptr);
  EXPECT_FALSE(anonymous.allowed);
  EXPECT_EQ(anonymous.reason, Reason::sign_in_required);
  EXPECT_EQ(anonymous.message, "sign in to continue");

  const auto stranger = as(&learner_);
  EXPECT_FALSE(stranger.allowed);
  EXPECT_EQ(stranger.reason, Reason::purchase_required);
  EXPECT_EQ(stranger.message, "purchase required");

  const auto owner = as(&learner_, true);
  EXPECT_TRUE(owner.allowed);
  EXPECT_EQ(owner.reason, Reason::entitled);
  EXPECT_EQ(owner.ends_at_ms, 0) << "a lifetime entitlement has no end";
}

TEST_F(AccessRules, AnEntitlementForSomeoneElseCountsForNothingWhenAnonymous) {
  // The pipeline never hands an anonymous viewer an entitlement, but the engine does not
  // trust that either.
  const auto d = as(nullptr, true);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, Reason::sign_in_required);
}

TEST_F(AccessRules, ExpiryEndsAccessAtTheInstantAndSaysWhen) {
  entitlement_.expires_at_ms = kNow + 1;
  const auto before = as(&learner_, true);
  EXPECT_TRUE(before.allowed);
  EXPECT_EQ(before.ends_at_ms, kNow + 1);

  entitlement_.expires_at_ms = kNow;
  const auto at = as(&learner_, true);
  EXPECT_FALSE(at.allowed);
  EXPECT_EQ(at.reason, Reason::entitlement_expired);
  EXPECT_EQ(at.ends_at_ms, kNow);
  EXPECT_EQ(at.message, "your access ended on 2025-12-01");
}

TEST_F(AccessRules, ARevokedEntitlementIsNoEntitlement) {
  entitlement_.revoked_at_ms = kNow - kDay;
  const auto d = as(&learner_, true);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, Reason::purchase_required);
  // Revoked and also past its expiry: revocation is what the learner needs to hear about.
  entitlement_.expires_at_ms = kNow - 2 * kDay;
  EXPECT_EQ(as(&learner_, true).reason, Reason::purchase_required);
}

TEST_F(AccessRules, FreeCoursesAndPreviewsAreOpenToEveryone) {
  item_.free_preview = true;
  const auto preview = as(nullptr);
  EXPECT_TRUE(preview.allowed);
  EXPECT_EQ(preview.reason, Reason::free_preview);

  item_.free_preview = false;
  course_.price = {0, "CNY"};
  const auto free = as(nullptr);
  EXPECT_TRUE(free.allowed);
  EXPECT_EQ(free.reason, Reason::free_course);
  EXPECT_EQ(as(&learner_).reason, Reason::free_course);
  EXPECT_EQ(as(&learner_, true).reason, Reason::entitled) << "a grant on a free course counts";
}

TEST_F(AccessRules, AFixedReleaseDateClosesAnItemToEveryoneButCreatorsAndAdmins) {
  item_.release_at_ms = kNow + 3 * kDay + 5;
  item_.free_preview = true;
  for (const auto& d : {as(nullptr), as(&learner_, true)}) {
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.reason, Reason::not_released);
    EXPECT_EQ(d.available_at_ms, kNow + 3 * kDay + 5);
    EXPECT_EQ(d.message, "available on 2025-12-04");
  }
  const auto creator = principal(100, {"creator"});
  EXPECT_EQ(as(&creator).reason, Reason::creator);
  const auto admin = principal(1, {"admin"});
  EXPECT_EQ(as(&admin).reason, Reason::admin);
  // Released at the instant it says.
  item_.release_at_ms = kNow;
  EXPECT_TRUE(as(nullptr).allowed);
}

TEST_F(AccessRules, DripCountsFromTheEntitlement) {
  item_.release_after_days = 14;  // granted 10 days ago: 4 days to go
  const auto waiting = as(&learner_, true);
  EXPECT_FALSE(waiting.allowed);
  EXPECT_EQ(waiting.reason, Reason::not_released);
  EXPECT_EQ(waiting.available_at_ms, entitlement_.granted_at_ms + 14 * kDay);
  EXPECT_EQ(waiting.message, "available on 2025-12-05");
  EXPECT_TRUE(as(&learner_, true, entitlement_.granted_at_ms + 14 * kDay).allowed);

  // An expiring entitlement says when it ends even while the item waits.
  entitlement_.expires_at_ms = kNow + 100 * kDay;
  EXPECT_EQ(as(&learner_, true).ends_at_ms, kNow + 100 * kDay);

  // Without an entitlement the paid course says what is missing, not when the drip would be.
  EXPECT_EQ(as(&learner_).reason, Reason::purchase_required);
}

TEST_F(AccessRules, DripOnAFreeCourseCountsFromPublication) {
  course_.price = {0, "CNY"};
  item_.release_after_days = 31;  // published 30 days ago
  const auto d = as(nullptr);
  EXPECT_EQ(d.reason, Reason::not_released);
  EXPECT_EQ(d.available_at_ms, course_.published_at_ms + 31 * kDay);
  item_.release_after_days = 30;
  EXPECT_TRUE(as(nullptr).allowed);
}

TEST_F(AccessRules, FreePreviewsIgnoreDrip) {
  item_.free_preview = true;
  item_.release_after_days = 100;
  EXPECT_TRUE(as(nullptr).allowed);
  EXPECT_TRUE(as(&learner_, true).allowed);
}

TEST_F(AccessRules, ABuyerOfAPreviewIsToldTheyOwnIt) {
  item_.free_preview = true;
  EXPECT_EQ(as(&learner_).reason, Reason::free_preview);
  EXPECT_EQ(as(&learner_, true).reason, Reason::entitled);
}

TEST_F(AccessRules, DraftsAreClosedToAllButTheirCreatorAndAdmins) {
  course_.status = "draft";
  course_.price = {0, "CNY"};
  item_.free_preview = true;
  for (const auto& d : {as(nullptr), as(&learner_, true)}) {
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.reason, Reason::not_published);
  }
  const auto creator = principal(100, {"creator", "learner"});
  EXPECT_TRUE(as(&creator).allowed);
  const auto other_creator = principal(101, {"creator"});
  EXPECT_EQ(as(&other_creator).reason, Reason::not_published);
}

TEST_F(AccessRules, AnArchivedCourseKeepsItsBuyersAndSellsToNobody) {
  course_.status = "archived";
  EXPECT_TRUE(as(&learner_, true).allowed);
  const auto stranger = as(&learner_);
  EXPECT_FALSE(stranger.allowed);
  EXPECT_EQ(stranger.reason, Reason::not_for_sale);
  EXPECT_EQ(stranger.message, "this course is no longer sold");
  entitlement_.expires_at_ms = kNow - kDay;
  EXPECT_EQ(as(&learner_, true).reason, Reason::entitlement_expired);
}

TEST_F(AccessRules, DecisionsRenderWithTheirTimes) {
  item_.release_at_ms = kNow + kDay;
  const nlohmann::json json = as(nullptr);
  EXPECT_EQ(json["allowed"], false);
  EXPECT_EQ(json["reason"], "not_released");
  EXPECT_EQ(json["message"], "available on 2025-12-02");
  EXPECT_EQ(json["available_at"], "2025-12-02T00:00:00.000Z");
  EXPECT_FALSE(json.contains("ends_at"));
}

TEST(CalendarDate, IsTheUtcDay) {
  EXPECT_EQ(calendar_date(0), "1970-01-01");
  EXPECT_EQ(calendar_date(kNow - 1), "2025-11-30");
  EXPECT_EQ(calendar_date(kNow), "2025-12-01");
}

}  // namespace
}  // namespace lore
