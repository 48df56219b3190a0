#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "config/kernel_config.h"
#include "config/yaml_checker.h"
#include "support/test_config.h"

namespace lore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr const char* kServerKeys =
    "host, port, threads, workers, max_queue, max_body_bytes, header_timeout_ms, "
    "body_timeout_ms, keepalive_timeout_ms, shutdown_grace_ms, trusted_proxies";
constexpr const char* kTopKeys =
    "server, database, cache, auth, catalog, commerce, demo_data, log, plugin_paths, "
    "plugin_policy, hooks, plugins";

KernelConfig Parse(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return parse_kernel_config(yaml, "lore.yaml", overrides);
}

// The problems of a configuration the test expects to be refused.
std::vector<std::string> Problems(const std::string& yaml,
                                  const std::vector<std::string>& overrides = {}) {
  try {
    Parse(yaml, overrides);
  } catch (const ConfigError& e) {
    EXPECT_FALSE(e.problems().empty()) << "ConfigError without problems";
    return e.problems();
  }
  ADD_FAILURE() << "configuration unexpectedly accepted:\n" << yaml;
  return {};
}

// A process-unique environment variable name, removed when the test ends.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::string& stem)
      : name_("LORE_UT_" + stem + "_" + std::to_string(::getpid())) {
    ::unsetenv(name_.c_str());
  }
  ~ScopedEnv() { ::unsetenv(name_.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  void set(const std::string& value) const { ::setenv(name_.c_str(), value.c_str(), 1); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// ---------------------------------------------------------------------------------------------
// Defaults and sections

TEST(KernelConfig, EmptyTextGivesDefaults) {
  for (const std::string text : {"", "# only a comment\n", "~\n"}) {
    SCOPED_TRACE("text: '" + text + "'");
    const KernelConfig config = Parse(text);
    EXPECT_EQ(config.source, "lore.yaml");
    EXPECT_EQ(config.server.host, "127.0.0.1");
    EXPECT_EQ(config.server.port, 8080);
    EXPECT_EQ(config.server.threads, 2);
    EXPECT_EQ(config.server.workers, 16);
    EXPECT_EQ(config.server.max_queue, 1024);
    EXPECT_EQ(config.server.max_body_bytes, 1 << 20);
    EXPECT_EQ(config.server.header_timeout_ms, 10000);
    EXPECT_EQ(config.server.body_timeout_ms, 30000);
    EXPECT_EQ(config.server.keepalive_timeout_ms, 60000);
    EXPECT_EQ(config.server.shutdown_grace_ms, 10000);
    EXPECT_EQ(config.auth.session_lifetime_hours, 720);
    EXPECT_EQ(config.auth.session_slide_minutes, 10);
    EXPECT_EQ(config.auth.session_cache_ms, 5000);
    EXPECT_EQ(config.database.url, "sqlite://var/lore.db");
    EXPECT_EQ(config.cache_url, "memory://");
    EXPECT_EQ(config.log.level, "info");
    EXPECT_TRUE(config.log.access);
    EXPECT_THAT(config.plugin_paths, ElementsAre("build/plugins"));
    EXPECT_EQ(config.plugin_policy.failure_threshold, 5);
    EXPECT_EQ(config.plugin_policy.failure_window_ms, 60000);
    EXPECT_EQ(config.plugin_policy.drain_timeout_ms, 10000);
    EXPECT_EQ(config.hook_timing_sample_every, 16u);
    EXPECT_THAT(config.plugins, IsEmpty());
    EXPECT_THAT(config.overridden_paths, IsEmpty());
  }
}

TEST(KernelConfig, ParsesEverySection) {
  const KernelConfig config = Parse(R"(
server:
  host: 0.0.0.0
  port: 9000
  threads: 4
  workers: 32
  max_queue: 10
  max_body_bytes: 2048
  header_timeout_ms: 1
  body_timeout_ms: 2
  keepalive_timeout_ms: 3
  shutdown_grace_ms: 4
auth:
  session_lifetime_hours: 24
  session_slide_minutes: 5
  session_cache_ms: 0
database:
  url: mysql://lore:secret@db.example/lore
  pool_size: 4
  lease_timeout_ms: 50
  statement_timeout_ms: 500
  connect_timeout_ms: 700
cache:
  url: redis://cache:6379
  key_prefix: "lore:site2:"
log:
  level: debug
  access: false
plugin_paths:
  - /opt/lore/plugins
  - plugins
plugin_policy:
  failure_threshold: 3
  failure_window_ms: 1000
  drain_timeout_ms: 0
hooks:
  timing_sample_every: 1
plugins:
  hello: {}
)");
  EXPECT_EQ(config.server.host, "0.0.0.0");
  EXPECT_EQ(config.server.port, 9000);
  EXPECT_EQ(config.server.threads, 4);
  EXPECT_EQ(config.server.workers, 32);
  EXPECT_EQ(config.server.max_queue, 10);
  EXPECT_EQ(config.server.max_body_bytes, 2048);
  EXPECT_EQ(config.server.header_timeout_ms, 1);
  EXPECT_EQ(config.server.body_timeout_ms, 2);
  EXPECT_EQ(config.server.keepalive_timeout_ms, 3);
  EXPECT_EQ(config.server.shutdown_grace_ms, 4);
  EXPECT_EQ(config.auth.session_lifetime_hours, 24);
  EXPECT_EQ(config.auth.session_slide_minutes, 5);
  EXPECT_EQ(config.auth.session_cache_ms, 0);
  EXPECT_EQ(config.database.url, "mysql://lore:secret@db.example/lore");
  EXPECT_EQ(config.database.pool_size, 4);
  EXPECT_EQ(config.database.lease_timeout_ms, 50);
  EXPECT_EQ(config.database.statement_timeout_ms, 500);
  EXPECT_EQ(config.database.connect_timeout_ms, 700);
  EXPECT_EQ(config.cache_url, "redis://cache:6379");
  EXPECT_EQ(config.cache_key_prefix, "lore:site2:");
  EXPECT_EQ(Parse("").cache_key_prefix, "lore:");
  EXPECT_THAT(Problems("cache:\n  key_prefix: \"has space\"\n"),
              ElementsAre(HasSubstr("cache.key_prefix: expected 1 to 64 letters")));
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_FALSE(config.log.access);
  EXPECT_THAT(config.plugin_paths, ElementsAre("/opt/lore/plugins", "plugins"));
  EXPECT_EQ(config.plugin_policy.failure_threshold, 3);
  EXPECT_EQ(config.plugin_policy.failure_window_ms, 1000);
  EXPECT_EQ(config.plugin_policy.drain_timeout_ms, 0);
  EXPECT_EQ(config.hook_timing_sample_every, 1u);
  ASSERT_EQ(config.plugins.count("hello"), 1u);
}

TEST(KernelConfig, AcceptsEveryUrlSchemeAndLogLevel) {
  for (const char* url :
       {"sqlite://x.db", "sqlite://:memory:", "mysql://u:p@h/db", "mariadb://u@h:3307/db",
        "mysql://u:p%40ss@localhost/db?socket=/run/mysqld/mysqld.sock"})
    EXPECT_EQ(Parse(std::string("database:\n  url: \"") + url + "\"\n").database.url, url);
  for (const char* url : {"memory://", "redis://localhost"})
    EXPECT_EQ(Parse(std::string("cache:\n  url: ") + url + "\n").cache_url, url);
  for (const char* level : {"trace", "debug", "info", "warn", "error"})
    EXPECT_EQ(Parse(std::string("log:\n  level: ") + level + "\n").log.level, level);
}

TEST(KernelConfig, LoadsFromFile) {
  test::TempDir dir;
  const auto file = dir.write("lore.yaml", "server:\n  port: 1234\n");
  const KernelConfig config = load_kernel_config(file.string(), {});
  EXPECT_EQ(config.source, file.string());
  EXPECT_EQ(config.server.port, 1234);
}

TEST(KernelConfig, MissingFileIsAConfigError) {
  test::TempDir dir;
  const std::string file = (dir.path() / "absent.yaml").string();
  try {
    load_kernel_config(file, {});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.problems(), ElementsAre(file + ": cannot read the file"));
  }
}

TEST(KernelConfig, CommerceFeeLifetimesAndRefundWindow) {
  const auto defaults = Parse("").commerce;
  EXPECT_EQ(defaults.platform_fee_basis_points, 1000);
  EXPECT_EQ(defaults.order_lifetime_ms, 30 * 60 * 1000);
  EXPECT_EQ(defaults.claim_timeout_ms, 60 * 1000);
  EXPECT_EQ(defaults.refund_window_days, 7);
  const auto set = Parse(
                       "commerce:\n  platform_fee_percent: 12.5\n  order_lifetime_minutes: 15\n"
                       "  claim_timeout_ms: 5000\n  refund_window_days: 0\n")
                       .commerce;
  EXPECT_EQ(set.platform_fee_basis_points, 1250);
  EXPECT_EQ(set.order_lifetime_ms, 15 * 60 * 1000);
  EXPECT_EQ(set.claim_timeout_ms, 5000);
  EXPECT_EQ(set.refund_window_days, 0);
  EXPECT_EQ(Parse("commerce:\n  platform_fee_percent: 0.01\n").commerce.platform_fee_basis_points,
            1);
  EXPECT_EQ(Parse("commerce:\n  platform_fee_percent: 100\n").commerce.platform_fee_basis_points,
            10000);
  EXPECT_THAT(Problems("commerce:\n  platform_fee_percent: 12.345\n"),
              ElementsAre(HasSubstr("lore.yaml:2:25: commerce.platform_fee_percent: expected a "
                                    "percentage from 0 to 100 with at most two decimals")));
  EXPECT_THAT(Problems("commerce:\n  platform_fee_percent: 101\n"),
              ElementsAre(HasSubstr("commerce.platform_fee_percent: expected a percentage")));
  EXPECT_THAT(Problems("commerce:\n  platform_fee_percent: -1\n"),
              ElementsAre(HasSubstr("commerce.platform_fee_percent: expected a percentage")));
  EXPECT_THAT(Problems("commerce:\n  platform_fee_percent: ten\n"),
              ElementsAre(HasSubstr("commerce.platform_fee_percent: expected a number")));
  EXPECT_THAT(Problems("commerce:\n  order_lifetime_minutes: 0\n"),
              ElementsAre(HasSubstr("lore.yaml:2:27: commerce.order_lifetime_minutes")));
  const auto reconcile =
      Parse("commerce:\n  reconcile_interval_s: 2\n  reconcile_after_s: 5\n").commerce;
  EXPECT_EQ(reconcile.reconcile_interval_ms, 2000);
  EXPECT_EQ(reconcile.reconcile_after_ms, 5000);
  EXPECT_EQ(defaults.reconcile_interval_ms, 60000);
  EXPECT_EQ(defaults.reconcile_after_ms, 120000);
  EXPECT_THAT(Problems("commerce:\n  reconcile_interval_s: 0\n"),
              ElementsAre(HasSubstr("commerce.reconcile_interval_s")));
  EXPECT_THAT(Problems("commerce:\n  refund_window: 7\n"),
              ElementsAre(HasSubstr("commerce.refund_window: unknown key; expected one of: "
                                    "platform_fee_percent, order_lifetime_minutes")));
}

TEST(KernelConfig, CatalogCacheAndDemoDataNextToTheFile) {
  EXPECT_EQ(Parse("").catalog.public_cache_ms, 1000);
  EXPECT_TRUE(Parse("").demo_data.empty());
  EXPECT_EQ(Parse("catalog:\n  public_cache_ms: 0\n").catalog.public_cache_ms, 0);
  EXPECT_THAT(Problems("catalog:\n  public_cache_ms: -1\n"),
              ElementsAre(HasSubstr("lore.yaml:2:20: catalog.public_cache_ms")));
  EXPECT_THAT(Problems("catalog:\n  ttl: 5\n"),
              ElementsAre(HasSubstr("catalog.ttl: unknown key; expected one of: public_cache_ms")));

  test::TempDir dir;
  dir.write("demo.yaml", "users: []\n");
  const auto file = dir.write("lore.yaml", "demo_data: demo.yaml\n");
  // Relative to the configuration file, wherever the process runs.
  EXPECT_EQ(load_kernel_config(file.string(), {}).demo_data, (dir.path() / "demo.yaml").string());
  const auto absent = dir.write("absent.yaml", "\ndemo_data: nowhere.yaml\n");
  try {
    load_kernel_config(absent.string(), {});
    FAIL() << "a missing demo data file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.problems(),
                ElementsAre(absent.string() + ":2:12: demo_data: no such file: '" +
                            (dir.path() / "nowhere.yaml").string() +
                            "' (a relative path is taken from the configuration file's "
                            "directory)"));
  }
}

// ---------------------------------------------------------------------------------------------
// Problems, with their exact text and location

TEST(KernelConfig, UnknownKeyNamesFileLineColumnAndAllowedKeys) {
  EXPECT_THAT(
      Problems("server:\n  prot: 8080\n"),
      ElementsAre(std::string("lore.yaml:2:3: server.prot: unknown key; expected one of: ") +
                  kServerKeys));
  EXPECT_THAT(
      Problems("log:\n  level: info\nsevrer:\n  port: 1\n"),
      ElementsAre(std::string("lore.yaml:3:1: sevrer: unknown key; expected one of: ") + kTopKeys));
  EXPECT_THAT(
      Problems("log:\n  colour: true\n"),
      ElementsAre("lore.yaml:2:3: log.colour: unknown key; expected one of: level, access"));
  EXPECT_THAT(Problems("plugins:\n  hello:\n    enable: false\n"),
              ElementsAre("lore.yaml:3:5: plugins.hello.enable: unknown key; expected one of: "
                          "enabled, settings"));
}

TEST(KernelConfig, TopLevelMustBeAMap) {
  EXPECT_THAT(Problems("- a\n- b\n"),
              ElementsAre("lore.yaml:1:1: (top level): expected a map, got a list"));
  EXPECT_THAT(Problems("hello\n"),
              ElementsAre("lore.yaml:1:1: (top level): expected a map, got 'hello'"));
}

TEST(KernelConfig, WrongTypesAndRanges) {
  struct Case {
    std::string yaml;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"server:\n  port: abc\n", "lore.yaml:2:9: server.port: expected an integer, got 'abc'"},
      {"server:\n  port: 80.5\n", "lore.yaml:2:9: server.port: expected an integer, got '80.5'"},
      {"server:\n  port: 70000\n",
       "lore.yaml:2:9: server.port: expected an integer from 0 to 65535, got 70000"},
      {"server:\n  port: -1\n",
       "lore.yaml:2:9: server.port: expected an integer from 0 to 65535, got -1"},
      {"server:\n  threads: 0\n",
       "lore.yaml:2:12: server.threads: expected an integer from 1 to 256, got 0"},
      {"server:\n  workers: [1]\n",
       "lore.yaml:2:12: server.workers: expected an integer, got a list"},
      {"server:\n  max_body_bytes: 0\n",
       "lore.yaml:2:19: server.max_body_bytes: expected an integer from 1 to 1073741824, got 0"},
      {"server:\n  header_timeout_ms: 3600001\n",
       "lore.yaml:2:22: server.header_timeout_ms: expected an integer from 0 to 3600000, got "
       "3600001"},
      {"server:\n  host: {a: 1}\n", "lore.yaml:2:9: server.host: expected a string, got a map"},
      {"server:\n  admin_token: abcdefghijklmnopqrstuvwxyz\n",
       "lore.yaml:2:16: server.admin_token: the static admin token was removed: admin routes "
       "need a signed-in admin (create one with `lore admin create-user --email E --role admin "
       "--token`)"},
      {"auth:\n  session_lifetime_hours: 0\n",
       "lore.yaml:2:27: auth.session_lifetime_hours: expected an integer from 1 to 8784, got 0"},
      {"auth:\n  session_cache_ms: 60001\n",
       "lore.yaml:2:21: auth.session_cache_ms: expected an integer from 0 to 60000, got 60001"},
      {"auth:\n  sessions: 1\n",
       "lore.yaml:2:3: auth.sessions: unknown key; expected one of: session_lifetime_hours, "
       "session_slide_minutes, session_cache_ms"},
      {"server: 8080\n", "lore.yaml:1:9: server: expected a map, got '8080'"},
      {"database:\n  url: postgres://x\n",
       "lore.yaml:2:8: database.url: expected a URL starting with one of: sqlite://, mysql://, "
       "mariadb://"},
      {"cache:\n  url: memcached://x\n",
       "lore.yaml:2:8: cache.url: expected a URL starting with one of: memory://, redis://"},
      {"log:\n  level: loud\n",
       "lore.yaml:2:10: log.level: expected one of: trace, debug, info, warn, error"},
      {"log:\n  access: maybe\n",
       "lore.yaml:2:11: log.access: expected true or false, got 'maybe'"},
      {"plugin_paths: plugins\n",
       "lore.yaml:1:15: plugin_paths: expected a list of strings, got 'plugins'"},
      {"plugin_paths:\n  - ok\n  - [nested]\n",
       "lore.yaml:3:5: plugin_paths[1]: expected a string, got a list"},
      {"plugin_policy:\n  failure_window_ms: 0\n",
       "lore.yaml:2:22: plugin_policy.failure_window_ms: expected an integer from 1 to 86400000, "
       "got 0"},
      {"hooks:\n  timing_sample_every: 0\n",
       "lore.yaml:2:24: hooks.timing_sample_every: expected an integer from 1 to 1000000, got 0"},
      {"plugins: [a, b]\n", "lore.yaml:1:10: plugins: expected a map, got a list"},
      {"plugins:\n  hello:\n    enabled: 1\n",
       "lore.yaml:3:14: plugins.hello.enabled: expected true or false, got '1'"},
      {"plugins:\n  hello:\n    settings: [1]\n",
       "lore.yaml:3:15: plugins.hello.settings: expected a map, got a list"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_THAT(Problems(c.yaml), ElementsAre(c.problem));
  }
}

TEST(KernelConfig, TrustedProxiesAreAddressesOrRanges) {
  const auto config =
      Parse("server:\n  trusted_proxies: [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"]\n");
  EXPECT_THAT(config.server.trusted_proxies, ElementsAre("127.0.0.1", "10.0.0.0/8", "::1"));
  EXPECT_THAT(Parse("").server.trusted_proxies, IsEmpty());

  const auto problems =
      Problems("server:\n  trusted_proxies:\n    - 10.0.0.1\n    - 10.0.0.300/8\n    - nginx\n");
  ASSERT_THAT(problems, SizeIs(2));
  EXPECT_THAT(problems[0],
              StartsWith("lore.yaml:4:7: server.trusted_proxies[1]: '10.0.0.300/8' is not an IP "
                         "address or CIDR range"));
  EXPECT_THAT(problems[1], StartsWith("lore.yaml:5:7: server.trusted_proxies[2]: 'nginx'"));
  EXPECT_THAT(Problems("server:\n  trusted_proxies: 10.0.0.1\n"),
              ElementsAre(HasSubstr("server.trusted_proxies: expected a list")));
}

TEST(KernelConfig, QuotedNumbersAndBooleansAreStrings) {
  EXPECT_THAT(Problems("server:\n  port: \"8080\"\n"),
              ElementsAre("lore.yaml:2:9: server.port: expected an integer, got '8080'"));
  EXPECT_THAT(Problems("server:\n  port: '8080'\n"),
              ElementsAre("lore.yaml:2:9: server.port: expected an integer, got '8080'"));
  EXPECT_THAT(Problems("log:\n  access: \"false\"\n"),
              ElementsAre("lore.yaml:2:11: log.access: expected true or false, got 'false'"));
  // The same values unquoted are accepted.
  EXPECT_EQ(Parse("server:\n  port: 8080\n").server.port, 8080);
  EXPECT_FALSE(Parse("log:\n  access: false\n").log.access);
}

TEST(KernelConfig, ReportsEveryProblemAtOnce) {
  std::vector<std::string> problems;
  try {
    Parse("server:\n  port: abc\n  prot: 1\nlog:\n  level: loud\nplugin_paths: x\n");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    problems = e.problems();
    // what() lists them one per line.
    std::string joined;
    for (const auto& p : problems) joined += (joined.empty() ? "" : "\n") + p;
    EXPECT_EQ(std::string(e.what()), joined);
  }
  EXPECT_THAT(
      problems,
      UnorderedElementsAre(
          std::string("lore.yaml:3:3: server.prot: unknown key; expected one of: ") + kServerKeys,
          "lore.yaml:2:9: server.port: expected an integer, got 'abc'",
          "lore.yaml:5:10: log.level: expected one of: trace, debug, info, warn, error",
          "lore.yaml:6:15: plugin_paths: expected a list of strings, got 'x'"));
}

TEST(KernelConfig, InvalidYamlReportsLineAndColumn) {
  EXPECT_THAT(Problems("server:\n  host: x\n   port: 1\n"),
              ElementsAre("lore.yaml:3:8: invalid YAML: illegal map value"));
  const auto problems = Problems("server:\n  port: [1, 2\n");
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], testing::MatchesRegex("lore\\.yaml:[0-9]+:[0-9]+: invalid YAML: .+"));
}

// ---------------------------------------------------------------------------------------------
// --set overrides

TEST(KernelConfig, OverrideReplacesFileValue) {
  const KernelConfig config = Parse("server:\n  port: 8080\n  host: h\n", {"server.port=9090"});
  EXPECT_EQ(config.server.port, 9090);
  EXPECT_EQ(config.server.host, "h");
  EXPECT_THAT(config.overridden_paths, ElementsAre("server.port"));
}

TEST(KernelConfig, OverrideCreatesNestedMaps) {
  const KernelConfig config =
      Parse("", {"log.level=debug", "plugins.hello.settings.greeting=hi", "server.threads=3"});
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.server.threads, 3);
  ASSERT_EQ(config.plugins.count("hello"), 1u);
  const auto& hello = config.plugins.at("hello");
  EXPECT_TRUE(hello.enabled);
  ASSERT_TRUE(hello.settings.IsMap());
  EXPECT_EQ(hello.settings["greeting"].as<std::string>(), "hi");
  EXPECT_THAT(config.overridden_paths,
              ElementsAre("log.level", "plugins.hello.settings.greeting", "server.threads"));
}

TEST(KernelConfig, OverrideIntoNullSectionCreatesMap) {
  EXPECT_EQ(Parse("server:\n", {"server.port=1"}).server.port, 1);
}

TEST(KernelConfig, OverrideValuesAreParsedAsYaml) {
  const KernelConfig config =
      Parse("plugin_paths: [x]\n", {"plugin_paths=[a,b]", "log.access=false", "plugins.p={}"});
  EXPECT_THAT(config.plugin_paths, ElementsAre("a", "b"));
  EXPECT_FALSE(config.log.access);
  EXPECT_EQ(config.plugins.count("p"), 1u);
}

TEST(KernelConfig, LaterOverrideWins) {
  EXPECT_EQ(Parse("", {"server.port=1", "server.port=2"}).server.port, 2);
}

TEST(KernelConfig, BadOverrideValueIsReportedAgainstTheOverride) {
  auto problems = Problems("server:\n  port: 8080\n", {"server.port=abc"});
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], StartsWith("--set server.port: "));
  EXPECT_THAT(problems[0], HasSubstr("expected an integer, got 'abc'"));
  EXPECT_THAT(problems[0], Not(HasSubstr("lore.yaml")));

  problems = Problems("", {"server.port=\"9090\""});
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], StartsWith("--set server.port: "));

  // Keys below an overridden map are reported against that override.
  problems = Problems("", {"server={prot: 1}"});
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], StartsWith("--set server: "));
  EXPECT_THAT(problems[0], HasSubstr("server.prot: unknown key"));

  // A file problem next to an override problem keeps its file location.
  problems = Problems("log:\n  level: loud\n", {"server.port=abc"});
  EXPECT_THAT(problems, UnorderedElementsAre(
                            StartsWith("--set server.port: "),
                            "lore.yaml:2:10: log.level: expected one of: trace, debug, info, warn, "
                            "error"));
}

TEST(KernelConfig, MalformedOverrides) {
  struct Case {
    std::string assignment;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"server.port", "--set server.port: expected key.path=value"},
      {"=5", "--set =5: expected key.path=value"},
      {"server..port=1", "--set server..port: empty key in path"},
      {"server.port.x=1", "--set server.port.x: 'port' is not a map"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.assignment);
    EXPECT_THAT(Problems("server:\n  port: 8080\n", {c.assignment}), ElementsAre(c.problem));
  }
  const auto problems = Problems("", {"server.host=[a"});
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], StartsWith("--set server.host: value is not valid YAML: "));
}

// ---------------------------------------------------------------------------------------------
// ${VAR} interpolation

TEST(KernelConfig, InterpolatesEnvironmentVariables) {
  ScopedEnv host("HOST");
  ScopedEnv port("PORT");
  ScopedEnv unset("UNSET");
  host.set("10.0.0.1");
  port.set("9091");
  const KernelConfig config = Parse("server:\n  host: ${" + host.name() + "}\n  port: ${" +
                                    port.name() + "}\ndatabase:\n  url: ${" + unset.name() +
                                    ":-sqlite://fallback.db}\ncache:\n  url: redis://p$$ss@h\n");
  EXPECT_EQ(config.server.host, "10.0.0.1");
  EXPECT_EQ(config.server.port, 9091);  // still a plain scalar, so an integer
  EXPECT_EQ(config.database.url, "sqlite://fallback.db");
  EXPECT_EQ(config.cache_url, "redis://p$ss@h");
}

TEST(KernelConfig, InterpolatesInsideListsAndPluginSettings) {
  ScopedEnv dir("DIR");
  dir.set("/srv");
  const KernelConfig config =
      Parse("plugin_paths: [\"${" + dir.name() + "}/plugins\"]\nplugins:\n  p:\n    settings:\n" +
            "      path: ${" + dir.name() + "}/data\n");
  EXPECT_THAT(config.plugin_paths, ElementsAre("/srv/plugins"));
  EXPECT_EQ(config.plugins.at("p").settings["path"].as<std::string>(), "/srv/data");
}

TEST(KernelConfig, MissingVariableIsReportedWithLocation) {
  ScopedEnv missing("MISSING");
  EXPECT_THAT(
      Problems("server:\n  host: ${" + missing.name() + "}\n"),
      ElementsAre("lore.yaml:2:9: server.host: environment variable " + missing.name() +
                  " is not set (write ${" + missing.name() + ":-default} to give a default)"));
}

TEST(KernelConfig, InterpolationErrorInOverrideNamesTheOverride) {
  ScopedEnv missing("MISSING_SET");
  const auto problems = Problems("", {"server.host=${" + missing.name() + "}"});
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], StartsWith("--set server.host: server.host: environment variable " +
                                      missing.name() + " is not set"));
}

// ---------------------------------------------------------------------------------------------
// Plugin entries

TEST(KernelConfig, PluginEntries) {
  const KernelConfig config = Parse(R"(
plugins:
  hello:
    settings:
      greeting: hi
      count: 3
      tags: [a, b]
  off:
    enabled: false
  bare:
  on:
    enabled: yes
    settings:
)");
  ASSERT_THAT(config.plugins, SizeIs(4));
  const auto& hello = config.plugins.at("hello");
  EXPECT_EQ(hello.name, "hello");
  EXPECT_TRUE(hello.enabled);
  ASSERT_TRUE(hello.settings.IsMap());
  EXPECT_EQ(hello.settings.size(), 3u);
  EXPECT_EQ(hello.settings["greeting"].as<std::string>(), "hi");
  EXPECT_EQ(hello.settings["count"].as<int>(), 3);
  ASSERT_TRUE(hello.settings["tags"].IsSequence());
  EXPECT_EQ(hello.settings["tags"][1].as<std::string>(), "b");
  // The settings node keeps its marks, for messages when validated against the manifest.
  EXPECT_EQ(hello.settings["count"].Mark().line, 5);

  const auto& off = config.plugins.at("off");
  EXPECT_FALSE(off.enabled);
  EXPECT_TRUE(off.settings.IsMap());
  EXPECT_EQ(off.settings.size(), 0u);

  const auto& bare = config.plugins.at("bare");
  EXPECT_EQ(bare.name, "bare");
  EXPECT_TRUE(bare.enabled);
  EXPECT_TRUE(bare.settings.IsMap());
  EXPECT_EQ(bare.settings.size(), 0u);

  const auto& on = config.plugins.at("on");
  EXPECT_TRUE(on.enabled);
  EXPECT_TRUE(on.settings.IsMap());
}

}  // namespace
}  // namespace lore
