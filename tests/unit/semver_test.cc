#include "plugin/semver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace lore {

// Readable gtest failure output.
void PrintTo(const Version& v, std::ostream* os) { *os << v.to_string(); }

namespace {

// Parses a version the test expects to be valid.
Version V(std::string_view text) {
  auto result = parse_version(text);
  if (const auto* err = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << "unexpected parse failure: " << *err;
    return {};
  }
  return std::get<Version>(result);
}

std::string VersionError(std::string_view text) {
  auto result = parse_version(text);
  if (const auto* err = std::get_if<std::string>(&result)) return *err;
  ADD_FAILURE() << "'" << text << "' unexpectedly parsed as "
                << std::get<Version>(result).to_string();
  return {};
}

std::string RangeError(std::string_view text) {
  auto result = VersionRange::parse(text);
  if (const auto* err = std::get_if<std::string>(&result)) return *err;
  ADD_FAILURE() << "range '" << text << "' unexpectedly parsed as "
                << std::get<VersionRange>(result).normalized();
  return {};
}

// ---------------------------------------------------------------------------------------------
// Version parsing

TEST(ParseVersion, AcceptsValidVersions) {
  struct Case {
    std::string text;
    std::uint64_t major, minor, patch;
    std::vector<std::string> prerelease;
    std::string build;
  };
  const std::vector<Case> cases = {
      {"0.0.0", 0, 0, 0, {}, ""},
      {"1.2.3", 1, 2, 3, {}, ""},
      {"10.20.30", 10, 20, 30, {}, ""},
      {"1.0.0-alpha", 1, 0, 0, {"alpha"}, ""},
      {"1.2.3-alpha.1", 1, 2, 3, {"alpha", "1"}, ""},
      {"1.2.3-alpha.1+build.5", 1, 2, 3, {"alpha", "1"}, "build.5"},
      {"1.0.0-0.3.7", 1, 0, 0, {"0", "3", "7"}, ""},
      {"1.0.0-x.7.z.92", 1, 0, 0, {"x", "7", "z", "92"}, ""},
      {"1.0.0-x-y-z.--", 1, 0, 0, {"x-y-z", "--"}, ""},
      {"1.0.0-alpha-a.b-c-somethinglong", 1, 0, 0, {"alpha-a", "b-c-somethinglong"}, ""},
      {"1.0.0-0A.is.legal", 1, 0, 0, {"0A", "is", "legal"}, ""},
      {"1.0.0+20130313144700", 1, 0, 0, {}, "20130313144700"},
      {"1.0.0-beta+exp.sha.5114f85", 1, 0, 0, {"beta"}, "exp.sha.5114f85"},
      {"1.0.0+21AF26D3----117B344092BD", 1, 0, 0, {}, "21AF26D3----117B344092BD"},
      {"1.0.0+0.build.1-rc.10000aaa-kk-0.1", 1, 0, 0, {}, "0.build.1-rc.10000aaa-kk-0.1"},
      {"1.0.0+001", 1, 0, 0, {}, "001"},  // leading zeros are fine in build metadata
      {"1.0.0-rc.1+build-1", 1, 0, 0, {"rc", "1"}, "build-1"},
      {"1.0.0+build-with-dash", 1, 0, 0, {}, "build-with-dash"},
      {"18446744073709551615.0.18446744073709551615",
       18446744073709551615u,
       0,
       18446744073709551615u,
       {},
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto result = parse_version(c.text);
    ASSERT_TRUE(std::holds_alternative<Version>(result)) << std::get<std::string>(result);
    const Version& v = std::get<Version>(result);
    EXPECT_EQ(v.major, c.major);
    EXPECT_EQ(v.minor, c.minor);
    EXPECT_EQ(v.patch, c.patch);
    EXPECT_EQ(v.prerelease, c.prerelease);
    EXPECT_EQ(v.build, c.build);
    EXPECT_EQ(v.to_string(), c.text);  // round trip
  }
}

TEST(ParseVersion, RejectsInvalidVersions) {
  // Each case: text and a fragment the error message must contain.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "expected MAJOR.MINOR.PATCH"},
      {"1", "expected MAJOR.MINOR.PATCH"},
      {"1.2", "expected MAJOR.MINOR.PATCH"},
      {"1.2.3.4", "expected MAJOR.MINOR.PATCH"},
      {"1..3", "expected MAJOR.MINOR.PATCH"},
      {".1.2", "expected MAJOR.MINOR.PATCH"},
      {"1.2.", "expected MAJOR.MINOR.PATCH"},
      {"-1.2.3", "expected MAJOR.MINOR.PATCH"},
      {"+1.2.3", "expected MAJOR.MINOR.PATCH"},
      {"01.2.3", "major version '01' must not have leading zeros"},
      {"1.02.3", "minor version '02' must not have leading zeros"},
      {"1.2.03", "patch version '03' must not have leading zeros"},
      {"00.0.0", "major version '00' must not have leading zeros"},
      {"a.2.3", "major version 'a' is not a number"},
      {"1.x.3", "minor version 'x' is not a number"},
      {"1.2.*", "patch version '*' is not a number"},
      {"v1.2.3", "major version 'v1' is not a number"},
      {" 1.2.3", "major version ' 1' is not a number"},
      {"1.2.3 ", "patch version '3 ' is not a number"},
      {"1.2.3beta", "patch version '3beta' is not a number"},
      {"1.2.+3", "expected MAJOR.MINOR.PATCH"},
      {"18446744073709551616.0.0", "major version '18446744073709551616' is too large"},
      {"1.99999999999999999999.0", "minor version '99999999999999999999' is too large"},
      {"1.2.3-", "pre-release identifiers must not be empty"},
      {"1.2.3-alpha.", "pre-release identifiers must not be empty"},
      {"1.2.3-.alpha", "pre-release identifiers must not be empty"},
      {"1.2.3-alpha..1", "pre-release identifiers must not be empty"},
      {"1.2.3-+build", "pre-release identifiers must not be empty"},
      {"1.2.3-01", "numeric pre-release identifier '01' must not have leading zeros"},
      {"1.2.3-alpha.007", "numeric pre-release identifier '007' must not have leading zeros"},
      {"1.2.3-al_pha", "pre-release identifier 'al_pha' must contain only [0-9A-Za-z-]"},
      {"1.2.3-alpha beta", "pre-release identifier 'alpha beta' must contain only"},
      {"1.2.3-é", "pre-release identifier"},
      {"1.2.3+", "build identifiers must not be empty"},
      {"1.2.3+build.", "build identifiers must not be empty"},
      {"1.2.3+a..b", "build identifiers must not be empty"},
      {"1.2.3+a+b", "build identifier 'a+b' must contain only [0-9A-Za-z-]"},
      {"1.2.3+build_1", "build identifier 'build_1' must contain only [0-9A-Za-z-]"},
  };
  for (const auto& [text, fragment] : cases) {
    SCOPED_TRACE(text);
    const std::string error = VersionError(text);
    EXPECT_EQ(error.rfind("invalid version '" + text + "': ", 0), 0u) << error;
    EXPECT_NE(error.find(fragment), std::string::npos) << error;
  }
}

TEST(ParseVersion, ExactErrorMessages) {
  EXPECT_EQ(VersionError("1.2"), "invalid version '1.2': expected MAJOR.MINOR.PATCH");
  EXPECT_EQ(VersionError(""), "invalid version '': expected MAJOR.MINOR.PATCH");
  EXPECT_EQ(VersionError("01.2.3"),
            "invalid version '01.2.3': major version '01' must not have leading zeros");
  EXPECT_EQ(VersionError("1.2.x"), "invalid version '1.2.x': patch version 'x' is not a number");
  EXPECT_EQ(VersionError("1.2.3-alpha..1"),
            "invalid version '1.2.3-alpha..1': pre-release identifiers must not be empty");
  EXPECT_EQ(VersionError("1.2.3-rc.01"),
            "invalid version '1.2.3-rc.01': numeric pre-release identifier '01' must not have "
            "leading zeros");
  EXPECT_EQ(VersionError("1.2.3+"),
            "invalid version '1.2.3+': build identifiers must not be empty");
}

TEST(VersionToString, FormatsHandBuiltVersions) {
  EXPECT_EQ((Version{1, 2, 3, {}, ""}).to_string(), "1.2.3");
  EXPECT_EQ((Version{0, 0, 0, {"rc", "1"}, ""}).to_string(), "0.0.0-rc.1");
  EXPECT_EQ((Version{4, 5, 6, {}, "sha.abc"}).to_string(), "4.5.6+sha.abc");
  EXPECT_EQ((Version{7, 8, 9, {"beta"}, "b.2"}).to_string(), "7.8.9-beta+b.2");
  EXPECT_EQ(Version{}.to_string(), "0.0.0");
}

// ---------------------------------------------------------------------------------------------
// Precedence

TEST(Compare, SemverSpecPrecedenceExample) {
  // semver.org 2.0.0, item 11.
  const std::vector<std::string> ordered = {
      "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
      "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
  };
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    for (std::size_t j = 0; j < ordered.size(); ++j) {
      SCOPED_TRACE(ordered[i] + " vs " + ordered[j]);
      const int c = compare(V(ordered[i]), V(ordered[j]));
      if (i < j) {
        EXPECT_LT(c, 0);
        EXPECT_TRUE(V(ordered[i]) < V(ordered[j]));
      } else if (i > j) {
        EXPECT_GT(c, 0);
        EXPECT_TRUE(V(ordered[i]) > V(ordered[j]));
      } else {
        EXPECT_EQ(c, 0);
        EXPECT_TRUE(V(ordered[i]) == V(ordered[j]));
      }
    }
  }
}

TEST(Compare, SortingShuffledVersionsRestoresPrecedenceOrder) {
  const std::vector<std::string> ordered = {
      "0.0.0-0",
      "0.0.0",
      "0.0.1",
      "0.1.0",
      "0.9.9",
      "0.10.0",
      "1.0.0-0",
      "1.0.0-1",
      "1.0.0-2",
      "1.0.0-10",
      "1.0.0-a",
      "1.0.0-a.0",
      "1.0.0-b",
      "1.0.0",
      "1.0.1",
      "1.2.0",
      "1.9.0",
      "1.10.0",
      "1.11.0",
      "2.0.0-rc.1",
      "2.0.0",
      "10.0.0",
      "18446744073709551615.0.0",
  };
  std::vector<Version> versions;
  for (const std::string& text : ordered) versions.push_back(V(text));
  std::mt19937 rng(12345);
  for (int round = 0; round < 5; ++round) {
    std::vector<Version> shuffled = versions;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    std::sort(shuffled.begin(), shuffled.end());
    std::vector<std::string> sorted;
    for (const Version& v : shuffled) sorted.push_back(v.to_string());
    EXPECT_EQ(sorted, ordered);
  }
}

TEST(Compare, NumericPartsCompareNumericallyNotLexically) {
  const std::vector<std::pair<std::string, std::string>> less = {
      {"1.9.0", "1.10.0"},
      {"1.0.9", "1.0.10"},
      {"9.0.0", "10.0.0"},
      {"1.99.99", "2.0.0"},
      {"1.0.0-2", "1.0.0-10"},
      {"1.0.0-beta.9", "1.0.0-beta.10"},
      {"1.0.0-alpha.99", "1.0.0-alpha.100"},
  };
  for (const auto& [a, b] : less) {
    SCOPED_TRACE(a + " < " + b);
    EXPECT_LT(compare(V(a), V(b)), 0);
    EXPECT_GT(compare(V(b), V(a)), 0);
  }
}

TEST(Compare, PrereleaseIdentifierRules) {
  // Numeric identifiers are lower than alphanumeric ones, including digit-leading ones.
  EXPECT_LT(compare(V("1.0.0-999"), V("1.0.0-a")), 0);
  EXPECT_LT(compare(V("1.0.0-1"), V("1.0.0-0a")), 0);
  EXPECT_LT(compare(V("1.0.0-rc.1"), V("1.0.0-rc.a")), 0);
  // Alphanumeric identifiers compare in ASCII order ('-' < digits < upper < lower).
  EXPECT_LT(compare(V("1.0.0-Beta"), V("1.0.0-alpha")), 0);
  EXPECT_LT(compare(V("1.0.0-a-b"), V("1.0.0-a1")), 0);
  // A longer set wins when all preceding identifiers are equal.
  EXPECT_LT(compare(V("1.0.0-a.b"), V("1.0.0-a.b.0")), 0);
  // Any pre-release is lower than the release, even for a smaller patch sibling.
  EXPECT_LT(compare(V("1.0.0-zzz"), V("1.0.0")), 0);
  EXPECT_GT(compare(V("1.0.1-0"), V("1.0.0")), 0);
}

TEST(Compare, HugeNumericPrereleaseIdentifiersCompareNumerically) {
  // Pre-release numbers are not bounded by uint64_t.
  EXPECT_LT(compare(V("1.0.0-99999999999999999999"), V("1.0.0-100000000000000000000")), 0);
  EXPECT_GT(compare(V("1.0.0-100000000000000000001"), V("1.0.0-100000000000000000000")), 0);
  EXPECT_EQ(compare(V("1.0.0-123456789012345678901234"), V("1.0.0-123456789012345678901234")), 0);
}

TEST(Compare, BuildMetadataIsIgnored) {
  EXPECT_EQ(compare(V("1.0.0+a"), V("1.0.0+b")), 0);
  EXPECT_EQ(compare(V("1.0.0-rc.1+x"), V("1.0.0-rc.1")), 0);
  EXPECT_TRUE(V("1.0.0+a") == V("1.0.0+b"));
  EXPECT_FALSE(V("1.0.0+a") < V("1.0.0+b"));
  EXPECT_TRUE(V("1.0.0-rc.1+z") < V("1.0.0+a"));
  EXPECT_TRUE((V("2.0.0+1") <=> V("2.0.0")) == 0);
}

TEST(Compare, OperatorsAgreeWithCompare) {
  const Version a = V("1.2.3");
  const Version b = V("1.2.4-beta");
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(a <= b);
  EXPECT_TRUE(b > a);
  EXPECT_TRUE(b >= a);
  EXPECT_TRUE(a != b);
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a <= a);
  EXPECT_TRUE(a >= a);
  EXPECT_EQ(compare(a, b), -1);
  EXPECT_EQ(compare(b, a), 1);
  EXPECT_EQ(compare(a, a), 0);
}

// ---------------------------------------------------------------------------------------------
// Ranges

struct RangeCase {
  std::string range;
  std::vector<std::string> in;
  std::vector<std::string> out;
};

// Checks membership, and that the normalized form is a valid range with the same membership.
void ExpectRanges(const std::vector<RangeCase>& cases) {
  for (const RangeCase& c : cases) {
    SCOPED_TRACE("range '" + c.range + "'");
    auto parsed = VersionRange::parse(c.range);
    ASSERT_TRUE(std::holds_alternative<VersionRange>(parsed)) << std::get<std::string>(parsed);
    const VersionRange& range = std::get<VersionRange>(parsed);
    EXPECT_EQ(range.text(), c.range);

    auto reparsed = VersionRange::parse(range.normalized());
    ASSERT_TRUE(std::holds_alternative<VersionRange>(reparsed))
        << "normalized '" << range.normalized() << "': " << std::get<std::string>(reparsed);
    const VersionRange& normalized = std::get<VersionRange>(reparsed);

    for (const std::string& v : c.in) {
      EXPECT_TRUE(range.contains(V(v))) << v << " should be in " << range.normalized();
      EXPECT_TRUE(normalized.contains(V(v))) << v << " (normalized range)";
    }
    for (const std::string& v : c.out) {
      EXPECT_FALSE(range.contains(V(v))) << v << " should not be in " << range.normalized();
      EXPECT_FALSE(normalized.contains(V(v))) << v << " (normalized range)";
    }
  }
}

TEST(VersionRange, AnyVersion) {
  ExpectRanges({
      {"", {"0.0.0", "1.2.3", "999.0.0"}, {"1.0.0-rc.1"}},
      {"   ", {"0.0.0", "1.2.3"}, {}},
      {"*", {"0.0.0", "1.2.3", "18446744073709551615.0.0"}, {"1.0.0-rc.1"}},
      {"x", {"0.0.0", "1.2.3"}, {"0.0.1-alpha"}},
      {"X", {"0.0.0", "1.2.3"}, {}},
      {"x.x.x", {"3.2.1"}, {}},
      {"*.*", {"3.2.1"}, {}},
      {"||", {"1.3.4"}, {}},
      {">=*", {"0.2.4"}, {}},
      {"<=*", {"0.2.4"}, {}},
      {"=*", {"0.2.4"}, {}},
      {"~*", {"0.2.4"}, {}},
      {"^x", {"1.2.3"}, {}},
  });
}

TEST(VersionRange, MatchNothing) {
  // npm: ">*" and "<*" can never be satisfied.
  ExpectRanges({
      {">*", {}, {"0.0.0", "1.2.3", "0.0.0-0"}},
      {"<x", {}, {"0.0.0", "1.2.3"}},
      {">1.2.3 <1.2.3", {}, {"1.2.3", "1.2.2", "1.2.4"}},
      // ">2" means ">=3.0.0" (partial versions cover the whole 2.x line), as in npm.
      {">2 <3", {}, {"2.5.0", "3.0.0", "2.0.0"}},
  });
}

TEST(VersionRange, ExactVersion) {
  ExpectRanges({
      {"1.2.3", {"1.2.3", "1.2.3+build.7"}, {"1.2.2", "1.2.4", "1.3.0", "1.2.3-rc.1"}},
      {"=1.2.3", {"1.2.3"}, {"1.2.4", "1.2.3-beta"}},
      {"= 1.2.3", {"1.2.3"}, {"1.2.4"}},
      {"1.2.3+build.1", {"1.2.3", "1.2.3+other"}, {"1.2.4"}},  // build in range ignored
      {"1.2.3-beta.2", {"1.2.3-beta.2"}, {"1.2.3-beta.1", "1.2.3-beta.3", "1.2.3"}},
      {"1.0.0", {"1.0.0"}, {"1.0.1"}},
  });
}

TEST(VersionRange, ComparatorsWithFullVersions) {
  ExpectRanges({
      {">=1.0.0", {"1.0.0", "1.0.1", "1.1.0", "2.0.0"}, {"0.0.0", "0.0.1", "0.1.0", "0.9.9"}},
      {">1.0.0", {"1.0.1", "1.1.0"}, {"1.0.0", "0.0.1", "0.1.0"}},
      {"<=2.0.0", {"2.0.0", "1.9999.9999", "0.2.9"}, {"3.0.0", "2.9999.9999", "2.2.9", "2.0.1"}},
      {"<2.0.0", {"1.9999.9999", "0.2.9"}, {"2.0.0", "2.9999.9999", "2.2.9"}},
      {">=0.1.97", {"0.1.97", "0.2.0"}, {"0.1.93"}},
      {"<1.2.3", {"1.2.2", "0.0.0"}, {"1.2.3", "1.2.3-beta", "1.2.4"}},
  });
}

TEST(VersionRange, ComparatorsWithPartialVersions) {
  ExpectRanges({
      {">=1.2", {"1.2.0", "1.2.8", "2.0.0"}, {"1.1.1", "1.1.9999"}},
      {">=1", {"1.0.0", "3.0.0"}, {"0.9.9"}},
      {">1.2", {"1.3.0", "2.0.0"}, {"1.2.8", "1.2.0", "1.1.0"}},
      {">1", {"2.0.0", "2.5.1"}, {"1.9.9", "1.0.0"}},
      {"<1.2", {"1.1.1", "1.1.9999", "0.0.0"}, {"1.2.0", "1.2.0-0", "1.3.0"}},
      {"<1", {"0.9.9", "0.0.0"}, {"1.0.0", "1.0.0-beta", "1.5.0"}},
      {"<=1.2", {"1.2.9999", "1.2.0", "0.5.0"}, {"1.3.0", "1.3.0-0", "2.0.0"}},
      {"<=1", {"1.9999.9999", "0.0.0"}, {"2.0.0"}},
      {"<=7.x", {"7.9.9", "7.0.0"}, {"8.0.0"}},
      {"=0.7.x", {"0.7.2", "0.7.0"}, {"0.8.2", "0.6.9", "0.7.0-asdf"}},
      {"<=0.7.x", {"0.7.2", "0.6.2"}, {"0.8.0", "0.7.0-asdf"}},
      {">=0.7.x", {"0.7.2", "1.0.0"}, {"0.6.2", "0.7.0-asdf"}},
      {"<0.7.x", {"0.6.9"}, {"0.7.2", "0.7.0"}},
      {">0.7.x", {"0.8.0"}, {"0.7.9"}},
  });
}

TEST(VersionRange, SpaceSeparatedComparatorsAreAnded) {
  ExpectRanges({
      {">=1.0.0 <1.1.0", {"1.0.0", "1.0.9"}, {"1.1.0", "0.9.9", "1.1.0-pre"}},
      {">=1.0.0 <1.1.0-pre", {"1.0.5"}, {"1.1.0-pre"}},
      {"~1.2.1 >=1.2.3", {"1.2.3", "1.2.9"}, {"1.2.2", "1.3.0"}},
      {"~1.2.1 =1.2.3", {"1.2.3"}, {"1.2.4"}},
      {"~1.2.1 1.2.3", {"1.2.3"}, {"1.2.1"}},
      {"~1.2.1 >=1.2.3 1.2.3", {"1.2.3"}, {"1.2.4"}},
      {">=1.2.1 >=1.2.3", {"1.2.3"}, {"1.2.2"}},
      {"^1.2 ^1", {"1.4.2"}, {"1.1.0", "2.0.0"}},
      {">1 <3", {"2.0.0", "2.9.9"}, {"1.9.9", "3.0.0"}},
  });
}

TEST(VersionRange, DoublePipeSeparatesAlternatives) {
  ExpectRanges({
      {"0.1.20 || 1.2.4", {"0.1.20", "1.2.4"}, {"1.2.3", "0.1.21"}},
      {">=0.2.3 || <0.0.1", {"0.0.0", "0.2.3", "0.2.4"}, {"0.0.3", "0.2.2"}},
      {"1.2.x || 2.x", {"2.1.3", "1.2.3"}, {"3.1.3", "1.1.3"}},
      {"1.2.* || 2.*", {"2.1.3", "1.2.3"}, {"3.1.3", "1.1.3"}},
      {"^1.0.0||^3.0.0", {"1.5.0", "3.1.0"}, {"2.0.0", "4.0.0"}},
      {"1.0.0 || ", {"1.0.0", "7.0.0"}, {}},  // an empty alternative matches anything
      {"<1 || >=2 <3 || 5.x", {"0.5.0", "2.5.0", "5.1.0"}, {"1.5.0", "3.0.0", "4.0.0", "6.0.0"}},
  });
}

TEST(VersionRange, HyphenRanges) {
  ExpectRanges({
      {"1.2.3 - 2.3.4", {"1.2.3", "2.0.0", "2.3.4"}, {"1.2.2", "2.3.5", "2.4.0"}},
      {"1.0.0 - 2.0.0", {"1.2.3"}, {"2.2.3", "2.0.1"}},
      // Partial low end: missing parts are zeros.
      {"1.2 - 2.3.4", {"1.2.0", "2.3.4"}, {"1.1.9", "2.3.5"}},
      // Partial high end: everything up to the next MINOR / MAJOR is included.
      {"1.2.3 - 2.3", {"1.2.3", "2.3.9999"}, {"2.4.0", "2.4.0-0"}},
      {"1.2.3 - 2", {"2.9.9"}, {"3.0.0", "1.2.2"}},
      {"1.2 - 3.4", {"1.2.0", "3.4.99"}, {"3.5.0", "1.1.99"}},
      {"x - 1.0.0", {"0.9.7", "1.0.0"}, {"1.0.1"}},
      {"x - 1.x", {"0.9.7", "1.9.9"}, {"2.0.0"}},
      {"1.0.0 - x", {"1.9.7", "100.0.0"}, {"0.9.9"}},
      {"1.x - x", {"1.9.7"}, {"0.9.9"}},
      {"  1.2.3\t-\t2.3.4  ", {"2.0.0"}, {"2.3.5"}},
      // Pre-releases in the bounds.
      {"1.2.3-pre+asdf - 2.4.3-pre+asdf",
       {"1.2.3", "1.2.3-pre.2", "2.4.3-alpha", "2.0.0"},
       {"2.4.3", "2.4.3-pre.1", "1.2.3-alpha", "2.0.0-pre"}},
      {"1.2.3+asdf - 2.4.3+asdf", {"1.2.3", "2.4.3"}, {"1.2.3-pre.2", "2.4.3-alpha"}},
      {"1 - 2", {"1.0.0", "2.9.9"}, {"2.0.0-pre", "1.0.0-pre", "3.0.0"}},
      {"1.0 - 2", {"1.0.0"}, {"1.0.0-pre"}},
  });
}

TEST(VersionRange, XRangesAndPartialVersions) {
  ExpectRanges({
      {"1.x", {"1.0.0", "1.2.3", "1.9999.9999"}, {"0.9.9", "2.0.0", "1.0.0-a", "1.2.0-a"}},
      {"1.X", {"1.4.0"}, {"2.0.0"}},
      {"1.*", {"1.4.0"}, {"2.0.0", "0.1.0"}},
      {"1.x.x", {"1.4.0"}, {"2.0.0"}},
      {"2.x.x", {"2.1.3"}, {"1.1.3", "3.1.3"}},
      {"2.*.*", {"2.1.3"}, {"1.1.3", "3.1.3"}},
      {"1.2.x", {"1.2.0", "1.2.3"}, {"1.3.3", "1.1.9", "1.2.0-a"}},
      {"1.2.*", {"1.2.3"}, {"1.3.3"}},
      {"1.1.x", {"1.1.5"}, {"1.0.0-a", "1.1.0-a", "1.2.0-a"}},
      {"1", {"1.0.0", "1.9.9"}, {"0.9.9", "2.0.0", "2.0.0-beta"}},
      {"2", {"2.1.2"}, {"1.1.2", "3.0.0"}},
      {"2.3", {"2.3.0", "2.3.1"}, {"2.4.1", "2.2.9"}},
      {"0", {"0.0.0", "0.9.9"}, {"1.0.0"}},
      {"0.0", {"0.0.0", "0.0.9"}, {"0.1.0"}},
  });
}

TEST(VersionRange, TildeRanges) {
  ExpectRanges({
      {"~1.2.3", {"1.2.3", "1.2.4", "1.2.99"}, {"1.2.2", "1.3.0", "1.3.0-0", "2.0.0"}},
      {"~1.2", {"1.2.0", "1.2.9"}, {"1.1.9", "1.3.0"}},
      {"~1.2.x", {"1.2.0", "1.2.9"}, {"1.3.0"}},
      {"~1", {"1.0.0", "1.2.3", "1.99.0"}, {"0.2.3", "2.0.0"}},
      {"~1.x", {"1.5.0"}, {"2.0.0"}},
      {"~0.0.1", {"0.0.1", "0.0.2"}, {"0.1.0", "0.1.0-alpha", "0.0.0"}},
      {"~2.4", {"2.4.0", "2.4.5"}, {"2.5.0", "2.3.9"}},
      {"~>3.2.1", {"3.2.1", "3.2.2"}, {"3.3.2", "3.2.0"}},
      {"~>1", {"1.2.3"}, {"2.2.3"}},
      {"~> 1", {"1.2.3"}, {"2.0.0"}},
      {"~ 1.0", {"1.0.2"}, {"1.1.0"}},
      {"~ 1.0.3", {"1.0.12"}, {"1.0.2"}},
      {"~1.2.3-beta.2",
       {"1.2.3-beta.2", "1.2.3-beta.4", "1.2.3", "1.2.4"},
       {"1.2.3-beta.1", "1.2.4-beta.2", "1.3.0"}},
      {"~0.5.4-pre", {"0.5.5", "0.5.4"}, {"0.5.4-alpha", "0.6.0"}},
  });
}

TEST(VersionRange, CaretRanges) {
  ExpectRanges({
      {"^1.2.3", {"1.2.3", "1.8.1", "1.99.99"}, {"1.2.2", "2.0.0", "2.0.0-alpha", "1.2.3-beta"}},
      {"^1.2.3+build", {"1.2.3", "1.3.0"}, {"2.0.0", "1.2.0"}},
      {"^0.2.3", {"0.2.3", "0.2.9"}, {"0.2.2", "0.3.0", "1.0.0"}},
      {"^0.1.2", {"0.1.2"}, {"0.2.0", "0.1.1"}},
      {"^0.0.3", {"0.0.3"}, {"0.0.4", "0.0.2", "0.1.0"}},
      {"^0.0.1", {"0.0.1"}, {"0.0.2", "0.0.2-alpha"}},
      {"^1.2", {"1.2.0", "1.4.2", "1.99.0"}, {"1.1.9", "2.0.0", "1.2.0-pre"}},
      {"^1.2.x", {"1.2.0", "1.9.0"}, {"2.0.0"}},
      {"^1", {"1.0.0", "1.9.9"}, {"0.9.9", "2.0.0"}},
      {"^1.x", {"1.0.0"}, {"2.0.0"}},
      {"^0.1", {"0.1.2"}, {"0.2.0"}},
      {"^0.0", {"0.0.0", "0.0.9"}, {"0.1.0"}},
      {"^0.0.x", {"0.0.5"}, {"0.1.0"}},
      {"^0", {"0.0.0", "0.9.9"}, {"1.0.0"}},
      {"^0.x", {"0.0.0", "0.3.1", "0.99.0"}, {"1.0.0"}},
      {"^ 1.2.3", {"1.5.0"}, {"2.0.0"}},
      {"^1.0.0", {"1.0.0"}, {"2.0.0-rc1"}},
      // Pre-release lower bounds.
      {"^1.2.3-alpha", {"1.2.3-pre", "1.2.3", "1.5.0"}, {"1.2.3-0", "1.5.0-alpha"}},
      {"^1.2.0-alpha", {"1.2.0-pre"}, {"1.1.0"}},
      {"^0.0.1-alpha", {"0.0.1-beta", "0.0.1"}, {"0.0.2"}},
      {"^0.1.1-alpha", {"0.1.1-beta", "0.1.9"}, {"0.2.0"}},
  });
}

TEST(VersionRange, PrereleaseRule) {
  ExpectRanges({
      // Opt-in on the same MAJOR.MINOR.PATCH only.
      {">=1.2.3-alpha.3",
       {"1.2.3-alpha.3", "1.2.3-alpha.7", "1.2.3-beta", "1.2.3", "1.2.4", "3.4.5"},
       {"3.4.5-alpha.9", "1.2.3-alpha.2", "1.2.4-alpha.9"}},
      {">1.2.3-alpha.3", {"1.2.3-alpha.4"}, {"1.2.3-alpha.3"}},
      {"<1.2.3-rc", {"1.2.3-beta", "1.2.2"}, {"1.2.2-beta", "1.2.3-rc"}},
      {"<=1.2.3-rc", {"1.2.3-rc"}, {"1.2.3-rc.1"}},
      // Ranges without a pre-release never match pre-releases, even numerically inside.
      {">=1.0.0", {"1.0.0"}, {"1.5.0-beta"}},
      {">1.2", {"1.3.0"}, {"1.3.0-beta"}},
      {"<=1.2.3", {"1.2.2"}, {"1.2.3-beta"}},
      {"=1.2.3", {"1.2.3"}, {"1.2.3-beta"}},
      {"^1.2.3", {"1.3.0"}, {"1.3.0-beta", "1.2.3-beta"}},
      // The opt-in must be in the same alternative.
      {"1.2.3-alpha || >=1.0.0", {"1.2.3-alpha", "1.5.0"}, {"1.5.0-alpha", "1.2.3-beta"}},
      {">=1.0.0-rc.1 <1.0.0 || >=2.0.0-beta",
       {"1.0.0-rc.2", "2.0.0-beta.3", "2.1.0"},
       {"1.0.0-beta", "2.1.0-beta", "1.0.0"}},
      // Any comparator in the alternative can opt in, not just the lower bound.
      {">=1.0.0 <2.0.0-rc.3", {"2.0.0-rc.2", "1.9.0"}, {"2.0.0-rc.3", "1.9.0-rc.1"}},
      // Build metadata on the candidate does not matter.
      {">=1.2.3-alpha", {"1.2.3-beta+exp.sha"}, {"1.2.4-beta+exp.sha"}},
  });
}

TEST(VersionRange, WhitespaceTolerance) {
  ExpectRanges({
      {"  >=1.2.3   <2.0.0  ", {"1.5.0"}, {"2.0.0", "1.2.2"}},
      {">= 1.0.0", {"1.0.0"}, {"0.9.0"}},
      {">=   1.0.0", {"1.1.0"}, {"0.9.0"}},
      {"<\t2.0.0", {"0.2.9"}, {"2.0.0"}},
      {"<=  2.0.0", {"2.0.0"}, {"2.0.1"}},
      {">= 1.2.3 < 2", {"1.9.0"}, {"2.0.0"}},
      {"1.x||2.x", {"1.0.0", "2.0.0"}, {"3.0.0"}},
      {"  1.x  ||  \n 2.x ", {"1.0.0", "2.0.0"}, {"3.0.0"}},
      {"\t^1.2.3\r\n", {"1.2.3"}, {"2.0.0"}},
  });
}

TEST(VersionRange, NormalizedFormMatchesNpmDesugaring) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "*"},
      {"*", "*"},
      {"x", "*"},
      {">=*", "*"},
      {">*", "<0.0.0-0"},
      {"<*", "<0.0.0-0"},
      {"1.2.3", "1.2.3"},
      {"=1.2.3", "1.2.3"},
      {"1.2.3+build", "1.2.3"},
      {">=1.0.0", ">=1.0.0"},
      {">1.0.0", ">1.0.0"},
      {"<=2.0.0", "<=2.0.0"},
      {"<2.0.0", "<2.0.0"},
      {">= 1.0.0", ">=1.0.0"},
      {"1", ">=1.0.0 <2.0.0-0"},
      {"2.3", ">=2.3.0 <2.4.0-0"},
      {"2.x.x", ">=2.0.0 <3.0.0-0"},
      {"1.2.x", ">=1.2.0 <1.3.0-0"},
      {"1.2.x || 2.x", ">=1.2.0 <1.3.0-0 || >=2.0.0 <3.0.0-0"},
      {">=0.2.3 || <0.0.1", ">=0.2.3 || <0.0.1"},
      {"<1", "<1.0.0-0"},
      {">=1", ">=1.0.0"},
      {"<1.2", "<1.2.0-0"},
      {"<=1.2", "<1.3.0-0"},
      {">1", ">=2.0.0"},
      {">1.2", ">=1.3.0"},
      {"~2.4", ">=2.4.0 <2.5.0-0"},
      {"~>3.2.1", ">=3.2.1 <3.3.0-0"},
      {"~1", ">=1.0.0 <2.0.0-0"},
      {"~1.0", ">=1.0.0 <1.1.0-0"},
      {"~1.2.3", ">=1.2.3 <1.3.0-0"},
      {"~1.2.3-beta.2", ">=1.2.3-beta.2 <1.3.0-0"},
      {"^1.2.3", ">=1.2.3 <2.0.0-0"},
      {"^0.2.3", ">=0.2.3 <0.3.0-0"},
      {"^0.0.3", ">=0.0.3 <0.0.4-0"},
      {"^1.2", ">=1.2.0 <2.0.0-0"},
      {"^0.1", ">=0.1.0 <0.2.0-0"},
      {"^0.0", ">=0.0.0 <0.1.0-0"},
      {"^0.x", ">=0.0.0 <1.0.0-0"},
      {"^0.0.1-beta", ">=0.0.1-beta <0.0.2-0"},
      {"^1.2.3-beta.4", ">=1.2.3-beta.4 <2.0.0-0"},
      {"1.0.0 - 2.0.0", ">=1.0.0 <=2.0.0"},
      {"1.2 - 3.4.5", ">=1.2.0 <=3.4.5"},
      {"1.2.3 - 3.4", ">=1.2.3 <3.5.0-0"},
      {"1.2 - 3.4", ">=1.2.0 <3.5.0-0"},
      {"1.2.3 - 2", ">=1.2.3 <3.0.0-0"},
      {"x - 1.0.0", "<=1.0.0"},
      {"1.0.0 - x", ">=1.0.0"},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    auto parsed = VersionRange::parse(text);
    ASSERT_TRUE(std::holds_alternative<VersionRange>(parsed)) << std::get<std::string>(parsed);
    EXPECT_EQ(std::get<VersionRange>(parsed).normalized(), expected);
  }
}

TEST(VersionRange, TextReturnsOriginalInput) {
  for (const std::string text : {"", "  ^1.2.3 ", ">= 1.0 || 2.x", "1.2.3 - 2"}) {
    auto parsed = VersionRange::parse(text);
    ASSERT_TRUE(std::holds_alternative<VersionRange>(parsed));
    EXPECT_EQ(std::get<VersionRange>(parsed).text(), text);
  }
}

TEST(VersionRange, ExtremeNumbersDoNotOverflow) {
  const std::string max = "18446744073709551615";
  ExpectRanges({
      {"^" + max + ".0.0", {max + ".0.0", max + "." + max + ".0"}, {"1.0.0"}},
      {">" + max, {}, {max + ".0.0", max + "." + max + "." + max}},
      {">" + max + ".1", {max + ".2.0"}, {max + ".1.5"}},
      {"~" + max + "." + max, {max + "." + max + "." + max}, {max + ".0.0"}},
      {"<=" + max + ".x", {max + "." + max + "." + max}, {}},
      {"^0.0." + max, {"0.0." + max}, {"0.1.0"}},
      {"^0." + max + ".1", {"0." + max + ".7"}, {"1.0.0"}},
  });
  auto parsed = VersionRange::parse("^" + max + ".0.0");
  ASSERT_TRUE(std::holds_alternative<VersionRange>(parsed));
  EXPECT_EQ(std::get<VersionRange>(parsed).normalized(), ">=" + max + ".0.0");
}

TEST(VersionRange, ExactErrorMessages) {
  EXPECT_EQ(RangeError(">=1.2.z"), "invalid version range '>=1.2.z': bad version '1.2.z'");
  EXPECT_EQ(RangeError("^1.2.3 || 2.0.0.0"),
            "invalid version range '^1.2.3 || 2.0.0.0': bad version '2.0.0.0'");
  EXPECT_EQ(RangeError(">=1.0.0 <"),
            "invalid version range '>=1.0.0 <': operator '<' is missing a version");
  EXPECT_EQ(RangeError("1.2.3 -"),
            "invalid version range '1.2.3 -': hyphen range '1.2.3 -' must have the form "
            "'LOW - HIGH'");
  EXPECT_EQ(RangeError("1 - 2 - 3"),
            "invalid version range '1 - 2 - 3': hyphen range '1 - 2 - 3' must have the form "
            "'LOW - HIGH'");
}

TEST(VersionRange, RejectsInvalidRanges) {
  // Each case: range text and the offending token the message must name.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"01.2.3", "bad version '01.2.3'"},
      {"1.02", "bad version '1.02'"},
      {"1.2.3-01", "bad version '1.2.3-01'"},
      {"1.2.3-", "bad version '1.2.3-'"},
      {"~1.2.3+", "bad version '1.2.3+'"},
      {"1.2.3.4", "bad version '1.2.3.4'"},
      {"1.x.3", "bad version '1.x.3'"},
      {"x.1", "bad version 'x.1'"},
      {"1.x-beta", "bad version '1.x-beta'"},
      {"1.2-beta", "bad version '1.2-beta'"},
      {"1.2+build", "bad version '1.2+build'"},
      {"v1.2.3", "bad version 'v1.2.3'"},
      {"^v1", "bad version 'v1'"},
      {"abc", "bad version 'abc'"},
      {">>1", "bad version '>1'"},
      {"=>1", "bad version '>1'"},
      {">=1.2.3<2", "bad version '1.2.3<2'"},
      {"1.2.3 | 2.0.0", "bad version '|'"},
      {"1.0.0 || 2.0.0 || foo", "bad version 'foo'"},
      {"1.2.3 - 2.x.1", "bad version '2.x.1'"},
      {">=1.2.3 - 2", "bad version '>=1.2.3'"},
      {"^", "operator '^' is missing a version"},
      {"~ ", "operator '~' is missing a version"},
      {"1.0.0 || >=", "operator '>=' is missing a version"},
      {"- 1.2.3", "must have the form 'LOW - HIGH'"},
      {"1.2.3 - 2.0.0 <3", "must have the form 'LOW - HIGH'"},
  };
  for (const auto& [text, fragment] : cases) {
    SCOPED_TRACE(text);
    const std::string error = RangeError(text);
    EXPECT_EQ(error.rfind("invalid version range '" + text + "': ", 0), 0u) << error;
    EXPECT_NE(error.find(fragment), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace lore
