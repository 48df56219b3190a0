#include "http/trusted_proxies.h"

#include <arpa/inet.h>

#include <algorithm>

namespace lore {

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<TrustedProxies::Address> TrustedProxies::parse_address(std::string_view text) {
  // inet_pton wants a terminated string; addresses are short, and anything longer is not one.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string terminated(text);
  Address address;
  if (::inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) {
    address.v4 = true;
    return address;
  }
  if (::inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) != 1) return std::nullopt;
  constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin())) {
    std::copy_n(address.bytes.begin() + 12, 4, address.bytes.begin());
    std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
    address.v4 = true;
  }
  return address;
}

std::optional<TrustedProxies::Range> TrustedProxies::parse_range(std::string_view text) {
  const auto slash = text.find('/');
  auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int width = address->v4 ? 32 : 128;
  int bits = width;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    bits = std::stoi(std::string(digits));
    if (bits > width) return std::nullopt;
  }
  return Range{*address, bits};
}

std::optional<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& entries,
                                                    std::string& error) {
  TrustedProxies proxies;
  for (const auto& entry : entries) {
    auto range = parse_range(trimmed(entry));
    if (!range) {
      error = "'" + entry +
              "' is not an IP address or CIDR range (expected e.g. 10.0.0.0/8, 192.168.1.7, ::1 "
              "or fd00::/8)";
      return std::nullopt;
    }
    proxies.ranges_.push_back(*range);
  }
  return proxies;
}

bool TrustedProxies::trusts(const Address& address) const noexcept {
  for (const auto& range : ranges_) {
    if (range.network.v4 != address.v4) continue;
    int bits = range.prefix_bits;
    std::size_t i = 0;
    for (; bits >= 8; bits -= 8, ++i)
      if (range.network.bytes[i] != address.bytes[i]) break;
    if (bits >= 8) continue;  // a whole byte differed
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    if (bits == 0 || (range.network.bytes[i] & mask) == (address.bytes[i] & mask)) return true;
  }
  return false;
}

bool TrustedProxies::trusts(std::string_view address) const noexcept {
  const auto parsed = parse_address(trimmed(address));
  return parsed && trusts(*parsed);
}

std::string TrustedProxies::client_address(std::string_view peer,
                                           const std::string* forwarded_for) const {
  if (forwarded_for == nullptr || ranges_.empty() || !trusts(peer)) return std::string(peer);
  // Right to left: each trusted hop vouches for the one before it.
  std::string_view nearest = peer;
  std::string_view rest(*forwarded_for);
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const auto entry = trimmed(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    const auto address = parse_address(entry);
    // Not an address: the chain is broken here, and the last hop we could check is the client
    // as far as anyone can tell.
    if (!address) break;
    nearest = entry;
    if (!trusts(*address)) break;
  }
  return std::string(nearest);
}

}  // namespace lore
