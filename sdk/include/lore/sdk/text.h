// Small text helpers every route needs, shared so that kernel and plugins parse alike.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lore::sdk::text {

// ASCII letters lowered, every other byte kept: how emails and keys are compared.
inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A whole decimal number of zero or more (a count, a time), or nullopt.
inline std::optional<std::int64_t> non_negative_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// A whole decimal number above zero (an id, a limit, a cursor), or nullopt.
inline std::optional<std::int64_t> positive_integer(std::string_view text) {
  auto value = non_negative_integer(text);
  if (value && *value == 0) return std::nullopt;
  return value;
}

// `text` without the spaces (U+0020 only) at either end.
// "a, b, c": names for a message.
inline std::string join(const std::vector<std::string>& parts, std::string_view glue = ", ") {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += glue;
    out += part;
  }
  return out;
}

inline std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace lore::sdk::text
