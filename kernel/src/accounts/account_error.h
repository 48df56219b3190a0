// Why an account operation was refused, in terms a client can be shown: a stable code and, for
// bad input, the field at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace lore {

class AccountError : public std::runtime_error {
 public:
  AccountError(std::string code, std::string field, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)), field_(std::move(field)) {}
  const std::string& code() const noexcept { return code_; }    // e.g. "duplicate_email"
  const std::string& field() const noexcept { return field_; }  // e.g. "email"; may be empty

 private:
  std::string code_;
  std::string field_;
};

}  // namespace lore
