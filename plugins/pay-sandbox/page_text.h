// Text for the checkout pages: HTML escaping, money from minor units (integers only), and the
// one field a form posts. Header-only so that the unit tests can reach it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pay_sandbox {

// For text and for attribute values in double or single quotes.
inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// ISO 4217 minor-unit digits: 0 for yen-like currencies, 3 for the dinars, 2 otherwise.
inline int minor_digits(std::string_view currency) {
  for (std::string_view zero : {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                                "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"})
    if (currency == zero) return 0;
  for (std::string_view three : {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
    if (currency == three) return 3;
  return 2;
}

// 9900 CNY -> "99.00 CNY", 500 JPY -> "500 JPY", 1234 KWD -> "1.234 KWD"; no floating point.
inline std::string format_amount(std::int64_t amount_minor, std::string_view currency) {
  const bool negative = amount_minor < 0;
  // Through unsigned, so that the most negative int64 negates without overflow.
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(amount_minor)
                                           : static_cast<std::uint64_t>(amount_minor);
  const int digits = minor_digits(currency);
  std::uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / scale);
  if (digits > 0) {
    auto fraction = std::to_string(magnitude % scale);
    out += '.';
    out += std::string(static_cast<std::size_t>(digits) - fraction.size(), '0');
    out += fraction;
  }
  out += ' ';
  out += currency;
  return out;
}

// application/x-www-form-urlencoded decoding of one value ('+' is a space); nullopt for a
// broken %-escape.
inline std::optional<std::string> form_decode(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;  // needs two hex digits after '%'
      const int high = nibble(text[i + 1]);
      const int low = nibble(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The first value of `name` in a form-encoded body, or nullopt.
inline std::optional<std::string> form_field(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    const auto equals = pair.find('=');
    const auto key = form_decode(pair.substr(0, equals));
    if (key && *key == name)
      return equals == std::string_view::npos ? std::string()
                                              : form_decode(pair.substr(equals + 1));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace pay_sandbox
