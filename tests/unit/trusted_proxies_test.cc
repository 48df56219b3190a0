// server.trusted_proxies: who may name the client in X-Forwarded-For, and which entry wins.
#include "http/trusted_proxies.h"

#include <gtest/gtest.h>

namespace lore {
namespace {

TrustedProxies proxies(const std::vector<std::string>& entries) {
  std::string error;
  auto parsed = TrustedProxies::parse(entries, error);
  EXPECT_TRUE(parsed) << error;
  return parsed ? *parsed : TrustedProxies{};
}

std::string refusal(const std::vector<std::string>& entries) {
  std::string error;
  if (TrustedProxies::parse(entries, error)) return "accepted";
  return error;
}

TEST(TrustedProxies, AcceptsAddressesAndRangesOfBothFamilies) {
  const auto p = proxies({"127.0.0.1", "10.0.0.0/8", "192.168.4.0/22", "::1", "fd00::/8"});
  EXPECT_TRUE(p.trusts("127.0.0.1"));
  EXPECT_FALSE(p.trusts("127.0.0.2"));
  EXPECT_TRUE(p.trusts("10.255.1.2"));
  EXPECT_FALSE(p.trusts("11.0.0.1"));
  EXPECT_TRUE(p.trusts("192.168.7.255"));  // /22: 192.168.4.0 – 192.168.7.255
  EXPECT_FALSE(p.trusts("192.168.8.0"));
  EXPECT_FALSE(p.trusts("192.168.3.255"));
  EXPECT_TRUE(p.trusts("::1"));
  EXPECT_TRUE(p.trusts("fd12:3456::1"));
  EXPECT_FALSE(p.trusts("fe80::1"));
  EXPECT_TRUE(p.trusts("::ffff:10.1.2.3")) << "IPv4-mapped IPv6 is the IPv4 address";
  EXPECT_FALSE(p.trusts("not an address"));
  EXPECT_FALSE(p.trusts(""));
}

TEST(TrustedProxies, ZeroPrefixTrustsTheWholeFamily) {
  const auto p = proxies({"0.0.0.0/0"});
  EXPECT_TRUE(p.trusts("203.0.113.9"));
  EXPECT_FALSE(p.trusts("2001:db8::1"));
}

TEST(TrustedProxies, RefusesWhatIsNotAnAddressOrRange) {
  for (const char* bad : {"", "nginx", "10.0.0.300", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x",
                          "::1/129", "10.0.0.0/8/8", "10.0.0.0/0008"})
    EXPECT_NE(refusal({bad}), "accepted") << bad;
  EXPECT_EQ(refusal({"10.0.0.1", "10.0.0.300/8"}),
            "'10.0.0.300/8' is not an IP address or CIDR range (expected e.g. 10.0.0.0/8, "
            "192.168.1.7, ::1 or fd00::/8)");
}

TEST(TrustedProxies, AnUntrustedPeerKeepsItsAddressWhateverItSends) {
  const auto p = proxies({"10.0.0.0/8"});
  const std::string forged = "1.2.3.4";
  EXPECT_EQ(p.client_address("203.0.113.9", &forged), "203.0.113.9");
  EXPECT_EQ(TrustedProxies{}.client_address("10.0.0.1", &forged), "10.0.0.1")
      << "nothing is trusted by default";
}

TEST(TrustedProxies, ATrustedPeerNamesTheClient) {
  const auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(p.client_address("10.0.0.1", nullptr), "10.0.0.1");
  const std::string one = "203.0.113.9";
  EXPECT_EQ(p.client_address("10.0.0.1", &one), "203.0.113.9");
  const std::string padded = "  203.0.113.9  ";
  EXPECT_EQ(p.client_address("10.0.0.1", &padded), "203.0.113.9");
}

TEST(TrustedProxies, EntriesLeftOfTheFirstUntrustedHopAreTheClientsOwnWords) {
  const auto p = proxies({"10.0.0.0/8"});
  // The client sent "1.1.1.1"; the proxy appended the address it saw.
  const std::string spoofed = "1.1.1.1, 203.0.113.9";
  EXPECT_EQ(p.client_address("10.0.0.1", &spoofed), "203.0.113.9");
  // Two proxies in a row: the inner one appended the outer one's address.
  const std::string chained = "1.1.1.1, 203.0.113.9, 10.0.0.7";
  EXPECT_EQ(p.client_address("10.0.0.1", &chained), "203.0.113.9");
  // Every hop trusted: the leftmost is as far as the chain goes.
  const std::string internal = "10.9.9.9, 10.0.0.7";
  EXPECT_EQ(p.client_address("10.0.0.1", &internal), "10.9.9.9");
}

TEST(TrustedProxies, ABrokenChainStopsAtTheLastHopThatCouldBeChecked) {
  const auto p = proxies({"10.0.0.0/8"});
  const std::string garbage = "203.0.113.9, unknown";
  EXPECT_EQ(p.client_address("10.0.0.1", &garbage), "10.0.0.1");
  const std::string behind_garbage = "unknown, 10.0.0.7";
  EXPECT_EQ(p.client_address("10.0.0.1", &behind_garbage), "10.0.0.7");
  const std::string empty;
  EXPECT_EQ(p.client_address("10.0.0.1", &empty), "10.0.0.1");
}

}  // namespace
}  // namespace lore
