// Chaos: 1,000 purchases by 100 buyers through the real `lore` binary on MariaDB, with
// pay-sandbox delivering 30% of its webhooks twice, a stale failure after 20% of the successes (out
// of order), 5% first with a bad signature, 40 ms between a payment and its webhook, and `kill -9`
// of the server in the middle of it all,
// then a restart. Buyers retry what failed with the same Idempotency-Key, as clients must.
// A buyer whose Pay click the kill cut off closes the page (the sandbox may have taken the
// money without its webhook getting out). Afterwards: one order per purchase, every payment the
// provider holds fulfilled exactly once with one entitlement (reconciliation finds those whose
// webhook never came), the rest unpaid, the ledger summing to zero. The counts are printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "core/logging.h"
#include "storage/connection_pool.h"
#include "storage/database_url.h"
#include "storage/pooled_database.h"
#include "support/shop_server.h"

namespace lore::test {
namespace {

constexpr int kBuyers = 100;
constexpr int kCourses = 10;
constexpr int kClients = 8;
constexpr int kKillAfter = 400;  // purchases started before the server is killed

class PurchaseChaos : public ShopServer {
 protected:
  void SetUp() override {
    // Every buyer signs up from 127.0.0.1. A request cut by the kill holds its idempotency key
    // and its order's checkout claim: retries take over after a second. Reconciliation asks
    // about checkouts after 2 s. Each Pay holds a worker while the sandbox's webhook needs
    // another: more workers than the tests' usual four for eight clients at once.
    StartShop(
        "      duplicate_ratio: 0.3\n      reorder_ratio: 0.2\n      bad_signature_ratio: 0.05\n"
        // Between recording a payment and sending its webhook: the kill catches some there,
        // payments whose webhook never comes (reconciliation's work).
        "      delay_ms: 40\n",
        "registrations_per_ip_per_hour: 1000",
        "commerce:\n  claim_timeout_ms: 1000\n  reconcile_interval_s: 1\n  reconcile_after_s: 2\n",
        32);
  }

  // One purchase, retried through errors and the restart: the order (same key), then Pay on
  // the sandbox's page. Returns why it could not be done within two minutes, or "" when done.
  std::string Purchase(const std::string& buyer, int buyer_index, std::int64_t course) {
    const auto key = "chaos-" + std::to_string(buyer_index) + "-" + std::to_string(course);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    nlohmann::json placed;
    std::string last;
    while (true) {
      if (std::chrono::steady_clock::now() > deadline) return key + " order: " + last;
      auto answer =
          call("POST", "/api/v1/orders", buyer, {{"course_id", course}, {"provider", "sandbox"}},
               {{"Idempotency-Key", key}});
      if (answer.status == 200 || answer.status == 201) {
        placed = answer.json();
        if (placed["checkout"].is_object()) break;
      }
      if (answer.status == 409 && answer.body.find("already_owned") != std::string::npos)
        return "";  // paid before the kill, its answer lost
      last = std::to_string(answer.status) + " " + answer.body + answer.error;
      ++retries_;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    const auto order = placed["order"]["id"].get<std::int64_t>();
    const auto link = placed["checkout"]["value"].get<std::string>();
    const auto token = link.substr(link.find("?t=") + 3);
    while (true) {
      if (std::chrono::steady_clock::now() > deadline)
        return key + " order " + std::to_string(order) + " pay: " + last;
      auto paid =
          http("POST", url("/pay-sandbox/checkout/" + std::to_string(order) + "/pay"), "t=" + token,
               {{"Content-Type", "application/x-www-form-urlencoded"}}, 30000);
      // 200: the kernel took the webhook; 502: the sandbox recorded the payment but its webhook
      // did not get through (reconciliation finds it). Anything else: the click did not land.
      if (paid.status == 200 || paid.status == 502) return "";
      if (paid.status == 0) {
        // The server went away under the click: this buyer closes the page. The sandbox may
        // have recorded the payment without its webhook getting out (reconciliation's work),
        // or not (the order waits, unpaid, for its expiry).
        ++abandoned_;
        return "";
      }
      // Refused (the link no longer applies): done if an earlier click, whose answer the kill
      // cut off, paid it.
      auto seen = call("GET", "/api/v1/orders/" + std::to_string(order), buyer);
      if (seen.status == 200 && seen.json()["order"]["status"] == "fulfilled") return "";
      last = std::to_string(paid.status) + " " + paid.body.substr(0, 300) + paid.error;
      ++retries_;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  std::atomic<int> retries_{0};
  std::atomic<int> abandoned_{0};
};

TEST_F(PurchaseChaos, AThousandPurchasesThroughFaultsAndAKillEachPaidExactlyOnce) {
  const auto creator = create_user_token(config_, "creator@example.com", {"creator"});
  std::vector<std::int64_t> courses;
  std::int64_t prices = 0;
  for (int c = 0; c < kCourses; ++c) {
    const std::int64_t price = 100 * (c + 1);
    prices += price;
    auto created =
        call("POST", "/api/v1/courses", creator,
             {{"type", "basic"},
              {"title", "Course " + std::to_string(c)},
              {"price", {{"amount_minor", price}, {"currency", "CNY"}}},
              {"content", {{"items", {{{"id", "one"}, {"title", "One"}, {"body", "Lesson"}}}}}}});
    ASSERT_EQ(created.status, 201) << created.body;
    courses.push_back(created.json()["course"]["id"].get<std::int64_t>());
    ASSERT_EQ(
        call("POST", "/api/v1/courses/" + std::to_string(courses.back()) + "/publish", creator)
            .status,
        200);
  }
  std::vector<std::string> buyers(kBuyers);
  {
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t)
      threads.emplace_back([&] {
        for (int i = next++; i < kBuyers; i = next++) {
          auto made = call("POST", "/api/v1/auth/register", "",
                           {{"email", "buyer" + std::to_string(i) + "@example.com"},
                            {"password", "correct horse battery staple"},
                            {"display_name", "Buyer " + std::to_string(i)}});
          if (made.status == 201)
            buyers[i] = made.json()["token"].get<std::string>();
          else
            ADD_FAILURE() << "buyer " << i << ": " << made.status << " " << made.body;
        }
      });
    for (auto& t : threads) t.join();
  }
  for (int i = 0; i < kBuyers; ++i) ASSERT_FALSE(buyers[i].empty()) << "buyer " << i;

  // The purchases, in a shuffled order, by kClients concurrent clients; the server is killed
  // once kKillAfter have started, and started again.
  std::vector<std::pair<int, int>> work;
  for (int b = 0; b < kBuyers; ++b)
    for (int c = 0; c < kCourses; ++c) work.emplace_back(b, c);
  std::shuffle(work.begin(), work.end(), std::mt19937(20261207));
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t)
    clients.emplace_back([&] {
      for (int i = next++; i < static_cast<int>(work.size()); i = next++) {
        const auto [b, c] = work[static_cast<std::size_t>(i)];
        const auto why =
            Purchase(buyers[static_cast<std::size_t>(b)], b, courses[static_cast<std::size_t>(c)]);
        if (!why.empty()) {
          ++failed;
          ADD_FAILURE() << why;
        }
      }
    });
  // The kill, from this thread: the server is the child of the thread that started it (it dies
  // with that thread).
  while (next < kKillAfter) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  lore_->signal(SIGKILL);
  const bool killed = lore_->wait_exit().has_value();
  StartServer();
  for (auto& t : clients) t.join();
  const auto purchase_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(killed);
  EXPECT_EQ(failed, 0);

  // The database, as the kernel left it.
  std::string error;
  auto address = parse_database_url(db_->url(), error);
  ASSERT_TRUE(address) << error;
  ConnectionPool pool(*address, DatabaseOptions{.pool_size = 1}, named_logger("chaos"));
  PooledDatabase database(pool, "lore_", named_logger("chaos"));
  auto count = [&](const std::string& sql) {
    return database.session().query_one(sql)->get<std::int64_t>(0);
  };
  // Reconciliation settles what the kill cut off (payments whose webhook never arrived).
  const std::string paid_but_pending =
      "SELECT COUNT(*) FROM lore_orders o JOIN pay_sandbox_payments p ON p.order_id = o.id "
      "WHERE o.status = 'pending' AND p.state = 'paid'";
  const auto settle_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count(paid_but_pending) > 0 && std::chrono::steady_clock::now() < settle_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto stuck = count(paid_but_pending);

  const auto orders = count("SELECT COUNT(*) FROM lore_orders");
  const auto fulfilled = count("SELECT COUNT(*) FROM lore_orders WHERE status = 'fulfilled'");
  const auto pending = count("SELECT COUNT(*) FROM lore_orders WHERE status = 'pending'");
  const auto pairs = count(
      "SELECT COUNT(*) FROM (SELECT user_id, course_id FROM lore_orders WHERE status = "
      "'fulfilled' GROUP BY user_id, course_id) AS bought");
  const auto entitlements = count(
      "SELECT COUNT(*) FROM lore_entitlements WHERE source = 'purchase' AND revoked_at IS NULL");
  const auto paid_events =
      count("SELECT COUNT(*) FROM lore_payment_events WHERE outcome = 'fulfilled'");
  const auto found = count(
      "SELECT COUNT(*) FROM lore_payment_events WHERE outcome = 'fulfilled' AND event_id LIKE "
      "'query:%'");
  const auto already_paid =
      count("SELECT COUNT(*) FROM lore_payment_events WHERE outcome = 'already_paid'");
  const auto stale = count(
      "SELECT COUNT(*) FROM lore_payment_events WHERE outcome = "
      "'stale_failure'");
  const auto ledger_sum = count("SELECT COALESCE(SUM(amount_minor), 0) FROM lore_ledger_entries");
  const auto provider_balance = count(
      "SELECT COALESCE(SUM(amount_minor), 0) FROM lore_ledger_entries WHERE account = "
      "'provider:sandbox'");
  const auto sandbox_paid = count("SELECT COUNT(*) FROM pay_sandbox_payments WHERE state = 'paid'");
  std::size_t bad_signatures = 0;
  std::size_t duplicates = 0;
  const auto log = ServerLogs();
  for (auto at = log.find("refused (401 bad_signature"); at != std::string::npos;
       at = log.find("refused (401 bad_signature", at + 1))
    ++bad_signatures;
  for (auto at = log.find(": duplicate ["); at != std::string::npos;
       at = log.find(": duplicate [", at + 1))
    ++duplicates;
  std::cout << "chaos: " << work.size() << " purchases by " << kBuyers << " buyers in "
            << purchase_s << " s, server killed once and restarted; " << retries_
            << " client retries, " << abandoned_ << " checkouts abandoned when the server died\n"
            << "chaos: orders " << orders << ", fulfilled " << fulfilled << " (distinct buyer and "
            << "course " << pairs << "), pending " << pending << ", live purchase entitlements "
            << entitlements << "\n"
            << "chaos: events fulfilled " << paid_events << " (found by reconciliation " << found
            << "), already_paid " << already_paid << ", stale failures " << stale
            << ", duplicates refused in the log " << duplicates << ", bad signatures refused "
            << bad_signatures << "\n"
            << "chaos: ledger sum " << ledger_sum << ", provider balance " << provider_balance
            << " (of " << prices * kBuyers << " had every buyer paid), sandbox payments "
            << sandbox_paid << "\n";

  const auto total = static_cast<std::int64_t>(work.size());
  const auto paid_amounts =
      count("SELECT COALESCE(SUM(amount_minor), 0) FROM lore_orders WHERE status = 'fulfilled'");
  EXPECT_EQ(stuck, 0) << "no paid order left pending after reconciliation";
  EXPECT_EQ(orders, total) << "one order per purchase, however often it was retried";
  EXPECT_EQ(fulfilled, sandbox_paid) << "every payment the provider holds fulfilled, once";
  EXPECT_EQ(fulfilled + pending, total) << "the rest are abandoned checkouts, unpaid";
  EXPECT_LE(pending, abandoned_);
  EXPECT_GE(fulfilled, total - abandoned_);
  EXPECT_EQ(pairs, fulfilled);
  EXPECT_EQ(entitlements, fulfilled) << "exactly one entitlement per paid order";
  EXPECT_EQ(paid_events, fulfilled);
  EXPECT_EQ(ledger_sum, 0);
  EXPECT_EQ(provider_balance, paid_amounts) << "each payment's money counted once";
  EXPECT_GT(stale, 0);
  EXPECT_GT(bad_signatures, 0u) << "5% of over a thousand deliveries were sent badly signed";
  EXPECT_GT(duplicates + already_paid, 0u);
}

}  // namespace
}  // namespace lore::test
