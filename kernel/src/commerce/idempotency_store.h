// Idempotency keys with Stripe's semantics, for the requests that create money-bearing things
// (POST /api/v1/orders): the first request with a key runs and its answer (errors included) is
// stored; a retry with the same key and the same body gets that answer again; the same key
// with another body is a 422; a retry while the first still runs is a 409. Keys belong to the
// user who sent them and to the route.
#pragma once

#include <optional>
#include <string>

#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "lore/sdk/http.h"

namespace lore {

class IdempotencyStore {
 public:
  // A first request that has not finished after `stale_after_ms` (its process died) may be
  // taken over by a retry.
  IdempotencyStore(sdk::db::Database& database, const sdk::Clock& clock,
                   std::int64_t stale_after_ms = 60000);

  struct Claim {
    // Set when the request must not run: the stored answer (a replay), or the 409/422.
    std::optional<sdk::http::Response> answer;
    // Otherwise the request holds the key under this token until it finishes or releases it.
    std::string owner;
  };
  // Claims `key` for this request (`fingerprint`: a digest of its body; the route is part of
  // the key).
  Claim claim(std::int64_t user_id, const std::string& route, const std::string& key,
              const std::string& fingerprint);
  // Stores the answer of the request that claimed the key. False when the claim was taken over
  // meanwhile (the request ran past the claim timeout): the newer request's answer stands.
  bool finish(std::int64_t user_id, const std::string& route, const std::string& key,
              const std::string& owner, const sdk::http::Response& response);
  // Forgets a claim whose request failed before doing anything (e.g. invalid input), so the
  // client may fix the body and send it again with the same key.
  void release(std::int64_t user_id, const std::string& route, const std::string& key,
               const std::string& owner);

  // Forgets keys older than `before_ms` (a retry that late is a new purchase). Returns how many.
  std::int64_t prune(std::int64_t before_ms);

  // The header's checks: 1 to 255 printable ASCII characters.
  static bool acceptable_key(const std::string& key);

 private:
  sdk::db::Database& database_;
  const sdk::Clock& clock_;
  std::int64_t stale_after_ms_;
};

}  // namespace lore
