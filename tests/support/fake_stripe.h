// A stand-in for Stripe's API in the test process, speaking its documented request and
// response shapes (form-encoded requests with a Bearer secret key, JSON objects, the error
// envelope, Idempotency-Key replays of the first answer, errors included) for what pay-stripe
// uses: Checkout Sessions (create, retrieve), Refunds (create, list by PaymentIntent) and
// PaymentIntents (retrieve). The test plays the buyer and
// Stripe's event delivery: pay() completes a session as Stripe's page would, and event bodies
// come with a Stripe-Signature made with the documented scheme.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "support/fake_http_server.h"

namespace lore::test {

class FakeStripe {
 public:
  explicit FakeStripe(std::string secret_key);

  std::string url() const { return server_.url(); }
  std::vector<FakeRequest> requests() const { return server_.requests(); }
  // The requests to `path` (exact), in order.
  std::vector<FakeRequest> requests_to(const std::string& method, const std::string& path) const;

  // What Stripe's page does when the buyer pays: the session becomes complete and paid, with a
  // PaymentIntent. Returns the session as it is now.
  nlohmann::json pay(const std::string& session_id);
  nlohmann::json session(const std::string& session_id) const;
  // A refund made in Stripe's dashboard (no metadata): returns the Refund.
  nlohmann::json dashboard_refund(const std::string& payment_intent, std::int64_t amount);

  // Until set back to 0, every API call answers this status with an api_error body (500: Stripe
  // is having trouble; 0: normal).
  void fail_with(int status);
  // The next POST is carried out, but its caller gets a 500 instead of the answer.
  void lose_next_post_answer();
  // New refunds start in this status (succeeded by default; pending for bank transfers...).
  void refund_status(const std::string& status);

  // An event of `type` about `object` as Stripe sends it: {"id":"evt_...","object":"event",
  // "type":...,"data":{"object":...},...}.
  std::string event(const std::string& type, const nlohmann::json& object);

  // Stripe-Signature for `body` at `t` with `secret`, as Stripe signs.
  static std::string signature(const std::string& secret, std::int64_t t, const std::string& body);

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse create_session(const FakeRequest& request);
  FakeResponse create_refund(const FakeRequest& request);

  const std::string secret_key_;
  mutable std::mutex mutex_;
  std::map<std::string, nlohmann::json> sessions_;
  std::map<std::string, nlohmann::json> intents_;
  std::map<std::string, nlohmann::json> refunds_;
  std::map<std::string, std::pair<std::string, FakeResponse>> idempotent_;  // key → body, answer
  int failing_ = 0;
  bool lose_next_post_answer_ = false;
  std::string refund_status_ = "succeeded";
  int next_ = 1;
  FakeHttpServer server_;  // last: its thread stops first
};

}  // namespace lore::test
