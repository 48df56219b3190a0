#include "plugin/semver.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace lore {

namespace {

enum class NumberStatus { kOk, kNotNumber, kLeadingZero, kTooLarge };

// Parses a semver numeric identifier: "0" or [1-9][0-9]*, fitting in uint64_t.
NumberStatus parse_number(std::string_view s, std::uint64_t& out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return NumberStatus::kNotNumber;
  }
  if (s.size() > 1 && s[0] == '0') return NumberStatus::kLeadingZero;
  std::uint64_t value = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (char c : s) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - digit) / 10) return NumberStatus::kTooLarge;
    value = value * 10 + digit;
  }
  out = value;
  return NumberStatus::kOk;
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_identifier_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Checks dot-separated identifiers; returns an error detail or an empty string.
std::string check_identifiers(std::string_view text, bool prerelease,
                              std::vector<std::string>* out) {
  const char* kind = prerelease ? "pre-release" : "build";
  for (std::string_view id : split(text, '.')) {
    if (id.empty()) return std::string(kind) + " identifiers must not be empty";
    if (!std::all_of(id.begin(), id.end(), is_identifier_char)) {
      return std::string(kind) + " identifier " + quote(id) + " must contain only [0-9A-Za-z-]";
    }
    if (prerelease && is_digits(id) && id.size() > 1 && id[0] == '0') {
      return "numeric pre-release identifier " + quote(id) + " must not have leading zeros";
    }
    if (out != nullptr) out->emplace_back(id);
  }
  return {};
}

// Compares two pre-release identifiers by semver rules.
int compare_identifier(std::string_view a, std::string_view b) {
  const bool a_num = is_digits(a);
  const bool b_num = is_digits(b);
  if (a_num && b_num) {
    // Arbitrary-length numeric comparison (ignoring any leading zeros of hand-built Versions).
    a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
    b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  } else if (a_num != b_num) {
    return a_num ? -1 : 1;  // numeric identifiers have lower precedence
  }
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int compare_number(std::uint64_t a, std::uint64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string_view> split_whitespace(std::string_view s) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

bool is_wildcard(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

// A possibly partial version as used in ranges: "1", "1.2", "1.x", "*", "1.2.3-beta".
// Missing or wildcard parts are std::nullopt; once a part is missing all later parts are too.
// Only a full version can carry a pre-release (and build, which ranges ignore).
struct Partial {
  std::optional<std::uint64_t> major, minor, patch;
  std::vector<std::string> prerelease;
};

std::optional<Partial> parse_partial(std::string_view text) {
  const std::size_t core_end = std::min(text.find_first_of("-+"), text.size());
  const std::vector<std::string_view> parts = split(text.substr(0, core_end), '.');
  if (parts.size() > 3) return std::nullopt;

  Partial p;
  std::optional<std::uint64_t>* fields[] = {&p.major, &p.minor, &p.patch};
  bool seen_wildcard = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (is_wildcard(parts[i])) {
      seen_wildcard = true;
      continue;
    }
    std::uint64_t n = 0;
    if (seen_wildcard || parse_number(parts[i], n) != NumberStatus::kOk) return std::nullopt;
    *fields[i] = n;
  }
  if (p.patch.has_value()) {
    auto full = parse_version(text);
    if (auto* v = std::get_if<Version>(&full)) {
      p.prerelease = std::move(v->prerelease);
      return p;
    }
    return std::nullopt;
  }
  if (core_end != text.size()) return std::nullopt;  // "1.x-beta", "1.2+build"
  return p;
}

// Smallest version greater than every version starting with the given prefix, i.e. the next
// MAJOR (prefix length 1), MINOR (2) or PATCH (3); carries into the next part on overflow and
// returns nullopt when there is no greater version at all.
std::optional<Version> next_after(std::uint64_t major, std::optional<std::uint64_t> minor,
                                  std::optional<std::uint64_t> patch) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (patch.has_value() && *patch < kMax) return Version{major, *minor, *patch + 1, {}, {}};
  if (minor.has_value() && *minor < kMax) return Version{major, *minor + 1, 0, {}, {}};
  if (major < kMax) return Version{major + 1, 0, 0, {}, {}};
  return std::nullopt;
}

Version with_zero_prerelease(Version v) {
  v.prerelease = {"0"};
  return v;
}

}  // namespace

std::string Version::to_string() const {
  std::string out =
      std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (std::size_t i = 0; i < prerelease.size(); ++i) {
    out += (i == 0 ? "-" : ".");
    out += prerelease[i];
  }
  if (!build.empty()) out += "+" + build;
  return out;
}

std::variant<Version, std::string> parse_version(std::string_view text) {
  auto fail = [&](const std::string& detail) {
    return std::variant<Version, std::string>(std::in_place_index<1>,
                                              "invalid version " + quote(text) + ": " + detail);
  };

  std::string_view core = text;
  std::string_view prerelease;
  std::string_view build;
  bool has_prerelease = false;
  bool has_build = false;
  if (const std::size_t plus = core.find('+'); plus != std::string_view::npos) {
    build = core.substr(plus + 1);
    core = core.substr(0, plus);
    has_build = true;
  }
  if (const std::size_t dash = core.find('-'); dash != std::string_view::npos) {
    prerelease = core.substr(dash + 1);
    core = core.substr(0, dash);
    has_prerelease = true;
  }

  const std::vector<std::string_view> parts = split(core, '.');
  if (parts.size() != 3 ||
      std::any_of(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); })) {
    return fail("expected MAJOR.MINOR.PATCH");
  }

  Version v;
  static constexpr const char* kNames[] = {"major", "minor", "patch"};
  std::uint64_t* fields[] = {&v.major, &v.minor, &v.patch};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string what = std::string(kNames[i]) + " version " + quote(parts[i]);
    switch (parse_number(parts[i], *fields[i])) {
      case NumberStatus::kOk: break;
      case NumberStatus::kNotNumber: return fail(what + " is not a number");
      case NumberStatus::kLeadingZero: return fail(what + " must not have leading zeros");
      case NumberStatus::kTooLarge: return fail(what + " is too large");
    }
  }

  if (has_prerelease) {
    if (std::string err = check_identifiers(prerelease, true, &v.prerelease); !err.empty()) {
      return fail(err);
    }
  }
  if (has_build) {
    if (std::string err = check_identifiers(build, false, nullptr); !err.empty()) {
      return fail(err);
    }
    v.build = std::string(build);
  }
  return v;
}

int compare(const Version& a, const Version& b) {
  if (int c = compare_number(a.major, b.major); c != 0) return c;
  if (int c = compare_number(a.minor, b.minor); c != 0) return c;
  if (int c = compare_number(a.patch, b.patch); c != 0) return c;
  // A release has higher precedence than any of its pre-releases.
  if (a.prerelease.empty() || b.prerelease.empty()) {
    return a.prerelease.empty() == b.prerelease.empty() ? 0 : (a.prerelease.empty() ? 1 : -1);
  }
  const std::size_t n = std::min(a.prerelease.size(), b.prerelease.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (int c = compare_identifier(a.prerelease[i], b.prerelease[i]); c != 0) return c;
  }
  return compare_number(a.prerelease.size(), b.prerelease.size());
}

bool operator==(const Version& a, const Version& b) { return compare(a, b) == 0; }

std::weak_ordering operator<=>(const Version& a, const Version& b) {
  const int c = compare(a, b);
  return c < 0 ? std::weak_ordering::less
               : (c > 0 ? std::weak_ordering::greater : std::weak_ordering::equivalent);
}

// Parses range text into VersionRange::alternatives_, desugaring every form into plain
// comparators exactly like node-semver does (without includePrerelease).
class VersionRangeParser {
 public:
  using Op = VersionRange::Comparator::Op;
  using Alternative = VersionRange::Alternative;

  static std::variant<VersionRange, std::string> parse(std::string_view text) {
    VersionRange range;
    range.text_ = std::string(text);
    std::string error;
    for (std::string_view alt_text : split_alternatives(text)) {
      Alternative alt;
      if (!parse_alternative(alt_text, alt, error)) {
        return "invalid version range " + quote(text) + ": " + error;
      }
      range.alternatives_.push_back(std::move(alt));
    }
    return range;
  }

 private:
  static std::vector<std::string_view> split_alternatives(std::string_view text) {
    std::vector<std::string_view> alts;
    std::size_t start = 0;
    while (true) {
      const std::size_t pos = text.find("||", start);
      if (pos == std::string_view::npos) {
        alts.push_back(text.substr(start));
        return alts;
      }
      alts.push_back(text.substr(start, pos - start));
      start = pos + 2;
    }
  }

  static bool is_operator(std::string_view s) {
    return s == ">" || s == ">=" || s == "<" || s == "<=" || s == "=" || s == "~" || s == "~>" ||
           s == "^";
  }

  static void add(Alternative& alt, Op op, Version v) {
    alt.push_back(VersionRange::Comparator{op, std::move(v)});
  }

  // Adds a comparator that no version satisfies (npm writes it as "<0.0.0-0").
  static void add_nothing(Alternative& alt) {
    add(alt, Op::kLess, with_zero_prerelease(Version{}));
  }

  // Adds "<NEXT-0" where NEXT follows every version with the given prefix; no bound if none.
  static void add_upper(Alternative& alt, std::uint64_t major, std::optional<std::uint64_t> minor,
                        std::optional<std::uint64_t> patch = std::nullopt) {
    if (auto next = next_after(major, minor, patch)) {
      add(alt, Op::kLess, with_zero_prerelease(*next));
    }
  }

  static Version lower_of(const Partial& p) {
    return Version{*p.major, p.minor.value_or(0), p.patch.value_or(0), p.prerelease, {}};
  }

  static bool parse_alternative(std::string_view text, Alternative& alt, std::string& error) {
    const std::vector<std::string_view> tokens = split_whitespace(text);
    if (std::find(tokens.begin(), tokens.end(), "-") != tokens.end()) {
      if (tokens.size() != 3 || tokens[1] != "-") {
        error = "hyphen range " + quote(trim(text)) + " must have the form 'LOW - HIGH'";
        return false;
      }
      return add_hyphen(tokens[0], tokens[2], alt, error);
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string_view op;
      std::string_view version = tokens[i];
      if (is_operator(tokens[i])) {  // operator separated from its version by whitespace
        if (i + 1 == tokens.size()) {
          error = "operator " + quote(tokens[i]) + " is missing a version";
          return false;
        }
        op = tokens[i];
        version = tokens[++i];
      } else {
        for (std::string_view candidate : {">=", "<=", "~>", ">", "<", "=", "~", "^"}) {
          if (version.substr(0, candidate.size()) == candidate) {
            op = candidate;
            version.remove_prefix(candidate.size());
            break;
          }
        }
      }
      if (!add_comparator(op, version, alt, error)) return false;
    }
    return true;
  }

  static std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
  }

  static std::optional<Partial> parse_or_error(std::string_view version, std::string& error) {
    std::optional<Partial> p = parse_partial(version);
    if (!p) error = "bad version " + quote(version);
    return p;
  }

  // "A - B": >=A (partial A filled with zeros) and <=B (partial B: below its next prefix).
  static bool add_hyphen(std::string_view low_text, std::string_view high_text, Alternative& alt,
                         std::string& error) {
    const std::optional<Partial> low = parse_or_error(low_text, error);
    if (!low) return false;
    const std::optional<Partial> high = parse_or_error(high_text, error);
    if (!high) return false;
    if (low->major) add(alt, Op::kGreaterEqual, lower_of(*low));
    if (high->patch) {
      add(alt, Op::kLessEqual, lower_of(*high));
    } else if (high->major) {
      add_upper(alt, *high->major, high->minor);
    }
    return true;
  }

  static bool add_comparator(std::string_view op, std::string_view text, Alternative& alt,
                             std::string& error) {
    const std::optional<Partial> parsed = parse_or_error(text, error);
    if (!parsed) return false;
    const Partial& p = *parsed;
    if (op == "~" || op == "~>") {
      add_tilde(p, alt);
    } else if (op == "^") {
      add_caret(p, alt);
    } else {
      add_primitive(op, p, alt);
    }
    return true;
  }

  // ~1.2.3 := >=1.2.3 <1.3.0-0, ~1.2 := >=1.2.0 <1.3.0-0, ~1 := >=1.0.0 <2.0.0-0, ~* := any.
  static void add_tilde(const Partial& p, Alternative& alt) {
    if (!p.major) return;
    add(alt, Op::kGreaterEqual, lower_of(p));
    add_upper(alt, *p.major, p.minor);
  }

  // ^ allows changes that keep the left-most non-zero part of MAJOR.MINOR.PATCH:
  // ^1.2.3 := <2.0.0-0, ^0.2.3 := <0.3.0-0, ^0.0.3 := <0.0.4-0, ^0.0 := <0.1.0-0, ^0 := <1.0.0-0.
  static void add_caret(const Partial& p, Alternative& alt) {
    if (!p.major) return;
    add(alt, Op::kGreaterEqual, lower_of(p));
    if (*p.major != 0 || !p.minor) {
      add_upper(alt, *p.major, std::nullopt);
    } else if (*p.minor != 0 || !p.patch) {
      add_upper(alt, *p.major, p.minor);
    } else {
      add_upper(alt, *p.major, p.minor, p.patch);
    }
  }

  // Plain comparators and X-ranges (npm replaceXRange).
  static void add_primitive(std::string_view op, const Partial& p, Alternative& alt) {
    if (p.patch) {  // full version
      const Version v = lower_of(p);
      if (op == ">") {
        add(alt, Op::kGreater, v);
      } else if (op == ">=") {
        add(alt, Op::kGreaterEqual, v);
      } else if (op == "<") {
        add(alt, Op::kLess, v);
      } else if (op == "<=") {
        add(alt, Op::kLessEqual, v);
      } else {
        add(alt, Op::kEqual, v);
      }
      return;
    }
    if (!p.major) {  // "*": >* and <* match nothing, everything else matches anything
      if (op == ">" || op == "<") add_nothing(alt);
      return;
    }
    if (op == ">") {  // >1.2 := >=1.3.0
      if (auto next = next_after(*p.major, p.minor, std::nullopt)) {
        add(alt, Op::kGreaterEqual, *next);
      } else {
        add_nothing(alt);
      }
    } else if (op == ">=") {  // >=1.2 := >=1.2.0
      add(alt, Op::kGreaterEqual, lower_of(p));
    } else if (op == "<") {  // <1.2 := <1.2.0-0
      add(alt, Op::kLess, with_zero_prerelease(lower_of(p)));
    } else if (op == "<=") {  // <=1.2 := <1.3.0-0
      add_upper(alt, *p.major, p.minor);
    } else {  // 1.2 / =1.2 := >=1.2.0 <1.3.0-0
      add(alt, Op::kGreaterEqual, lower_of(p));
      add_upper(alt, *p.major, p.minor);
    }
  }
};

std::variant<VersionRange, std::string> VersionRange::parse(std::string_view text) {
  return VersionRangeParser::parse(text);
}

bool VersionRange::contains(const Version& v) const {
  for (const Alternative& alt : alternatives_) {
    const bool all = std::all_of(alt.begin(), alt.end(), [&](const Comparator& c) {
      const int cmp = compare(v, c.version);
      switch (c.op) {
        case Comparator::Op::kLess: return cmp < 0;
        case Comparator::Op::kLessEqual: return cmp <= 0;
        case Comparator::Op::kGreater: return cmp > 0;
        case Comparator::Op::kGreaterEqual: return cmp >= 0;
        case Comparator::Op::kEqual: return cmp == 0;
      }
      return false;
    });
    if (!all) continue;
    if (v.prerelease.empty()) return true;
    // npm: pre-releases only match when the range opts in on the same MAJOR.MINOR.PATCH.
    const bool opted_in = std::any_of(alt.begin(), alt.end(), [&](const Comparator& c) {
      return !c.version.prerelease.empty() && c.version.major == v.major &&
             c.version.minor == v.minor && c.version.patch == v.patch;
    });
    if (opted_in) return true;
  }
  return false;
}

std::string VersionRange::normalized() const {
  std::string out;
  for (std::size_t i = 0; i < alternatives_.size(); ++i) {
    if (i > 0) out += " || ";
    const Alternative& alt = alternatives_[i];
    if (alt.empty()) out += "*";
    for (std::size_t j = 0; j < alt.size(); ++j) {
      if (j > 0) out += " ";
      switch (alt[j].op) {
        case Comparator::Op::kLess: out += "<"; break;
        case Comparator::Op::kLessEqual: out += "<="; break;
        case Comparator::Op::kGreater: out += ">"; break;
        case Comparator::Op::kGreaterEqual: out += ">="; break;
        case Comparator::Op::kEqual: break;
      }
      out += alt[j].version.to_string();
    }
  }
  return out;
}

}  // namespace lore
