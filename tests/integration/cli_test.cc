// The `lore` command line: version, check-config, plugins, hooks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/lore_process.h"
#include "support/test_config.h"

namespace lore::test {
namespace {

using ::testing::HasSubstr;

TEST(Cli, VersionPrintsAbiAndFingerprint) {
  auto [status, output] = run_lore({"version"});
  EXPECT_EQ(status, 0);
  EXPECT_THAT(output, HasSubstr("lore 0.1.0"));
  EXPECT_THAT(output, HasSubstr("(abi 4)"));
  EXPECT_THAT(output, HasSubstr("fingerprint sdk-0.4.1;"));
}

TEST(Cli, CheckConfigAcceptsTheShippedConfiguration) {
  auto [status, output] =
      run_lore({"check-config", "-c", LORE_SOURCE_DIR "/config/lore.yaml", "--set",
                std::string("plugin_paths=[") + LORE_PLUGIN_DIR + "]"});
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, HasSubstr("configuration OK"));
}

TEST(Cli, CheckConfigReportsEveryProblemWithItsLocation) {
  TempDir dir;
  auto file = dir.write("bad.yaml",
                        "server:\n"
                        "  port: eighty\n"
                        "  treads: 4\n"
                        "plugins:\n"
                        "  hello:\n"
                        "    settings: { greeting: \"\" }\n");
  auto [status, output] = run_lore({"check-config", "-c", file.string(), "--set",
                                    std::string("plugin_paths=[") + LORE_PLUGIN_DIR + "]"});
  EXPECT_EQ(status, 2) << output;
  EXPECT_THAT(output,
              HasSubstr(file.string() + ":2:9: server.port: expected an integer, got 'eighty'"));
  EXPECT_THAT(output,
              HasSubstr(file.string() +
                        ":3:3: server.treads: unknown key; expected one of: host, port, threads"));
}

TEST(Cli, CheckConfigValidatesPluginSettingsAgainstTheManifest) {
  TempDir dir;
  auto file = dir.write("bad.yaml",
                        "plugins:\n"
                        "  hello:\n"
                        "    settings: { greeting: \"\", punctuation: \";\" }\n");
  auto [status, output] = run_lore({"check-config", "-c", file.string(), "--set",
                                    std::string("plugin_paths=[") + LORE_PLUGIN_DIR + "]"});
  EXPECT_EQ(status, 2) << output;
  EXPECT_THAT(
      output,
      HasSubstr(":3:27: plugins.hello.settings.greeting: expected a length of at least 1, got 0"));
  EXPECT_THAT(output,
              HasSubstr("plugins.hello.settings.punctuation: expected one of: !, ., ?; got ';'"));
}

TEST(Cli, SetOverridesAreValidatedAndNamedInErrors) {
  auto [status, output] = run_lore(
      {"check-config", "-c", LORE_SOURCE_DIR "/config/lore.yaml", "--set", "server.port=99999"});
  EXPECT_EQ(status, 2) << output;
  EXPECT_THAT(
      output,
      HasSubstr("--set server.port: server.port: expected an integer from 0 to 65535, got 99999"));
}

TEST(Cli, PluginsListsStatesAndReasons) {
  TempDir dir;
  auto file =
      dir.write("lore.yaml",
                kernel_yaml(0, "  hello: { enabled: true }\n  needs-missing: { enabled: true }\n"));
  auto [status, output] = run_lore({"plugins", "-c", file.string()});
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, testing::ContainsRegex("hello +1\\.1\\.0 +running"));
  EXPECT_THAT(output,
              testing::ContainsRegex(
                  "needs-missing +1\\.0\\.0 +refused +requires does-not-exist \\^1\\.0\\.0"));
  EXPECT_THAT(output, testing::ContainsRegex("wrong-abi +1\\.0\\.0 +disabled"));
}

TEST(Cli, HooksPrintsTheResolvedOrderWithReasons) {
  TempDir dir;
  auto file =
      dir.write("lore.yaml",
                kernel_yaml(0, "  hello: { enabled: true }\n  greeter-fan: { enabled: true }\n"));
  auto [status, output] = run_lore({"hooks", "-c", file.string(), "hello.greeting"});
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(
      output,
      HasSubstr("hello.greeting  (filter of std::__cxx11::basic_string<char>, declared by hello)"));
  EXPECT_THAT(output, HasSubstr("1. hello  priority 10"));
  EXPECT_THAT(output, HasSubstr("2. greeter-fan  priority 1, registered #"));
  EXPECT_THAT(output, HasSubstr(", after hello"));

  auto [missing_status, missing] = run_lore({"hooks", "-c", file.string(), "no.such.hook"});
  EXPECT_EQ(missing_status, 1);
  EXPECT_THAT(missing, HasSubstr("no hook named 'no.such.hook'"));
}

TEST(Cli, ServeFailsClearlyWhenThePortIsTaken) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const auto port = ntohs(address.sin_port);

  TempDir dir;
  auto file = dir.write("lore.yaml", kernel_yaml(port, "  hello: { enabled: true }\n"));
  auto [status, output] = run_lore({"serve", "-c", file.string()});
  ::close(fd);
  EXPECT_EQ(status, 1) << output;
  EXPECT_THAT(output, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port) +
                                ": Address already in use"));
  EXPECT_THAT(output, HasSubstr("plugin hello stopped"));
}

}  // namespace
}  // namespace lore::test
