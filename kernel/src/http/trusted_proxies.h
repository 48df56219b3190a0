// Which peers may tell the kernel who the client is (server.trusted_proxies).
//
// Behind a reverse proxy every connection comes from the proxy, so per-IP limits (sign-in,
// sign-up) would count the whole world as one client. The proxy names the client in
// X-Forwarded-For, but believing that header from anyone would let a client choose its own
// address and walk around the limits. So only listed peers are believed, and the client is the
// rightmost address that is not itself a trusted proxy: entries left of it were written by the
// client and prove nothing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lore {

class TrustedProxies {
 public:
  TrustedProxies() = default;

  // Addresses or CIDR ranges, IPv4 or IPv6 ("10.0.0.0/8", "192.168.1.7", "::1", "fd00::/8").
  // nullopt with `error` naming the entry when one is neither.
  static std::optional<TrustedProxies> parse(const std::vector<std::string>& entries,
                                             std::string& error);

  bool empty() const noexcept { return ranges_.empty(); }
  bool trusts(std::string_view address) const noexcept;

  // The client's address for a request from `peer` carrying `forwarded_for` (the
  // X-Forwarded-For header, or null): `peer` itself unless `peer` is trusted.
  std::string client_address(std::string_view peer, const std::string* forwarded_for) const;

 private:
  struct Address {
    bool v4 = false;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
  };
  struct Range {
    Address network;
    int prefix_bits = 0;
  };

  // IPv4-mapped IPv6 ("::ffff:10.0.0.1") reads as IPv4, as sockets may report either.
  static std::optional<Address> parse_address(std::string_view text);
  static std::optional<Range> parse_range(std::string_view text);
  bool trusts(const Address& address) const noexcept;

  std::vector<Range> ranges_;
};

}  // namespace lore
