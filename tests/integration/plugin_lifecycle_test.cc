// Plugin loading, refusal, isolation, ordering, auto-disable and unloading, with the kernel in
// process and the real plugin libraries (built with AddressSanitizer by `make test`).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "core/clocks.h"
#include "lore/sdk/hooks.h"
#include "support/http_client.h"
#include "support/in_process.h"

namespace lore::test {
namespace {

using sdk::http::Method;
using ::testing::HasSubstr;

constexpr const char* kAllBadPlugins =
    "  hello: { enabled: true }\n"
    "  greeter-fan: { enabled: true }\n"
    "  wrong-abi: { enabled: true }\n"
    "  wrong-fingerprint: { enabled: true }\n"
    "  no-descriptor: { enabled: true }\n"
    "  needs-missing: { enabled: true }\n"
    "  cycle-a: { enabled: true }\n"
    "  cycle-b: { enabled: true }\n"
    "  throws-in-start: { enabled: true }\n"
    "  ghost: { enabled: true }\n";

std::unique_ptr<Kernel> offline_kernel(const std::string& plugins, const std::string& extra = "") {
  auto kernel = std::make_unique<Kernel>(config_from_yaml(kernel_yaml(0, plugins, extra)),
                                         KernelOptions{.serve_http = false});
  kernel->start();
  return kernel;
}

std::string greeting(Kernel& kernel) {
  auto r = kernel.handle(request(Method::get, "/api/v1/hello"));
  if (r.status != 200) return "status " + std::to_string(r.status);
  return nlohmann::json::parse(r.body)["greeting"];
}

TEST(PluginLifecycle, RefusesEachBadPluginWithItsReasonAndKeepsServing) {
  auto kernel = offline_kernel(kAllBadPlugins);
  EXPECT_EQ(state_of(*kernel, "hello"), "running");
  EXPECT_EQ(state_of(*kernel, "greeter-fan"), "running");
  EXPECT_EQ(state_of(*kernel, "wrong-abi"), "refused");
  EXPECT_THAT(reason_of(*kernel, "wrong-abi"),
              HasSubstr("built for SDK ABI 999, kernel speaks ABI 4"));
  EXPECT_EQ(state_of(*kernel, "wrong-fingerprint"), "refused");
  EXPECT_THAT(reason_of(*kernel, "wrong-fingerprint"), HasSubstr("build fingerprint mismatch"));
  EXPECT_EQ(state_of(*kernel, "no-descriptor"), "refused");
  EXPECT_THAT(reason_of(*kernel, "no-descriptor"),
              HasSubstr("does not export lore_plugin_descriptor"));
  EXPECT_EQ(state_of(*kernel, "needs-missing"), "refused");
  EXPECT_EQ(reason_of(*kernel, "needs-missing"),
            "requires does-not-exist ^1.0.0, which is not installed or not enabled");
  EXPECT_EQ(state_of(*kernel, "cycle-a"), "refused");
  EXPECT_EQ(state_of(*kernel, "cycle-b"), "refused");
  EXPECT_THAT(reason_of(*kernel, "cycle-a"), HasSubstr("dependency cycle: "));
  EXPECT_THAT(reason_of(*kernel, "cycle-b"), HasSubstr("dependency cycle: "));
  EXPECT_EQ(state_of(*kernel, "throws-in-start"), "failed");
  EXPECT_EQ(reason_of(*kernel, "throws-in-start"),
            "start failed: start threw: boom: cannot reach the flux capacitor");
  EXPECT_EQ(state_of(*kernel, "ghost"), "refused");
  EXPECT_THAT(reason_of(*kernel, "ghost"), HasSubstr("no plugin named 'ghost' on plugin_paths"));

  // What the failed plugin registered before throwing is gone.
  EXPECT_EQ(kernel->handle(request(Method::get, "/api/v1/throws-in-start")).status, 404);
  for (const auto& hook : kernel->hooks().describe())
    for (const auto& listener : hook.listeners) EXPECT_NE(listener.owner, "throws-in-start");

  EXPECT_EQ(kernel->handle(request(Method::get, "/healthz")).status, 200);
  EXPECT_EQ(greeting(*kernel), "Hello, world! (fan)");
}

TEST(PluginLifecycle, StartsDependenciesFirstAndOrdersListenersByName) {
  auto kernel = offline_kernel("  greeter-fan: { enabled: true }\n  hello: { enabled: true }\n");
  EXPECT_EQ(kernel->plugins().running(), (std::vector<std::string>{"hello", "greeter-fan"}));
  // greeter-fan has priority 1 but declares after: [hello], so hello's "!" comes first.
  EXPECT_EQ(greeting(*kernel), "Hello, world! (fan)");
  for (const auto& hook : kernel->hooks().describe()) {
    if (hook.name != "hello.greeting") continue;
    ASSERT_EQ(hook.listeners.size(), 2u);
    EXPECT_EQ(hook.listeners[0].owner, "hello");
    EXPECT_EQ(hook.listeners[1].owner, "greeter-fan");
  }
}

TEST(PluginLifecycle, ThrowingListenerIsIsolatedAndTheFilterKeepsTheLastGoodValue) {
  auto kernel = offline_kernel("  hello: { enabled: true }\n  flaky: { enabled: true }\n",
                               "plugin_policy: { failure_threshold: 1000 }\n");
  ASSERT_EQ(state_of(*kernel, "flaky"), "running");
  EXPECT_EQ(greeting(*kernel), "Hello, world!");
  EXPECT_EQ(greeting(*kernel), "Hello, world!");
  std::uint64_t flaky_failures = 0;
  for (const auto& p : kernel->plugins().status())
    if (p.name == "flaky") flaky_failures = p.failures;
  EXPECT_EQ(flaky_failures, 2u);
  EXPECT_EQ(state_of(*kernel, "flaky"), "running");
}

TEST(PluginLifecycle, ThrowingActionListenerDoesNotStopTheOthers) {
  auto kernel = offline_kernel("  flaky: { enabled: true }\n",
                               "plugin_policy: { failure_threshold: 1000 }\n");
  std::vector<std::string> seen;
  kernel->hooks().on(sdk::Action<std::string>{"flaky.poked"},
                     [&](const std::string& who) { seen.push_back(who); }, {.priority = 50});
  auto r = kernel->handle(request(Method::get, "/api/v1/flaky/poke", {{"who", "ada"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(seen, std::vector<std::string>{"ada"});
  for (const auto& hook : kernel->hooks().describe())
    if (hook.name == "flaky.poked") {
      EXPECT_EQ(hook.errors, 1u);
    }
}

TEST(PluginLifecycle, RepeatedFailuresDisableThePluginAutomatically) {
  auto kernel =
      offline_kernel("  flaky: { enabled: true }\n",
                     "plugin_policy: { failure_threshold: 3, failure_window_ms: 60000 }\n");
  ASSERT_EQ(state_of(*kernel, "flaky"), "running");
  // Client errors thrown on purpose are not failures of the plugin.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(kernel->handle(request(Method::get, "/api/v1/flaky/teapot")).status, 418);
  EXPECT_EQ(state_of(*kernel, "flaky"), "running");

  for (int i = 0; i < 3; ++i) {
    auto r = kernel->handle(request(Method::get, "/api/v1/flaky/boom"));
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body.find("flaky route failed"), std::string::npos) << "exception text leaked";
  }
  for (int i = 0; i < 200 && state_of(*kernel, "flaky") == "running"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(state_of(*kernel, "flaky"), "auto-disabled");
  EXPECT_THAT(reason_of(*kernel, "flaky"), HasSubstr("disabled automatically after 3 failures"));
  EXPECT_THAT(reason_of(*kernel, "flaky"), HasSubstr("flaky route failed"));
  EXPECT_EQ(kernel->handle(request(Method::get, "/api/v1/flaky/boom")).status, 404);
  EXPECT_EQ(kernel->handle(request(Method::get, "/healthz")).status, 200);
}

TEST(PluginLifecycle, FailuresOutsideTheWindowDoNotAddUp) {
  ManualClock clock;
  Kernel kernel(config_from_yaml(kernel_yaml(
                    0, "  flaky: { enabled: true }\n",
                    "plugin_policy: { failure_threshold: 3, failure_window_ms: 60000 }\n")),
                KernelOptions{.serve_http = false, .clock = &clock});
  kernel.start();
  auto boom = [&] { return kernel.handle(request(Method::get, "/api/v1/flaky/boom")).status; };
  EXPECT_EQ(boom(), 500);
  EXPECT_EQ(boom(), 500);
  clock.advance(std::chrono::seconds(61));
  EXPECT_EQ(boom(), 500);
  EXPECT_EQ(boom(), 500);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(state_of(kernel, "flaky"), "running") << "2 + 2 failures in separate windows";
  EXPECT_EQ(boom(), 500);  // the third within the current window
  for (int i = 0; i < 200 && state_of(kernel, "flaky") == "running"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(state_of(kernel, "flaky"), "auto-disabled");
  kernel.stop();
}

TEST(PluginLifecycle, ReloadDisablesUnloadsReenablesAndAppliesNewSettings) {
  const std::string library = plugin_library(LORE_PLUGIN_DIR, "hello");
  auto kernel = offline_kernel("  hello: { enabled: true }\n");
  EXPECT_EQ(greeting(*kernel), "Hello, world!");
  EXPECT_TRUE(library_loaded(library));

  kernel->reload(config_from_yaml(kernel_yaml(0, "  hello: { enabled: false }\n")));
  EXPECT_EQ(state_of(*kernel, "hello"), "disabled");
  EXPECT_EQ(kernel->handle(request(Method::get, "/api/v1/hello")).status, 404);
  EXPECT_FALSE(library_loaded(library)) << "the library must be unloaded once nothing uses it";
  for (const auto& hook : kernel->hooks().describe())
    for (const auto& listener : hook.listeners) EXPECT_NE(listener.owner, "hello");

  kernel->reload(config_from_yaml(kernel_yaml(
      0, "  hello: { enabled: true, settings: { greeting: Bonjour, punctuation: '?' } }\n")));
  EXPECT_EQ(state_of(*kernel, "hello"), "running");
  EXPECT_EQ(greeting(*kernel), "Bonjour, world?");

  kernel->reload(
      config_from_yaml(kernel_yaml(0, "  hello: { enabled: true, settings: { greeting: Hi } }\n")));
  EXPECT_EQ(greeting(*kernel), "Hi, world!");
}

TEST(PluginLifecycle, InvalidSettingsRefuseThePluginWithTheLocation) {
  auto kernel =
      offline_kernel("  hello: { enabled: true, settings: { greting: Hi, punctuation: ';' } }\n");
  EXPECT_EQ(state_of(*kernel, "hello"), "refused");
  const auto reason = reason_of(*kernel, "hello");
  EXPECT_THAT(reason, HasSubstr("test.yaml:"));
  EXPECT_THAT(reason, HasSubstr("plugins.hello.settings.greting: unknown setting of plugin hello; "
                                "expected one of: greeting, punctuation"));
  EXPECT_THAT(reason,
              HasSubstr("plugins.hello.settings.punctuation: expected one of: !, ., ?; got ';'"));
}

TEST(PluginLifecycle, DisablingADependencyStopsItsDependentsAndReenablingRestoresBoth) {
  auto kernel = offline_kernel("  hello: { enabled: true }\n  greeter-fan: { enabled: true }\n");
  ASSERT_EQ(state_of(*kernel, "greeter-fan"), "running");
  kernel->reload(config_from_yaml(
      kernel_yaml(0, "  hello: { enabled: false }\n  greeter-fan: { enabled: true }\n")));
  EXPECT_EQ(state_of(*kernel, "greeter-fan"), "refused");
  EXPECT_EQ(reason_of(*kernel, "greeter-fan"),
            "requires hello ^1.0.0, which is not installed or not enabled");
  kernel->reload(config_from_yaml(
      kernel_yaml(0, "  hello: { enabled: true }\n  greeter-fan: { enabled: true }\n")));
  EXPECT_EQ(state_of(*kernel, "greeter-fan"), "running");
  EXPECT_EQ(greeting(*kernel), "Hello, world! (fan)");
}

TEST(PluginLifecycle, InFlightRequestFinishesBeforeThePluginIsUnloaded) {
  const std::string library = plugin_library(LORE_TEST_PLUGIN_DIR, "flaky");
  const auto port = free_port();
  Kernel kernel(config_from_yaml(
      kernel_yaml(port, "  flaky: { enabled: true, settings: { delay_ms: 700 } }\n")));
  kernel.start();
  ASSERT_EQ(state_of(kernel, "flaky"), "running");

  HttpResult slow;
  std::thread client(
      [&] { slow = get("http://127.0.0.1:" + std::to_string(port) + "/api/v1/flaky/slow"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the request is now running
  kernel.reload(config_from_yaml(kernel_yaml(port, "  flaky: { enabled: false }\n")));
  client.join();

  EXPECT_EQ(slow.status, 200) << slow.error << slow.body;
  EXPECT_EQ(slow.body, R"({"slept_ms":700})");
  EXPECT_EQ(get("http://127.0.0.1:" + std::to_string(port) + "/api/v1/flaky/slow").status, 404);
  for (int i = 0; i < 100 && library_loaded(library); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(library_loaded(library));
  kernel.stop();
}

TEST(PluginLifecycle, AFailingReadinessCheckAnswers503WithTheChecks) {
  auto kernel = offline_kernel("");
  EXPECT_EQ(kernel->handle(request(Method::get, "/readyz")).status, 200);
  kernel->hooks().on(sdk::hooks::readiness, [](const sdk::ReadinessReport& report) {
    auto next = report;
    next.push_back({"search-index", false, "connection refused"});
    return next;
  });
  auto r = kernel->handle(request(Method::get, "/readyz"));
  EXPECT_EQ(r.status, 503);
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "not_ready");
  // The kernel's own checks first: itself and the database (which answers).
  EXPECT_EQ(body["error"]["details"]["checks"][1]["name"], "database");
  EXPECT_EQ(body["error"]["details"]["checks"][1]["ok"], true);
  EXPECT_EQ(body["error"]["details"]["checks"][2]["name"], "search-index");
  EXPECT_EQ(body["error"]["details"]["checks"][2]["detail"], "connection refused");
}

TEST(PluginLifecycle, LifecycleHooksFireForPluginsStartedAndStopped) {
  Kernel kernel(config_from_yaml(kernel_yaml(0, "  hello: { enabled: true }\n")),
                KernelOptions{.serve_http = false});
  std::vector<std::string> events;
  std::mutex mutex;
  kernel.hooks().on(sdk::hooks::plugin_started, [&](const sdk::PluginLifecycleEvent& e) {
    std::lock_guard lock(mutex);
    events.push_back("started " + e.name + " " + e.version);
  });
  kernel.hooks().on(sdk::hooks::plugin_stopped, [&](const sdk::PluginLifecycleEvent& e) {
    std::lock_guard lock(mutex);
    events.push_back("stopped " + e.name);
  });
  kernel.start();
  kernel.reload(config_from_yaml(kernel_yaml(0, "  hello: { enabled: false }\n")));
  kernel.stop();
  EXPECT_EQ(events, (std::vector<std::string>{"started hello 1.1.0", "stopped hello"}));
}

}  // namespace
}  // namespace lore::test
