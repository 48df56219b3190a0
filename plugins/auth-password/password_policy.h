// What a new password must be: long enough (counted in characters, not bytes), not absurdly
// long, valid UTF-8, not one of the commonly used passwords, and not the account's email.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace auth_password {

struct PolicyProblem {
  std::string code;  // too_short, too_long, not_utf8, too_common, same_as_email
  std::string message;
};

class PasswordPolicy {
 public:
  PasswordPolicy(std::size_t min_length, std::size_t max_length);

  std::optional<PolicyProblem> check(std::string_view password, std::string_view email) const;
  // Counts code points; nullopt when `text` is not UTF-8.
  static std::optional<std::size_t> characters(std::string_view text);
  std::size_t max_length() const noexcept { return max_length_; }

 private:
  std::size_t min_length_;
  std::size_t max_length_;
  std::unordered_set<std::string_view> common_;  // views into the compiled-in list
};

}  // namespace auth_password
