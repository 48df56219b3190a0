// How the pipeline learns who sent a request: it hands over the bearer token, the kernel's
// accounts answer. An interface so that the pipeline can be tested without a database.
#pragma once

#include <string_view>

#include "lore/sdk/http.h"

namespace lore {

struct Authentication {
  enum class Outcome {
    none,         // no credential presented
    valid,        // `principal` is set
    invalid,      // unknown, expired or revoked: 401
    unavailable,  // cannot tell now (database down): 503 where a principal is needed
  };
  Outcome outcome = Outcome::none;
  sdk::http::Principal principal;
};

class RequestAuthenticator {
 public:
  virtual ~RequestAuthenticator() = default;
  virtual Authentication authenticate(std::string_view bearer_token) const noexcept = 0;
};

}  // namespace lore
