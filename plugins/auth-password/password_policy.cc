#include "password_policy.h"

#include <algorithm>

namespace auth_password {

extern const std::string_view kCommonPasswords;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

}  // namespace

PasswordPolicy::PasswordPolicy(std::size_t min_length, std::size_t max_length)
    : min_length_(min_length), max_length_(std::max(max_length, min_length)) {
  std::string_view rest = kCommonPasswords;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    if (!line.empty()) common_.insert(line);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
}

std::optional<std::size_t> PasswordPolicy::characters(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80           ? 1
                         : (c >> 5) == 0x6  ? 2
                         : (c >> 4) == 0xe  ? 3
                         : (c >> 3) == 0x1e ? 4
                                            : 0;
    if (length == 0 || i + length > text.size()) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return std::nullopt;
    i += length;
    ++count;
  }
  return count;
}

std::optional<PolicyProblem> PasswordPolicy::check(std::string_view password,
                                                   std::string_view email) const {
  // Bytes first: a huge body is refused before anything walks it.
  if (password.size() > 4 * max_length_)
    return PolicyProblem{"too_long",
                         "password must be at most " + std::to_string(max_length_) + " characters"};
  const auto count = characters(password);
  if (!count) return PolicyProblem{"not_utf8", "password must be valid UTF-8 text"};
  if (*count < min_length_)
    return PolicyProblem{
        "too_short", "password must be at least " + std::to_string(min_length_) + " characters"};
  if (*count > max_length_)
    return PolicyProblem{"too_long",
                         "password must be at most " + std::to_string(max_length_) + " characters"};
  const auto folded = lower(password);
  if (common_.count(folded))
    return PolicyProblem{"too_common",
                         "this password is among the most commonly used; choose another"};
  if (!email.empty() && folded == lower(email))
    return PolicyProblem{"same_as_email", "password must not be the email address"};
  return std::nullopt;
}

}  // namespace auth_password
