// Semantic versions (https://semver.org/spec/v2.0.0.html) and npm-style version ranges, used by
// the plugin manager to check plugin dependency ranges.
//
// Hand-rolled on purpose: Debian ships no C++ semver library, and the subset we need is small.
//
// Results: both parse functions return std::variant<T, std::string>. On success the variant holds
// the parsed value (index 0); on failure it holds a human-readable error message that quotes the
// input and says what was expected, e.g. "invalid version '1.2': expected MAJOR.MINOR.PATCH".
//
//   auto r = lore::parse_version("1.2.3-rc.1");
//   if (const auto* err = std::get_if<std::string>(&r)) { report(*err); }
//   const lore::Version& v = std::get<lore::Version>(r);
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lore {

// A semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
struct Version {
  std::uint64_t major{}, minor{}, patch{};
  // Dot-separated pre-release identifiers, e.g. {"alpha", "1"} for "-alpha.1". Empty = release.
  std::vector<std::string> prerelease;
  // Build metadata without the leading '+', e.g. "build.5". Ignored for precedence.
  std::string build;

  // Canonical text form, e.g. "1.2.3-alpha.1+build.5".
  std::string to_string() const;
};

// Strict semver 2.0.0 parse: exactly three numeric parts without leading zeros, optional
// "-PRERELEASE" (non-empty [0-9A-Za-z-] identifiers, numeric ones without leading zeros) and
// optional "+BUILD" (non-empty [0-9A-Za-z-] identifiers). No "v" prefix, no surrounding spaces.
std::variant<Version, std::string> parse_version(std::string_view text);

// Semver precedence: <0 if a < b, 0 if equal precedence, >0 if a > b. Build metadata is ignored;
// a pre-release is lower than the release; numeric identifiers compare numerically and are lower
// than alphanumeric ones; with an equal prefix the shorter pre-release list is lower.
int compare(const Version& a, const Version& b);

// Comparison operators follow compare(), so 1.0.0+a == 1.0.0+b (build metadata is ignored).
bool operator==(const Version& a, const Version& b);
std::weak_ordering operator<=>(const Version& a, const Version& b);

// An npm (node-semver) style version range, e.g. "^1.2.3", ">=1.0 <2 || 3.x", "1.2 - 2".
//
// Supported: "" / "*" / "x" (any), exact "1.2.3" / "=1.2.3", comparators > >= < <= with full or
// partial versions, space-separated comparators (AND), "||" alternatives (OR), hyphen ranges
// "A - B", X-ranges "1.x" "1.2.*" and partials "1" "1.2", tilde "~1.2.3" (also "~>"), caret
// "^1.2.3". Whitespace between an operator and its version is allowed. Not supported: "v"
// prefixes, loose versions such as "1.2.3beta".
//
// As in npm, a version with a pre-release tag is only contained if it satisfies an alternative
// AND some comparator of that alternative has a pre-release on the same MAJOR.MINOR.PATCH; so
// "*" does not contain "1.0.0-rc.1", but ">=1.0.0-rc.0" does.
class VersionRange {
 public:
  static std::variant<VersionRange, std::string> parse(std::string_view text);

  bool contains(const Version& v) const;

  // The original text, for messages.
  const std::string& text() const { return text_; }

  // The desugared form in npm's comparator notation (itself a valid range), for diagnostics:
  // "^1.2.3" -> ">=1.2.3 <2.0.0-0", "1.x || >2.5" -> ">=1.0.0 <2.0.0-0 || >=2.6.0". An
  // alternative without comparators (any release) is "*"; ">*" and "<*" become "<0.0.0-0".
  std::string normalized() const;

 private:
  struct Comparator {
    enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual };
    Op op;
    Version version;  // build metadata always empty
  };
  using Alternative = std::vector<Comparator>;  // ANDed; empty = any version

  VersionRange() = default;

  std::string text_;
  std::vector<Alternative> alternatives_;  // ORed

  friend class VersionRangeParser;  // defined in semver.cc
};

}  // namespace lore
