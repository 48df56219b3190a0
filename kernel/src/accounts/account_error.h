// Why an account operation was refused, in terms a client can be shown: an HTTP status, a
// stable code and, for bad input, every field at fault. Being an sdk::http::Error, a route
// answers it as is.
#pragma once

#include <string>
#include <vector>

#include "lore/sdk/http.h"

namespace lore {

class AccountError : public sdk::http::Error {
 public:
  // One problem; the status follows from the code (invalid_* 400, duplicate_email and
  // last_admin 409, not_found 404, suspended 403).
  AccountError(std::string code, std::string field, const std::string& message);
  // Every field at fault: 400 invalid_request with details.fields.
  explicit AccountError(std::vector<sdk::http::FieldError> fields);

  const std::string& field() const noexcept { return field_; }  // the first at fault; may be empty
  const std::vector<sdk::http::FieldError>& fields() const noexcept { return fields_; }

 private:
  std::string field_;
  std::vector<sdk::http::FieldError> fields_;
};

}  // namespace lore
