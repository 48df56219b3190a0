// A purchase end to end with the real `lore` binary on MariaDB, as a buyer sees it: register,
// buy a course with pay-sandbox (its checkout page, Pay, and the signed webhook it sends to the
// running server), the course in the library and readable, a refund, the course closed again,
// the revenue ledger back at zero and the outbox holding the three events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "support/shop_server.h"

namespace lore::test {
namespace {

using ::testing::HasSubstr;

class PurchaseEndToEnd : public ShopServer {
 protected:
  void SetUp() override { StartShop(); }
};

TEST_F(PurchaseEndToEnd, RegisterBuyReadRefundAndTheLedgerIsBackAtZero) {
  const auto admin = create_user_token(config_, "admin@example.com", {"admin"});
  const auto creator = create_user_token(config_, "creator@example.com", {"creator"});
  const std::string email = "buyer" + std::to_string(std::random_device{}()) + "@example.com";
  auto registered = call(
      "POST", "/api/v1/auth/register", "",
      {{"email", email}, {"password", "correct horse battery staple"}, {"display_name", "Buyer"}});
  ASSERT_EQ(registered.status, 201) << registered.body;
  const auto buyer = registered.json()["token"].get<std::string>();

  auto created =
      call("POST", "/api/v1/courses", creator,
           {{"type", "basic"},
            {"title", "SQL in practice"},
            {"price", {{"amount_minor", 9900}, {"currency", "CNY"}}},
            {"content",
             {{"items",
               {{{"id", "intro"}, {"title", "Intro"}, {"body", "Hi"}, {"free_preview", true}},
                {{"id", "one"}, {"title", "One"}, {"body", "The first lesson"}}}}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto course = created.json()["course"]["id"].get<std::int64_t>();
  ASSERT_EQ(call("POST", "/api/v1/courses/" + std::to_string(course) + "/publish", creator).status,
            200);
  const auto lesson = "/api/v1/courses/" + std::to_string(course) + "/items/one";
  EXPECT_EQ(call("GET", lesson, buyer).status, 403);

  // Buy: an order and the sandbox's checkout link.
  auto placed =
      call("POST", "/api/v1/orders", buyer, {{"course_id", course}, {"provider", "sandbox"}},
           {{"Idempotency-Key", "e2e-" + email}});
  ASSERT_EQ(placed.status, 201) << placed.body;
  const auto order = placed.json()["order"]["id"].get<std::int64_t>();
  const auto link = placed.json()["checkout"]["value"].get<std::string>();
  auto page = get(url(link));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_THAT(page.body, HasSubstr("Pay"));
  // Pay: the sandbox sends its signed webhook to this server, which fulfils the order.
  const auto token = link.substr(link.find("?t=") + 3);
  auto paid = http("POST", url("/pay-sandbox/checkout/" + std::to_string(order) + "/pay"),
                   "t=" + token, {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(paid.status, 200) << paid.body << lore_->log();
  auto seen = call("GET", "/api/v1/orders/" + std::to_string(order), buyer);
  ASSERT_EQ(seen.status, 200);
  EXPECT_EQ(seen.json()["order"]["status"], "fulfilled");
  auto library = call("GET", "/api/v1/me/library", buyer);
  ASSERT_EQ(library.json()["items"].size(), 1u) << library.body;
  EXPECT_EQ(library.json()["items"][0]["course"]["id"], course);
  auto read = call("GET", lesson, buyer);
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_THAT(read.body, HasSubstr("The first lesson"));
  auto earned = call("GET", "/api/v1/me/earnings", creator);
  ASSERT_EQ(earned.json()["earnings"].size(), 1u) << earned.body;
  EXPECT_EQ(earned.json()["earnings"][0]["net_minor"], 8910);

  // Refund: the course closes, every ledger account is back at zero.
  auto refunded = call("POST", "/api/v1/orders/" + std::to_string(order) + "/refund", buyer);
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(refunded.json()["order"]["status"], "refunded");
  EXPECT_EQ(call("GET", lesson, buyer).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/me/library", buyer).json()["items"].size(), 0u);
  auto ledger = call("GET", "/api/v1/admin/ledger", admin);
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  const auto books = ledger.json();
  ASSERT_EQ(books["accounts"].size(), 3u) << ledger.body;
  for (const auto& account : books["accounts"])
    EXPECT_EQ(account["balance_minor"], 0) << account.dump();
  EXPECT_EQ(books["totals"][0]["sum_minor"], 0);
  EXPECT_EQ(books["entries"].size(), 6u);
  EXPECT_EQ(call("GET", "/api/v1/me/earnings", creator).json()["earnings"][0]["net_minor"], 0);

  // The outbox holds the three events once they settled (5 s).
  std::vector<std::string> topics;
  for (int i = 0; i < 40 && topics.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    topics.clear();
    const auto outbox = call("GET", "/api/v1/admin/events", admin).json();
    for (const auto& e : outbox["events"]) topics.push_back(e["topic"].get<std::string>());
  }
  EXPECT_THAT(topics,
              ::testing::ElementsAre("entitlement.granted", "order.paid", "order.refunded"));
}

}  // namespace
}  // namespace lore::test
