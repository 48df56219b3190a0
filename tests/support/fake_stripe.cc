#include "support/fake_stripe.h"

#include <lore/sdk/text.h>
#include <lore/sdk/webhook_signature.h>

namespace lore::test {

namespace {

FakeResponse error(int status, const std::string& type, const std::string& code,
                   const std::string& message) {
  nlohmann::json body = {{"error", {{"type", type}, {"message", message}}}};
  if (!code.empty()) body["error"]["code"] = code;
  return {status, body.dump()};
}

FakeResponse missing(const std::string& param) {
  return error(400, "invalid_request_error", "parameter_missing",
               "Missing required param: " + param + ".");
}

FakeResponse json(const nlohmann::json& body) { return {200, body.dump()}; }

// The `<prefix>[key]=value` fields of a form body, as Stripe builds a metadata object.
nlohmann::json metadata(const FakeRequest& request, const std::string& prefix) {
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [name, value] : form_fields(request.body))
    if (name.starts_with(prefix + "[") && name.back() == ']')
      fields[name.substr(prefix.size() + 1, name.size() - prefix.size() - 2)] = value;
  return fields;
}

}  // namespace

FakeStripe::FakeStripe(std::string secret_key)
    : secret_key_(std::move(secret_key)),
      server_([this](const FakeRequest& request) { return handle(request); }) {}

std::vector<FakeRequest> FakeStripe::requests_to(const std::string& method,
                                                 const std::string& path) const {
  std::vector<FakeRequest> matching;
  for (auto& request : server_.requests())
    if (request.method == method && request.path == path) matching.push_back(std::move(request));
  return matching;
}

void FakeStripe::fail_with(int status) {
  std::lock_guard lock(mutex_);
  failing_ = status;
}

void FakeStripe::lose_next_post_answer() {
  std::lock_guard lock(mutex_);
  lose_next_post_answer_ = true;
}

void FakeStripe::refund_status(const std::string& status) {
  std::lock_guard lock(mutex_);
  refund_status_ = status;
}

nlohmann::json FakeStripe::session(const std::string& session_id) const {
  std::lock_guard lock(mutex_);
  return sessions_.at(session_id);
}

nlohmann::json FakeStripe::pay(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  auto& session = sessions_.at(session_id);
  const auto intent = "pi_test_" + std::to_string(next_++);
  session["status"] = "complete";
  session["payment_status"] = "paid";
  session["payment_intent"] = intent;
  intents_[intent] = {{"id", intent},
                      {"object", "payment_intent"},
                      {"amount", session["amount_total"]},
                      {"amount_received", session["amount_total"]},
                      {"currency", session["currency"]},
                      {"status", "succeeded"},
                      {"metadata", session["payment_intent_metadata"]}};
  return session;
}

nlohmann::json FakeStripe::dashboard_refund(const std::string& payment_intent,
                                            std::int64_t amount) {
  std::lock_guard lock(mutex_);
  auto& intent = intents_.at(payment_intent);
  intent["amount_refunded"] = intent.value("amount_refunded", std::int64_t{0}) + amount;
  const auto id = "re_test_" + std::to_string(next_++);
  refunds_[id] = {{"id", id},
                  {"object", "refund"},
                  {"amount", amount},
                  {"currency", intent["currency"]},
                  {"metadata", nlohmann::json::object()},
                  {"payment_intent", payment_intent},
                  {"status", "succeeded"}};
  return refunds_[id];
}

std::string FakeStripe::event(const std::string& type, const nlohmann::json& object) {
  std::lock_guard lock(mutex_);
  return nlohmann::json{{"id", "evt_test_" + std::to_string(next_++)},
                        {"object", "event"},
                        {"api_version", "2024-06-20"},
                        {"created", 1767225600},
                        {"livemode", false},
                        {"pending_webhooks", 1},
                        {"type", type},
                        {"data", {{"object", object}}}}
      .dump();
}

std::string FakeStripe::signature(const std::string& secret, std::int64_t t,
                                  const std::string& body) {
  return sdk::webhook_signature::signature_header(secret, t, body);
}

FakeResponse FakeStripe::handle(const FakeRequest& request) {
  if (request.header("authorization") != "Bearer " + secret_key_)
    return error(401, "invalid_request_error", "",
                 "Invalid API Key provided: check your secret key.");
  std::lock_guard lock(mutex_);
  if (failing_ != 0)
    return error(failing_, "api_error", "", "Something went wrong on Stripe's end.");
  // Stripe's idempotency: the same key and parameters replay the first answer; other
  // parameters under the same key are an error.
  const auto key = request.header("idempotency-key");
  if (key && request.method == "POST") {
    const auto scoped = request.path + " " + *key;
    if (auto seen = idempotent_.find(scoped); seen != idempotent_.end()) {
      if (seen->second.first != request.body)
        return error(400, "idempotency_error", "",
                     "Keys for idempotent requests can only be used with the same parameters "
                     "they were first used with.");
      return seen->second.second;
    }
  }
  FakeResponse answer;
  const std::string sessions = "/v1/checkout/sessions/";
  const std::string intents = "/v1/payment_intents/";
  if (request.method == "POST" && request.path == "/v1/checkout/sessions") {
    answer = create_session(request);
  } else if (request.method == "POST" && request.path == "/v1/refunds") {
    answer = create_refund(request);
  } else if (request.method == "GET" && request.path.starts_with(sessions)) {
    const auto it = sessions_.find(request.path.substr(sessions.size()));
    answer = it == sessions_.end()
                 ? error(404, "invalid_request_error", "resource_missing",
                         "No such checkout.session: '" + request.path.substr(sessions.size()) + "'")
                 : json(it->second);
  } else if (request.method == "GET" && request.path == "/v1/refunds") {
    nlohmann::json data = nlohmann::json::array();
    const auto intent = request.query_param("payment_intent");
    for (const auto& [id, refund] : refunds_)
      if (!intent || refund["payment_intent"] == *intent) data.push_back(refund);
    answer =
        json({{"object", "list"}, {"url", "/v1/refunds"}, {"has_more", false}, {"data", data}});
  } else if (request.method == "GET" && request.path.starts_with(intents)) {
    const auto it = intents_.find(request.path.substr(intents.size()));
    answer = it == intents_.end()
                 ? error(404, "invalid_request_error", "resource_missing", "No such payment_intent")
                 : json(it->second);
  } else {
    answer = error(404, "invalid_request_error", "",
                   "Unrecognized request URL (" + request.method + ": " + request.path + ").");
  }
  // Stripe saves the first answer under the key, errors included.
  if (key && request.method == "POST")
    idempotent_[request.path + " " + *key] = {request.body, answer};
  if (lose_next_post_answer_ && request.method == "POST") {
    // Done at Stripe, but the answer never reaches the caller (a timeout on the way back).
    lose_next_post_answer_ = false;
    return error(500, "api_error", "", "The answer was lost on the way back.");
  }
  return answer;
}

FakeResponse FakeStripe::create_session(const FakeRequest& request) {
  for (const char* param :
       {"mode", "success_url", "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]", "line_items[0][price_data][product_data][name]",
        "line_items[0][quantity]"})
    if (!request.form(param)) return missing(param);
  if (request.form("mode") != "payment")
    return error(400, "invalid_request_error", "", "This test double only knows mode=payment.");
  const auto currency = *request.form("line_items[0][price_data][currency]");
  if (currency.size() != 3 || currency != sdk::text::ascii_lower(currency))
    return error(400, "invalid_request_error", "", "Invalid currency: " + currency);
  const auto amount = std::stoll(*request.form("line_items[0][price_data][unit_amount]"));
  const auto quantity = std::stoll(*request.form("line_items[0][quantity]"));
  const auto id = "cs_test_" + std::to_string(next_++);
  nlohmann::json session = {
      {"id", id},
      {"object", "checkout.session"},
      {"mode", "payment"},
      {"status", "open"},
      {"payment_status", "unpaid"},
      {"payment_intent", nullptr},
      {"amount_total", amount * quantity},
      {"currency", currency},
      {"client_reference_id", request.form("client_reference_id").value_or("")},
      {"metadata", metadata(request, "metadata")},
      {"success_url", *request.form("success_url")},
      {"url", "https://checkout.stripe.com/c/pay/" + id + "#fidkdWxOYHwnPyd1blpxYHZxWjA0"}};
  if (auto expires = request.form("expires_at")) session["expires_at"] = std::stoll(*expires);
  // Kept aside: a real session does not show its PaymentIntent's metadata.
  session["payment_intent_metadata"] = metadata(request, "payment_intent_data[metadata]");
  sessions_[id] = session;
  auto shown = session;
  shown.erase("payment_intent_metadata");
  return json(shown);
}

FakeResponse FakeStripe::create_refund(const FakeRequest& request) {
  const auto intent_id = request.form("payment_intent");
  if (!intent_id) return missing("payment_intent");
  const auto it = intents_.find(*intent_id);
  if (it == intents_.end())
    return error(400, "invalid_request_error", "resource_missing",
                 "No such payment_intent: '" + *intent_id + "'");
  auto& intent = it->second;
  const auto received = intent["amount_received"].get<std::int64_t>();
  const auto refunded = intent.value("amount_refunded", std::int64_t{0});
  const auto amount =
      request.form("amount") ? std::stoll(*request.form("amount")) : received - refunded;
  if (refunded >= received)
    return error(400, "invalid_request_error", "charge_already_refunded",
                 "Charge " + *intent_id + " has already been refunded.");
  if (amount <= 0 || amount > received - refunded)
    return error(400, "invalid_request_error", "amount_too_large",
                 "Refund amount is greater than unrefunded amount on charge.");
  intent["amount_refunded"] = refunded + amount;
  const auto id = "re_test_" + std::to_string(next_++);
  refunds_[id] = {{"id", id},
                  {"object", "refund"},
                  {"amount", amount},
                  {"currency", intent["currency"]},
                  {"payment_intent", *intent_id},
                  {"status", refund_status_},
                  {"metadata", metadata(request, "metadata")}};
  return json(refunds_[id]);
}

}  // namespace lore::test
