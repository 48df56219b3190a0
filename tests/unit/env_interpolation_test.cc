#include "config/env_interpolation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/yaml_checker.h"

namespace lore {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An environment the test controls, counting lookups.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::vector<std::string> looked_up;

  EnvLookup lookup() {
    return [this](const std::string& name) -> std::optional<std::string> {
      looked_up.push_back(name);
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

FakeEnv StandardEnv() {
  FakeEnv env;
  env.vars = {
      {"HOST", "db.local"}, {"PORT", "5432"}, {"EMPTY", ""}, {"A_1", "x"}, {"lower", "low"}};
  return env;
}

TEST(Interpolate, ExpandsEveryForm) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"plain text", "plain text"},
      {"${HOST}", "db.local"},
      {"${HOST}:${PORT}", "db.local:5432"},
      {"mysql://${HOST}:${PORT}/lore", "mysql://db.local:5432/lore"},
      {"${A_1}${A_1}", "xx"},
      {"${lower}", "low"},
      {"${HOST:-other}", "db.local"},          // set: the default is not used
      {"${UNSET:-fallback}", "fallback"},      // unset: the default
      {"${UNSET:-}", ""},                      // empty default
      {"${EMPTY:-fallback}", "fallback"},      // set but empty counts as unset for :-
      {"${EMPTY}", ""},                        // set but empty without default: empty
      {"${UNSET:-a:-b}", "a:-b"},              // only the first :- separates
      {"${UNSET:-with space}", "with space"},  // defaults are free text
      {"$$", "$"},
      {"$$$$", "$$"},
      {"$${HOST}", "${HOST}"},  // escaped: not interpolated
      {"pa$$word", "pa$word"},
      {"$", "$"},  // a lone dollar is kept
      {"cost: $5", "cost: $5"},
      {"a$", "a$"},
      {"$HOST", "$HOST"},  // only the braced form is interpolated
      {"$$$", "$$"},
      {"}{", "}{"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("text: " + c.text);
    FakeEnv env = StandardEnv();
    std::string error;
    auto result = interpolate(c.text, env.lookup(), error);
    ASSERT_TRUE(result.has_value()) << error;
    EXPECT_EQ(*result, c.expected);
    EXPECT_EQ(error, "");
  }
}

TEST(Interpolate, LooksUpOnlyBracedNames) {
  FakeEnv env = StandardEnv();
  std::string error;
  ASSERT_TRUE(interpolate("$$ $HOST ${PORT} ${UNSET:-d} $${HOST}", env.lookup(), error));
  EXPECT_THAT(env.looked_up, ElementsAre("PORT", "UNSET"));
}

TEST(Interpolate, DoesNotInterpolateValuesOrDefaultsAgain) {
  FakeEnv env;
  env.vars = {{"REF", "${OTHER}"}, {"OTHER", "no"}};
  std::string error;
  EXPECT_EQ(interpolate("${REF}", env.lookup(), error), "${OTHER}");
  EXPECT_EQ(interpolate("${UNSET:-$$}", env.lookup(), error), "$$");
}

TEST(Interpolate, Errors) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"${HOST", "unterminated '${' in '${HOST'"},
      {"abc ${", "unterminated '${' in 'abc ${'"},
      {"${HOST} ${PORT", "unterminated '${' in '${HOST} ${PORT'"},
      {"${}", "invalid environment variable name ''"},
      {"${:-x}", "invalid environment variable name ''"},
      {"${A-B}", "invalid environment variable name 'A-B'"},
      {"${A B}", "invalid environment variable name 'A B'"},
      {"${A.B:-x}", "invalid environment variable name 'A.B'"},
      {"${$HOST}", "invalid environment variable name '$HOST'"},
      {"${UNSET}",
       "environment variable UNSET is not set (write ${UNSET:-default} to give a default)"},
      {"ok ${HOST} then ${NOPE}",
       "environment variable NOPE is not set (write ${NOPE:-default} to give a default)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("text: " + c.text);
    FakeEnv env = StandardEnv();
    std::string error;
    auto result = interpolate(c.text, env.lookup(), error);
    EXPECT_FALSE(result.has_value()) << "got '" << result.value_or("") << "'";
    EXPECT_EQ(error, c.error);
  }
}

TEST(Interpolate, ProcessEnvironmentReadsRealVariables) {
  const std::string name = "LORE_UT_ENVI_" + std::to_string(::getpid());
  auto env = process_environment();
  ::unsetenv(name.c_str());
  EXPECT_EQ(env(name), std::nullopt);
  ::setenv(name.c_str(), "value", 1);
  EXPECT_EQ(env(name), "value");
  ::setenv(name.c_str(), "", 1);
  EXPECT_EQ(env(name), "");
  ::unsetenv(name.c_str());
}

TEST(InterpolateTree, InterpolatesScalarsInMapsAndListsButNotKeys) {
  FakeEnv env = StandardEnv();
  YAML::Node root = YAML::Load("${HOST}: key\na:\n  b: ${HOST}\n  list: [x, '${PORT}', $$]\n");
  YamlChecker checker("f.yaml");
  interpolate_tree(root, env.lookup(), checker);
  EXPECT_THAT(checker.problems(), IsEmpty());
  EXPECT_EQ(root["${HOST}"].as<std::string>(), "key");
  EXPECT_EQ(root["a"]["b"].as<std::string>(), "db.local");
  EXPECT_EQ(root["a"]["list"][0].as<std::string>(), "x");
  EXPECT_EQ(root["a"]["list"][1].as<std::string>(), "5432");
  EXPECT_EQ(root["a"]["list"][2].as<std::string>(), "$");
}

TEST(InterpolateTree, KeepsQuotedAndPlainScalarsApart) {
  FakeEnv env = StandardEnv();
  YAML::Node root = YAML::Load("plain: ${PORT}\nquoted: \"${PORT}\"\n");
  YamlChecker checker("f.yaml");
  interpolate_tree(root, env.lookup(), checker);
  EXPECT_EQ(checker.integer(root["plain"], "plain", 0, 65535), 5432);
  EXPECT_EQ(checker.integer(root["quoted"], "quoted", 0, 65535), std::nullopt);
  EXPECT_THAT(checker.problems(),
              ElementsAre("f.yaml:2:9: quoted: expected an integer, got '5432'"));
}

TEST(InterpolateTree, ReportsEachProblemWithPathAndLocation) {
  FakeEnv env = StandardEnv();
  YAML::Node root =
      YAML::Load("a:\n  b: ${NOPE}\n  list:\n    - ok\n    - ${BAD NAME}\nc: ${HOST\n");
  YamlChecker checker("f.yaml");
  interpolate_tree(root, env.lookup(), checker);
  EXPECT_THAT(
      checker.problems(),
      ElementsAre(
          "f.yaml:2:6: a.b: environment variable NOPE is not set (write ${NOPE:-default} to give "
          "a default)",
          "f.yaml:5:7: a.list[1]: invalid environment variable name 'BAD NAME'",
          "f.yaml:6:4: c: unterminated '${' in '${HOST'"));
  // A failed scalar is left as written.
  EXPECT_EQ(root["a"]["b"].as<std::string>(), "${NOPE}");
}

}  // namespace
}  // namespace lore
