#include "plugin/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "config/yaml_checker.h"
#include "support/test_config.h"

namespace lore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

const std::filesystem::path kDir = "/opt/plugins/greeter";

Manifest Parse(const std::string& yaml) { return parse_manifest(yaml, "plugin.yaml", kDir); }

std::vector<std::string> Problems(const std::string& yaml) {
  try {
    Parse(yaml);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "manifest unexpectedly accepted:\n" << yaml;
  return {};
}

Version V(const std::string& text) {
  auto parsed = parse_version(text);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    ADD_FAILURE() << *error;
    return {};
  }
  return std::get<Version>(parsed);
}

const SettingSpec* FindSpec(const Manifest& m, const std::string& name) {
  for (const auto& s : m.settings)
    if (s.name == name) return &s;
  return nullptr;
}

constexpr const char* kHeader = "name: greeter\nversion: 1.0.0\nabi: 1\n";

// ---------------------------------------------------------------------------------------------
// The manifest itself

TEST(Manifest, ParsesEveryField) {
  const Manifest m = Parse(R"(name: greeter
version: 1.2.3-rc.1+build.7
abi: 1
library: custom-greeter.so
description: Says hi.
requires:
  - name: hello
    version: ^1.2.0
  - name: store
provides: [greeting, farewell]
settings:
  word:
    type: string
    description: The word.
)");
  EXPECT_EQ(m.name, "greeter");
  EXPECT_EQ(m.version.to_string(), "1.2.3-rc.1+build.7");
  EXPECT_EQ(m.abi, 1u);
  EXPECT_EQ(m.library, "custom-greeter.so");
  EXPECT_EQ(m.library_path(), kDir / "custom-greeter.so");
  EXPECT_EQ(m.description, "Says hi.");
  EXPECT_EQ(m.directory, kDir);
  EXPECT_EQ(m.file, "plugin.yaml");
  ASSERT_THAT(m.requires_plugins, SizeIs(2));
  EXPECT_EQ(m.requires_plugins[0].name, "hello");
  EXPECT_EQ(m.requires_plugins[0].range.text(), "^1.2.0");
  EXPECT_TRUE(m.requires_plugins[0].range.contains(V("1.9.0")));
  EXPECT_FALSE(m.requires_plugins[0].range.contains(V("2.0.0")));
  EXPECT_FALSE(m.requires_plugins[0].range.contains(V("1.1.9")));
  EXPECT_EQ(m.requires_plugins[1].name, "store");
  EXPECT_EQ(m.requires_plugins[1].range.text(), "*");  // no version: any
  EXPECT_TRUE(m.requires_plugins[1].range.contains(V("0.0.1")));
  EXPECT_THAT(m.provides, ElementsAre("greeting", "farewell"));
  ASSERT_THAT(m.settings, SizeIs(1));
  EXPECT_EQ(m.settings[0].name, "word");
  EXPECT_EQ(m.settings[0].type, SettingSpec::Type::string);
  EXPECT_EQ(m.settings[0].description, "The word.");
  EXPECT_TRUE(m.settings[0].default_value.is_null());
  EXPECT_FALSE(m.settings[0].required);
  EXPECT_FALSE(m.settings[0].secret);
}

TEST(Manifest, DefaultLibraryNameAndEmptyOptionalSections) {
  const Manifest m = Parse(std::string(kHeader) + "requires:\nprovides:\nsettings:\n");
  EXPECT_EQ(m.library, "libgreeter.so");
  EXPECT_EQ(m.library_path(), kDir / "libgreeter.so");
  EXPECT_EQ(m.description, "");
  EXPECT_THAT(m.requires_plugins, IsEmpty());
  EXPECT_THAT(m.provides, IsEmpty());
  EXPECT_THAT(m.settings, IsEmpty());
}

TEST(Manifest, ParsesFromFile) {
  test::TempDir dir;
  const auto file = dir.write("plugin.yaml", kHeader);
  const Manifest m = parse_manifest_file(file);
  EXPECT_EQ(m.name, "greeter");
  EXPECT_EQ(m.directory, dir.path());
  EXPECT_EQ(m.file, file.string());
  EXPECT_EQ(m.library_path(), dir.path() / "libgreeter.so");
}

TEST(Manifest, UnreadableFile) {
  test::TempDir dir;
  const auto file = dir.path() / "plugin.yaml";
  try {
    parse_manifest_file(file);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.problems(), ElementsAre(file.string() + ": cannot read the file"));
  }
}

TEST(Manifest, MissingRequiredFieldsAreAllReported) {
  EXPECT_THAT(Problems("description: nothing else\n"),
              ElementsAre("plugin.yaml:1:1: name: missing", "plugin.yaml:1:1: version: missing",
                          "plugin.yaml:1:1: abi: missing (the SDK ABI version the plugin is built "
                          "for)"));
}

TEST(Manifest, NotAMapOrInvalidYaml) {
  EXPECT_THAT(Problems("- name\n"),
              ElementsAre("plugin.yaml:1:1: (top level): expected a map, got a list"));
  EXPECT_THAT(Problems("name: a\n  version: 1.0.0\n"),
              ElementsAre("plugin.yaml:2:10: invalid YAML: illegal map value"));
}

TEST(Manifest, FieldProblems) {
  struct Case {
    std::string yaml;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"name: greeter\nversion: 1.2\nabi: 1\n",
       "plugin.yaml:2:10: version: invalid version '1.2': expected MAJOR.MINOR.PATCH"},
      {"name: greeter\nversion: v1.0.0\nabi: 1\n", "plugin.yaml:2:10: version: invalid version"},
      {"name: greeter\nversion: [1]\nabi: 1\n",
       "plugin.yaml:2:10: version: expected a string, got a list"},
      {"name: greeter\nversion: 1.0.0\nabi: 0\n",
       "plugin.yaml:3:6: abi: expected an integer from 1 to 1000000, got 0"},
      {"name: greeter\nversion: 1.0.0\nabi: \"1\"\n",
       "plugin.yaml:3:6: abi: expected an integer, got '1'"},
      {"name: greeter\nversion: 1.0.0\nabi: 1\nlibrary: lib/x.so\n",
       "plugin.yaml:4:10: library: expected a file name, not a path"},
      {"name: greeter\nversion: 1.0.0\nabi: 1\nauthor: me\n",
       "plugin.yaml:4:1: author: unknown key; expected one of: name, version, abi, library, "
       "description, requires, provides, settings"},
      {"name: greeter\nversion: 1.0.0\nabi: 1\nprovides: greeting\n",
       "plugin.yaml:4:11: provides: expected a list of strings, got 'greeting'"},
      {"name: greeter\nversion: 1.0.0\nabi: 1\nrequires: hello\n",
       "plugin.yaml:4:11: requires: expected a list of {name, version}"},
      {"name: greeter\nversion: 1.0.0\nabi: 1\nrequires:\n  - hello\n",
       "plugin.yaml:5:5: requires[0]: expected a map, got 'hello'"},
      {"name: greeter\nversion: 1.0.0\nabi: 1\nrequires:\n  - version: ^1.0.0\n",
       "plugin.yaml:5:5: requires[0].name: missing"},
      {"name: greeter\nversion: 1.0.0\nabi: 1\nrequires:\n  - name: hello\n    version: "
       "'>=1.2.z'\n",
       "plugin.yaml:6:14: requires[0].version: invalid version range '>=1.2.z': bad version "
       "'1.2.z'"},
      {"name: greeter\nversion: 1.0.0\nabi: 1\nrequires:\n  - name: hello\n    range: ^1\n",
       "plugin.yaml:6:5: requires[0].range: unknown key; expected one of: name, version"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    const auto problems = Problems(c.yaml);
    ASSERT_THAT(problems, SizeIs(1)) << testing::PrintToString(problems);
    EXPECT_THAT(problems[0], StartsWith(c.problem));
  }
}

TEST(Manifest, PluginNames) {
  const std::string long_ok = "a" + std::string(62, 'b');  // 63 characters
  for (const std::string name : {"a", "hello", "hello-world", "h2", "a-1-b", long_ok.c_str()}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Parse("name: " + name + "\nversion: 1.0.0\nabi: 1\n").name, name);
  }
  const std::string too_long = long_ok + "c";  // 64 characters
  for (const std::string name :
       {"Hello", "1abc", "-abc", "a_b", "a.b", "hello world", "''", "héllo", too_long.c_str()}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(Problems("name: " + name + "\nversion: 1.0.0\nabi: 1\n"),
                ElementsAre("plugin.yaml:1:7: name: expected lower-case letters, digits and '-', "
                            "starting with a letter"));
  }
}

TEST(Manifest, BadNameLeavesNoDefaultLibrary) {
  // The library name derives from a valid name only; one problem, not two.
  EXPECT_THAT(Problems("name: Bad\nversion: 1.0.0\nabi: 1\n"), SizeIs(1));
}

// ---------------------------------------------------------------------------------------------
// The settings schema

constexpr const char* kSchema = R"(name: greeter
version: 1.0.0
abi: 1
settings:
  greeting: {type: string, default: Hello, min: 1, max: 8}
  count: {type: integer, default: 3, min: 1, max: 10}
  ratio: {type: number, default: 0.5, min: 0, max: 1}
  verbose: {type: boolean, default: false}
  tags: {type: string_list, default: [a, b], max: 3}
  mode: {type: string, enum: [fast, slow], default: fast}
  token: {type: string, required: true, secret: true}
  note: {type: string}
)";

TEST(ManifestSettings, SchemaIsParsed) {
  const Manifest m = Parse(kSchema);
  ASSERT_THAT(m.settings, SizeIs(8));
  std::vector<std::string> names;
  for (const auto& s : m.settings) names.push_back(s.name);
  EXPECT_THAT(
      names, ElementsAre("greeting", "count", "ratio", "verbose", "tags", "mode", "token", "note"));

  const auto* greeting = FindSpec(m, "greeting");
  EXPECT_EQ(greeting->type, SettingSpec::Type::string);
  EXPECT_EQ(greeting->default_value, "Hello");
  EXPECT_EQ(greeting->min, 1.0);
  EXPECT_EQ(greeting->max, 8.0);
  const auto* count = FindSpec(m, "count");
  EXPECT_EQ(count->type, SettingSpec::Type::integer);
  EXPECT_EQ(count->default_value, 3);
  const auto* ratio = FindSpec(m, "ratio");
  EXPECT_EQ(ratio->type, SettingSpec::Type::number);
  EXPECT_EQ(ratio->default_value, 0.5);
  const auto* verbose = FindSpec(m, "verbose");
  EXPECT_EQ(verbose->type, SettingSpec::Type::boolean);
  EXPECT_EQ(verbose->default_value, false);
  const auto* tags = FindSpec(m, "tags");
  EXPECT_EQ(tags->type, SettingSpec::Type::string_list);
  EXPECT_EQ(tags->default_value, nlohmann::json::array({"a", "b"}));
  EXPECT_FALSE(tags->min.has_value());
  const auto* mode = FindSpec(m, "mode");
  EXPECT_THAT(mode->allowed, ElementsAre("fast", "slow"));
  const auto* token = FindSpec(m, "token");
  EXPECT_TRUE(token->required);
  EXPECT_TRUE(token->secret);
  EXPECT_TRUE(token->default_value.is_null());

  EXPECT_EQ(to_string(SettingSpec::Type::string), "string");
  EXPECT_EQ(to_string(SettingSpec::Type::integer), "integer");
  EXPECT_EQ(to_string(SettingSpec::Type::number), "number");
  EXPECT_EQ(to_string(SettingSpec::Type::boolean), "boolean");
  EXPECT_EQ(to_string(SettingSpec::Type::string_list), "string_list");
}

TEST(ManifestSettings, SchemaProblems) {
  struct Case {
    std::string settings;  // the lines below "settings:" (line 5 on)
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"  x: {default: 1}\n", "plugin.yaml:5:6: settings.x: missing 'type'"},
      {"  x: {type: float}\n",
       "plugin.yaml:5:13: settings.x.type: expected one of: string, integer, number, boolean, "
       "string_list; got 'float'"},
      {"  x: {type: string, maximum: 3}\n",
       "plugin.yaml:5:21: settings.x.maximum: unknown key; expected one of: type, default, "
       "required, enum, min, max, secret, description"},
      {"  x: string\n", "plugin.yaml:5:6: settings.x: expected a map, got 'string'"},
      {"  x: {type: integer, default: many}\n",
       "plugin.yaml:5:31: settings.x.default: expected an integer, got 'many'"},
      {"  x: {type: string, enum: [a, b], default: c}\n",
       "plugin.yaml:5:44: settings.x.default: expected one of: a, b; got 'c'"},
      {"  x: {type: integer, max: 5, default: 6}\n",
       "plugin.yaml:5:39: settings.x.default: expected at most 5, got 6"},
      {"  x: {type: string, min: 2, default: a}\n",
       "plugin.yaml:5:38: settings.x.default: expected a length of at least 2, got 1"},
      {"  x: {type: boolean, required: perhaps}\n",
       "plugin.yaml:5:32: settings.x.required: expected true or false, got 'perhaps'"},
      {"  x: {type: number, min: low}\n",
       "plugin.yaml:5:26: settings.x.min: expected a number, got 'low'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.settings);
    EXPECT_THAT(Problems(std::string(kHeader) + "settings:\n" + c.settings),
                ElementsAre(c.problem));
  }
  EXPECT_THAT(Problems(std::string(kHeader) + "settings: [a]\n"),
              ElementsAre("plugin.yaml:4:11: settings: expected a map, got a list"));
}

class ValidateSettings : public ::testing::Test {
 protected:
  ValidateSettings() : manifest_(Parse(kSchema)) {}

  // Validates `yaml` (the plugin's settings block) the test expects to be accepted.
  nlohmann::json Valid(const std::string& yaml) {
    YamlChecker checker("lore.yaml");
    auto values = validate_settings(manifest_, YAML::Load(yaml), checker, kPath);
    EXPECT_THAT(checker.problems(), IsEmpty()) << yaml;
    return values;
  }
  std::vector<std::string> Problems(const YAML::Node& settings) {
    YamlChecker checker("lore.yaml");
    validate_settings(manifest_, settings, checker, kPath);
    EXPECT_FALSE(checker.ok()) << "settings unexpectedly accepted";
    return checker.problems();
  }
  std::vector<std::string> Problems(const std::string& yaml) { return Problems(YAML::Load(yaml)); }

  static constexpr const char* kPath = "plugins.greeter.settings";
  Manifest manifest_;
};

TEST_F(ValidateSettings, DefaultsAreApplied) {
  const auto values = Valid("token: s3cret\n");
  EXPECT_EQ(values, nlohmann::json::parse(R"({
    "greeting": "Hello", "count": 3, "ratio": 0.5, "verbose": false, "tags": ["a", "b"],
    "mode": "fast", "token": "s3cret", "note": null})"));
}

TEST_F(ValidateSettings, GivenValuesOfEveryType) {
  const auto values = Valid(
      "greeting: Hi\ncount: 10\nratio: 1\nverbose: yes\ntags: []\nmode: slow\ntoken: t\n"
      "note: n\n");
  EXPECT_EQ(values["greeting"], "Hi");
  EXPECT_EQ(values["count"], 10);
  EXPECT_TRUE(values["count"].is_number_integer());
  EXPECT_EQ(values["ratio"], 1.0);
  EXPECT_TRUE(values["ratio"].is_number_float());
  EXPECT_EQ(values["verbose"], true);
  EXPECT_EQ(values["tags"], nlohmann::json::array());
  EXPECT_EQ(values["mode"], "slow");
  EXPECT_EQ(values["token"], "t");
  EXPECT_EQ(values["note"], "n");
}

TEST_F(ValidateSettings, ExplicitNullMeansAbsent) {
  const auto values = Valid("token: t\ncount: ~\nnote:\n");
  EXPECT_EQ(values["count"], 3);
  EXPECT_TRUE(values["note"].is_null());
}

TEST_F(ValidateSettings, ValueProblems) {
  struct Case {
    std::string yaml;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"greeting: [a]",
       "lore.yaml:1:11: plugins.greeter.settings.greeting: expected a string, "
       "got a list"},
      {"greeting: ''",
       "lore.yaml:1:11: plugins.greeter.settings.greeting: expected a length of "
       "at least 1, got 0"},
      {"greeting: Hello world",
       "lore.yaml:1:11: plugins.greeter.settings.greeting: expected a length of at most 8, got 11"},
      {"count: abc",
       "lore.yaml:1:8: plugins.greeter.settings.count: expected an integer, got 'abc'"},
      {"count: 2.5",
       "lore.yaml:1:8: plugins.greeter.settings.count: expected an integer, got '2.5'"},
      {"count: '3'", "lore.yaml:1:8: plugins.greeter.settings.count: expected an integer, got '3'"},
      {"count: 0", "lore.yaml:1:8: plugins.greeter.settings.count: expected at least 1, got 0"},
      {"count: 11", "lore.yaml:1:8: plugins.greeter.settings.count: expected at most 10, got 11"},
      {"count: 100000000",
       "lore.yaml:1:8: plugins.greeter.settings.count: expected at most 10, got 100000000"},
      {"ratio: high",
       "lore.yaml:1:8: plugins.greeter.settings.ratio: expected a number, got 'high'"},
      {"ratio: 1.5", "lore.yaml:1:8: plugins.greeter.settings.ratio: expected at most 1, got 1.5"},
      {"ratio: -0.25",
       "lore.yaml:1:8: plugins.greeter.settings.ratio: expected at least 0, got -0.25"},
      {"verbose: 1",
       "lore.yaml:1:10: plugins.greeter.settings.verbose: expected true or false, got '1'"},
      {"tags: a",
       "lore.yaml:1:7: plugins.greeter.settings.tags: expected a list of strings, got "
       "'a'"},
      {"tags: [a, {b: 1}]",
       "lore.yaml:1:11: plugins.greeter.settings.tags[1]: expected a string, got a map"},
      {"tags: [a, b, c, d]",
       "lore.yaml:1:7: plugins.greeter.settings.tags: expected a length of at most 3, got 4"},
      {"mode: medium",
       "lore.yaml:1:7: plugins.greeter.settings.mode: expected one of: fast, slow; got 'medium'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_THAT(Problems(c.yaml + "\ntoken: t\n"), ElementsAre(c.problem));
  }
}

TEST_F(ValidateSettings, RequiredSettingMissing) {
  EXPECT_THAT(Problems("count: 3\n"),
              ElementsAre("lore.yaml:1:1: plugins.greeter.settings.token: required setting of "
                          "plugin greeter is missing (string)"));
  // No settings block at all: no line to point at.
  EXPECT_THAT(Problems(YAML::Node()),
              ElementsAre("lore.yaml: plugins.greeter.settings.token: required setting of plugin "
                          "greeter is missing (string)"));
}

TEST_F(ValidateSettings, UnknownSettingIsRejectedWithItsLocation) {
  EXPECT_THAT(Problems("token: t\ncolour: red\n"),
              ElementsAre("lore.yaml:2:1: plugins.greeter.settings.colour: unknown setting of "
                          "plugin greeter; expected one of: greeting, count, ratio, verbose, tags, "
                          "mode, token, note"));

  const Manifest bare = Parse(kHeader);
  YamlChecker checker("lore.yaml");
  auto values = validate_settings(bare, YAML::Load("x: 1\n"), checker, "plugins.bare.settings");
  EXPECT_THAT(checker.problems(),
              ElementsAre("lore.yaml:1:1: plugins.bare.settings.x: unknown setting of plugin "
                          "greeter; it has no settings"));
  EXPECT_EQ(values, nlohmann::json::object());
}

TEST_F(ValidateSettings, SettingsMustBeAMap) {
  EXPECT_THAT(Problems("[a, b]\n"),
              ElementsAre("lore.yaml:1:1: plugins.greeter.settings: expected a map, got a list"));
}

TEST_F(ValidateSettings, SeveralProblemsAtOnce) {
  EXPECT_THAT(Problems("count: 0\nmode: x\nbogus: 1\n"),
              UnorderedElementsAre(
                  HasSubstr("settings.bogus: unknown setting"),
                  HasSubstr("settings.count: expected at least 1"),
                  HasSubstr("settings.mode: expected one of: fast, slow"),
                  HasSubstr("settings.token: required setting of plugin greeter is missing")));
}

TEST_F(ValidateSettings, RedactHidesSecretValues) {
  const auto values = Valid("token: s3cret\nnote: visible\n");
  const auto redacted = redact_settings(manifest_, values);
  EXPECT_EQ(redacted["token"], "***");
  EXPECT_EQ(redacted["note"], "visible");
  EXPECT_EQ(redacted["greeting"], "Hello");
  EXPECT_EQ(redacted.size(), values.size());
  EXPECT_EQ(values["token"], "s3cret");  // the input is not modified
  EXPECT_EQ(redacted.dump().find("s3cret"), std::string::npos);

  // A secret without a value stays null; an absent one is not added.
  nlohmann::json sparse{{"token", nullptr}};
  EXPECT_EQ(redact_settings(manifest_, sparse), sparse);
  nlohmann::json none{{"note", "x"}};
  EXPECT_EQ(redact_settings(manifest_, none), none);
}

}  // namespace
}  // namespace lore
