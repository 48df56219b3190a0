#include "hooks/hook_bus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lore/sdk/hooks.h"

// Hook payloads must live in a named namespace (the bus refuses anonymous-namespace types).
namespace lore::hook_bus_test {
struct Greeting {
  std::string text;
};
struct Other {
  int n = 0;
};
}  // namespace lore::hook_bus_test

namespace lore {
namespace {

using hook_bus_test::Greeting;
using hook_bus_test::Other;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr sdk::Action<Greeting> kGreet{"test.greet", "A greeting happened."};
constexpr sdk::Filter<int> kNumber{"test.number"};
constexpr sdk::Filter<std::string> kText{"test.text"};

// What a plugin sees: the typed SDK API, with every registration stamped with its owner.
class OwnerView final : public sdk::HookBus {
 public:
  OwnerView(lore::HookBus& bus, std::string name) : bus_(bus), owner_{std::move(name), nullptr} {}
  sdk::Status declare_erased(std::string_view name, sdk::HookKind kind,
                             std::string_view payload_type, std::string_view description) override {
    return bus_.declare_as(owner_, name, kind, payload_type, description);
  }
  sdk::SubscriptionId subscribe_erased(std::string_view name, sdk::HookKind kind,
                                       std::string_view payload_type, sdk::ErasedListener listener,
                                       sdk::ListenerOptions options, std::string& error) override {
    return bus_.subscribe_as(owner_, name, kind, payload_type, std::move(listener),
                             std::move(options), error);
  }
  void unsubscribe(sdk::SubscriptionId id) override { bus_.unsubscribe(id); }
  sdk::HookSlot* resolve_erased(std::string_view name, sdk::HookKind kind,
                                std::string_view payload_type, std::string& error) override {
    return bus_.resolve_erased(name, kind, payload_type, error);
  }
  void dispatch(sdk::HookSlot* slot, void* payload) noexcept override {
    bus_.dispatch(slot, payload);
  }

 private:
  lore::HookBus& bus_;
  Owner owner_;
};

// Collects what the bus reports to its failure sink.
struct FailureLog {
  std::mutex mutex;
  std::vector<ListenerFailure> failures;

  void attach(HookBus& bus) {
    bus.set_failure_sink([this](const ListenerFailure& f) {
      std::lock_guard lock(mutex);
      failures.push_back(f);
    });
  }
  std::vector<ListenerFailure> take() {
    std::lock_guard lock(mutex);
    return failures;
  }
};

const HookBus::HookView* FindHook(const std::vector<HookBus::HookView>& views,
                                  const std::string& name) {
  for (const auto& v : views)
    if (v.name == name) return &v;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Order

TEST(HookBus, ActionListenersRunByPriorityThenRegistration) {
  HookBus bus;
  std::vector<std::string> calls;
  bus.on(kGreet, [&](const Greeting&) { calls.push_back("p10-first"); });
  bus.on(kGreet, [&](const Greeting&) { calls.push_back("p20"); }, {.priority = 20});
  bus.on(kGreet, [&](const Greeting&) { calls.push_back("p10-second"); });
  bus.on(kGreet, [&](const Greeting&) { calls.push_back("p-5"); }, {.priority = -5});
  bus.on(kGreet, [&](const Greeting& g) { calls.push_back("payload:" + g.text); },
         {.priority = 99});
  bus.fire(kGreet, Greeting{"hi"});
  EXPECT_THAT(calls, ElementsAre("p-5", "p10-first", "p10-second", "p20", "payload:hi"));
}

TEST(HookBus, BeforeAndAfterBetweenOwnersOverridePriority) {
  HookBus bus;
  OwnerView alpha(bus, "alpha"), beta(bus, "beta"), gamma(bus, "gamma");
  std::vector<std::string> calls;
  alpha.on(kGreet, [&](const Greeting&) { calls.push_back("alpha"); }, {.priority = 1});
  beta.on(kGreet, [&](const Greeting&) { calls.push_back("beta"); },
          {.priority = 50, .before = {"alpha"}});
  gamma.on(kGreet, [&](const Greeting&) { calls.push_back("gamma"); },
           {.priority = 0, .after = {"alpha"}});
  bus.on(kGreet, [&](const Greeting&) { calls.push_back("kernel"); }, {.priority = 5});
  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("kernel", "beta", "alpha", "gamma"));

  const auto views = bus.describe();
  const auto* hook = FindHook(views, "test.greet");
  ASSERT_NE(hook, nullptr);
  std::vector<std::string> owners;
  for (const auto& l : hook->listeners) owners.push_back(l.owner);
  EXPECT_THAT(owners, ElementsAre("kernel", "beta", "alpha", "gamma"));
  EXPECT_THAT(hook->warnings, IsEmpty());
}

TEST(HookBus, ConstraintCycleIsReportedInDescribe) {
  HookBus bus;
  OwnerView a(bus, "a"), b(bus, "b");
  std::vector<std::string> calls;
  a.on(kGreet, [&](const Greeting&) { calls.push_back("a"); }, {.priority = 2, .before = {"b"}});
  b.on(kGreet, [&](const Greeting&) { calls.push_back("b"); }, {.priority = 1, .before = {"a"}});
  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("b", "a"));  // by priority
  const auto views = bus.describe();
  const auto* hook = FindHook(views, "test.greet");
  ASSERT_NE(hook, nullptr);
  ASSERT_THAT(hook->warnings, SizeIs(1));
  EXPECT_THAT(hook->warnings[0], HasSubstr("cycle among [a, b]"));
}

TEST(HookBus, LabelsDefaultToTheOwner) {
  HookBus bus;
  OwnerView a(bus, "a");
  a.on(kGreet, [](const Greeting&) {});
  a.on(kGreet, [](const Greeting&) {}, {.label = "a.audit"});
  const auto views = bus.describe();
  const auto* hook = FindHook(views, "test.greet");
  ASSERT_NE(hook, nullptr);
  ASSERT_THAT(hook->listeners, SizeIs(2));
  EXPECT_EQ(hook->listeners[0].label, "a");
  EXPECT_EQ(hook->listeners[1].label, "a.audit");
  EXPECT_EQ(hook->kind, sdk::HookKind::action);
  EXPECT_EQ(hook->payload_type, sdk::type_name<Greeting>());
}

// ---------------------------------------------------------------------------------------------
// Filters and refs

TEST(HookBus, FilterChainsValuesInOrder) {
  HookBus bus;
  bus.on(kNumber, [](const int& v) { return v * 10; }, {.priority = 20});
  bus.on(kNumber, [](const int& v) { return v + 1; });
  EXPECT_EQ(bus.apply(kNumber, 4), 50);  // (4 + 1) * 10
  bus.on(kText, [](const std::string& s) { return s + "!"; });
  EXPECT_EQ(bus.apply(kText, std::string("hi")), "hi!");
}

TEST(HookBus, HooksWithoutListenersPassThroughAndCountDispatches) {
  HookBus bus;
  EXPECT_EQ(bus.apply(kNumber, 7), 7);
  bus.fire(kGreet, Greeting{"x"});
  bus.fire(kGreet, Greeting{"y"});
  const auto views = bus.describe();
  ASSERT_NE(FindHook(views, "test.number"), nullptr);
  EXPECT_EQ(FindHook(views, "test.number")->dispatches, 1u);
  EXPECT_EQ(FindHook(views, "test.greet")->dispatches, 2u);
  EXPECT_EQ(FindHook(views, "test.greet")->declared_by, "");
}

TEST(HookBus, ActionRefAndFilterRefDispatchThroughTheResolvedSlot) {
  HookBus bus;
  sdk::ActionRef<Greeting> greet(bus, kGreet);
  sdk::FilterRef<int> number(bus, kNumber);
  // Listeners registered after the refs were made are seen by them.
  std::vector<std::string> seen;
  bus.on(kGreet, [&](const Greeting& g) { seen.push_back(g.text); });
  bus.on(kNumber, [](const int& v) { return v * 2; });
  greet.fire(Greeting{"one"});
  greet.fire(Greeting{"two"});
  EXPECT_THAT(seen, ElementsAre("one", "two"));
  EXPECT_EQ(number.apply(21), 42);
  EXPECT_EQ(FindHook(bus.describe(), "test.greet")->dispatches, 2u);
}

TEST(HookBus, KernelHooksAreUsable) {
  HookBus bus;
  ASSERT_TRUE(bus.declare(sdk::hooks::readiness));
  bus.on(sdk::hooks::readiness, [](const sdk::ReadinessReport& r) {
    auto out = r;
    out.push_back({"db", false, "down"});
    return out;
  });
  const auto report = bus.apply(sdk::hooks::readiness, sdk::ReadinessReport{});
  ASSERT_THAT(report, SizeIs(1));
  EXPECT_EQ(report[0].name, "db");
  EXPECT_FALSE(report[0].ok);
  EXPECT_EQ(FindHook(bus.describe(), "health.readiness")->declared_by, "kernel");
}

// ---------------------------------------------------------------------------------------------
// Failures

TEST(HookBus, ThrowingActionListenerIsReportedAndOthersStillRun) {
  HookBus bus;
  FailureLog log;
  log.attach(bus);
  OwnerView good(bus, "good"), bad(bus, "bad"), worse(bus, "worse");
  std::vector<std::string> calls;
  good.on(kGreet, [&](const Greeting&) { calls.push_back("first"); }, {.priority = 1});
  bad.on(kGreet, [&](const Greeting&) -> void { throw std::runtime_error("database is gone"); },
         {.priority = 2, .label = "bad.listener"});
  worse.on(kGreet, [&](const Greeting&) -> void { throw 42; }, {.priority = 3});
  good.on(kGreet, [&](const Greeting&) { calls.push_back("last"); }, {.priority = 4});

  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("first", "last"));
  const auto failures = log.take();
  ASSERT_THAT(failures, SizeIs(2));
  EXPECT_EQ(failures[0].hook, "test.greet");
  EXPECT_EQ(failures[0].owner, "bad");
  EXPECT_EQ(failures[0].label, "bad.listener");
  EXPECT_EQ(failures[0].error, "database is gone");
  EXPECT_EQ(failures[1].owner, "worse");
  EXPECT_EQ(failures[1].label, "worse");
  EXPECT_EQ(failures[1].error, "unknown exception");

  bus.fire(kGreet, Greeting{});
  const auto views = bus.describe();
  const auto* hook = FindHook(views, "test.greet");
  ASSERT_NE(hook, nullptr);
  EXPECT_EQ(hook->errors, 4u);
  ASSERT_THAT(hook->listeners, SizeIs(4));
  EXPECT_EQ(hook->listeners[0].errors, 0u);
  EXPECT_EQ(hook->listeners[1].errors, 2u);
  EXPECT_EQ(hook->listeners[2].errors, 2u);
  EXPECT_EQ(hook->listeners[3].errors, 0u);
}

TEST(HookBus, ThrowingFilterKeepsTheLastGoodValue) {
  HookBus bus;
  FailureLog log;
  log.attach(bus);
  OwnerView plugin(bus, "flaky");
  bus.on(kNumber, [](const int& v) { return v + 1; }, {.priority = 1});
  plugin.on(kNumber,
            [](const int& v) -> int { throw std::invalid_argument("bad " + std::to_string(v)); },
            {.priority = 2});
  bus.on(kNumber, [](const int& v) { return v * 10; }, {.priority = 3});
  EXPECT_EQ(bus.apply(kNumber, 1), 20);  // (1 + 1), the throw is skipped, then * 10
  const auto failures = log.take();
  ASSERT_THAT(failures, SizeIs(1));
  EXPECT_EQ(failures[0].hook, "test.number");
  EXPECT_EQ(failures[0].owner, "flaky");
  EXPECT_EQ(failures[0].error, "bad 2");
}

TEST(HookBus, ThrowingFilterOnMovableValueDoesNotLoseIt) {
  HookBus bus;
  bus.set_failure_sink([](const ListenerFailure&) {});
  bus.on(kText, [](const std::string& s) { return s + "-a"; }, {.priority = 1});
  bus.on(kText, [](const std::string&) -> std::string { throw std::runtime_error("x"); },
         {.priority = 2});
  bus.on(kText, [](const std::string& s) { return s + "-c"; }, {.priority = 3});
  EXPECT_EQ(bus.apply(kText, std::string("start")), "start-a-c");
}

TEST(HookBus, FailureWithoutSinkOrWithThrowingSinkDoesNotStopDispatch) {
  HookBus bus;
  int after = 0;
  bus.on(kGreet, [](const Greeting&) -> void { throw std::runtime_error("x"); }, {.priority = 1});
  bus.on(kGreet, [&](const Greeting&) { ++after; }, {.priority = 2});
  bus.fire(kGreet, Greeting{});  // no sink set
  bus.set_failure_sink([](const ListenerFailure&) { throw std::runtime_error("sink broke"); });
  bus.fire(kGreet, Greeting{});
  bus.set_failure_sink(nullptr);
  bus.fire(kGreet, Greeting{});
  EXPECT_EQ(after, 3);
  EXPECT_EQ(FindHook(bus.describe(), "test.greet")->errors, 3u);
}

// ---------------------------------------------------------------------------------------------
// Type and declaration checks

TEST(HookBus, PayloadTypeMismatchIsRefused) {
  HookBus bus;
  bus.on(kGreet, [](const Greeting&) {});
  const sdk::Action<Other> same_name{"test.greet"};
  try {
    bus.on(same_name, [](const Other&) {});
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "hook 'test.greet' carries " +
                                         std::string(sdk::type_name<Greeting>()) + ", not " +
                                         std::string(sdk::type_name<Other>()));
  }
  // Firing or resolving with the wrong type is refused too, and nothing ran.
  EXPECT_THROW(bus.fire(same_name, Other{}), std::invalid_argument);
  EXPECT_THROW(
      {
        sdk::ActionRef<Other> ref(bus, same_name);
        ref.fire(Other{});
      },
      std::invalid_argument);
  const auto declared = bus.declare(same_name);
  EXPECT_FALSE(declared);
  EXPECT_THAT(declared.message(), StartsWith("hook 'test.greet' carries "));
  EXPECT_THAT(FindHook(bus.describe(), "test.greet")->listeners, SizeIs(1));
}

TEST(HookBus, KindMismatchIsRefused) {
  HookBus bus;
  bus.on(kNumber, [](const int& v) { return v; });
  const sdk::Action<int> as_action{"test.number"};
  try {
    bus.on(as_action, [](const int&) {});
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "hook 'test.number' is filter, not action");
  }
  const sdk::Filter<Greeting> as_filter{"test.greet"};
  bus.fire(kGreet, Greeting{});
  EXPECT_THROW(bus.apply(as_filter, Greeting{}), std::invalid_argument);
  try {
    bus.on(as_filter, [](const Greeting& g) { return g; });
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "hook 'test.greet' is action, not filter");
  }
}

TEST(HookBus, ErasedSubscriptionRefusalsReturnZeroWithAMessage) {
  HookBus bus;
  std::string error;
  EXPECT_EQ(bus.subscribe_as(
                Owner{"p", nullptr}, "", sdk::HookKind::action, "int",
                [](void*, std::string&) { return true; }, {}, error),
            0u);
  EXPECT_EQ(error, "hook name must not be empty");
  error.clear();
  EXPECT_EQ(
      bus.subscribe_as(Owner{"p", nullptr}, "h", sdk::HookKind::action, "int", nullptr, {}, error),
      0u);
  EXPECT_EQ(error, "listener for hook 'h' is empty");
  error.clear();
  EXPECT_NE(bus.subscribe_as(
                Owner{"p", nullptr}, "h", sdk::HookKind::action, "int",
                [](void*, std::string&) { return true; }, {}, error),
            0u);
  EXPECT_EQ(error, "");
  EXPECT_EQ(bus.subscribe_as(
                Owner{"q", nullptr}, "h", sdk::HookKind::action, "long",
                [](void*, std::string&) { return true; }, {}, error),
            0u);
  EXPECT_EQ(error, "hook 'h' carries int, not long");
}

TEST(HookBus, DeclaringTwiceByDifferentOwnersIsRefused) {
  HookBus bus;
  OwnerView a(bus, "a"), b(bus, "b");
  ASSERT_TRUE(a.declare(kGreet));
  EXPECT_TRUE(a.declare(kGreet));  // the same owner again is fine
  const auto second = b.declare(kGreet);
  EXPECT_FALSE(second);
  EXPECT_EQ(second.message(), "hook 'test.greet' is already declared by a");
  const auto by_kernel = bus.declare(kGreet);
  EXPECT_FALSE(by_kernel);
  EXPECT_EQ(by_kernel.message(), "hook 'test.greet' is already declared by a");

  const auto views = bus.describe();
  const auto* hook = FindHook(views, "test.greet");
  ASSERT_NE(hook, nullptr);
  EXPECT_EQ(hook->declared_by, "a");
  EXPECT_EQ(hook->description, "A greeting happened.");

  // When a goes away, b may declare the hook.
  bus.unsubscribe_owner("a");
  EXPECT_TRUE(b.declare(kGreet));
  EXPECT_EQ(FindHook(bus.describe(), "test.greet")->declared_by, "b");
}

TEST(HookBus, SubscribingBeforeTheDeclarationIsAllowed) {
  HookBus bus;
  OwnerView early(bus, "early"), owner(bus, "owner");
  int calls = 0;
  early.on(kGreet, [&](const Greeting&) { ++calls; });
  EXPECT_TRUE(owner.declare(kGreet));
  owner.fire(kGreet, Greeting{});
  EXPECT_EQ(calls, 1);
}

// ---------------------------------------------------------------------------------------------
// Unsubscribing

TEST(HookBus, UnsubscribeRemovesOneListener) {
  HookBus bus;
  std::vector<std::string> calls;
  const auto a = bus.on(kGreet, [&](const Greeting&) { calls.push_back("a"); });
  const auto b = bus.on(kGreet, [&](const Greeting&) { calls.push_back("b"); });
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  bus.unsubscribe(a);
  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("b"));
  bus.unsubscribe(a);       // twice: nothing happens
  bus.unsubscribe(987654);  // unknown: nothing happens
  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("b", "b"));
}

TEST(HookBus, UnsubscribeOwnerRemovesEverythingOfThatOwnerOnly) {
  HookBus bus;
  OwnerView a(bus, "a"), b(bus, "b");
  std::vector<std::string> calls;
  a.on(kGreet, [&](const Greeting&) { calls.push_back("a1"); });
  a.on(kGreet, [&](const Greeting&) { calls.push_back("a2"); });
  a.on(kNumber, [&](const int& v) {
    calls.push_back("a-filter");
    return v + 1;
  });
  b.on(kGreet, [&](const Greeting&) { calls.push_back("b"); });
  EXPECT_EQ(bus.unsubscribe_owner("a"), 3u);
  EXPECT_EQ(bus.unsubscribe_owner("a"), 0u);
  EXPECT_EQ(bus.unsubscribe_owner("nobody"), 0u);
  bus.fire(kGreet, Greeting{});
  EXPECT_EQ(bus.apply(kNumber, 1), 1);
  EXPECT_THAT(calls, ElementsAre("b"));
}

// ---------------------------------------------------------------------------------------------
// Re-entrancy

TEST(HookBus, ListenerSubscribingDuringDispatchTakesEffectNextTime) {
  HookBus bus;
  std::vector<std::string> calls;
  bool added = false;
  bus.on(kGreet, [&](const Greeting&) {
    calls.push_back("adder");
    if (!added) {
      added = true;
      bus.on(kGreet, [&](const Greeting&) { calls.push_back("new"); }, {.priority = 0});
      bus.on(kGreet, [&](const Greeting&) { calls.push_back("new-late"); }, {.priority = 99});
    }
  });
  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("adder"));  // the running dispatch keeps its snapshot
  calls.clear();
  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("new", "adder", "new-late"));
}

TEST(HookBus, ListenerUnsubscribingDuringDispatchTakesEffectNextTime) {
  HookBus bus;
  std::vector<std::string> calls;
  sdk::SubscriptionId victim = 0, self = 0;
  bus.on(kGreet,
         [&](const Greeting&) {
           calls.push_back("remover");
           bus.unsubscribe(victim);
         },
         {.priority = 1});
  self = bus.on(kGreet,
                [&](const Greeting&) {
                  calls.push_back("once");
                  bus.unsubscribe(self);
                },
                {.priority = 2});
  victim = bus.on(kGreet, [&](const Greeting&) { calls.push_back("victim"); }, {.priority = 3});
  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("remover", "once", "victim"));
  calls.clear();
  bus.fire(kGreet, Greeting{});
  EXPECT_THAT(calls, ElementsAre("remover"));
}

TEST(HookBus, ListenerMayUnsubscribeItsWholeOwnerDuringDispatch) {
  HookBus bus;
  OwnerView plugin(bus, "plugin");
  int first = 0, second = 0;
  plugin.on(kGreet, [&](const Greeting&) {
    ++first;
    bus.unsubscribe_owner("plugin");
  });
  plugin.on(kGreet, [&](const Greeting&) { ++second; });
  bus.fire(kGreet, Greeting{});
  bus.fire(kGreet, Greeting{});
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  EXPECT_THAT(FindHook(bus.describe(), "test.greet")->listeners, IsEmpty());
}

TEST(HookBus, BoundedRecursionWorks) {
  HookBus bus;
  FailureLog log;
  log.attach(bus);
  std::vector<int> depths;
  bus.on(kNumber, [&](const int& depth) {
    depths.push_back(depth);
    if (depth < 5) return bus.apply(kNumber, depth + 1);
    return depth * 100;
  });
  EXPECT_EQ(bus.apply(kNumber, 1), 500);
  EXPECT_THAT(depths, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(log.take(), IsEmpty());
  EXPECT_EQ(FindHook(bus.describe(), "test.number")->dispatches, 5u);
}

TEST(HookBus, UnboundedRecursionIsCutAtTheNestingLimit) {
  HookBus bus(HookBus::Options{.timing_sample_every = 1, .max_nesting = 8});
  FailureLog log;
  log.attach(bus);
  int calls = 0;
  bus.on(kGreet, [&](const Greeting& g) {
    ++calls;
    bus.fire(kGreet, g);  // forever
  });
  bus.fire(kGreet, Greeting{});
  EXPECT_EQ(calls, 8);
  const auto failures = log.take();
  ASSERT_THAT(failures, SizeIs(1));
  EXPECT_EQ(failures[0].hook, "test.greet");
  EXPECT_THAT(failures[0].error, HasSubstr("hook nesting deeper than 8"));

  // The depth is restored: a new top-level dispatch runs normally.
  calls = 0;
  bus.fire(kGreet, Greeting{});
  EXPECT_EQ(calls, 8);
}

TEST(HookBus, DefaultNestingLimitStopsMutualRecursion) {
  HookBus bus;
  FailureLog log;
  log.attach(bus);
  const sdk::Action<int> ping{"test.ping"}, pong{"test.pong"};
  int calls = 0;
  bus.on(ping, [&](const int& n) {
    ++calls;
    bus.fire(pong, n + 1);
  });
  bus.on(pong, [&](const int& n) {
    ++calls;
    bus.fire(ping, n + 1);
  });
  bus.fire(ping, 0);
  EXPECT_EQ(calls, 32);
  const auto failures = log.take();
  ASSERT_THAT(failures, SizeIs(1));
  EXPECT_THAT(failures[0].error, HasSubstr("deeper than 32"));
}

// ---------------------------------------------------------------------------------------------
// Concurrency

TEST(HookBus, ConcurrentDispatchWhileListenersChange) {
  HookBus bus;
  FailureLog log;
  log.attach(bus);
  std::atomic<std::uint64_t> stable_a{0}, stable_b{0}, transient{0}, failing{0};
  OwnerView a(bus, "a"), b(bus, "b"), churn(bus, "churn");
  a.on(kGreet, [&](const Greeting&) { stable_a.fetch_add(1, std::memory_order_relaxed); });
  b.on(kGreet, [&](const Greeting&) { stable_b.fetch_add(1, std::memory_order_relaxed); },
       {.after = {"churn"}});
  a.on(kNumber, [](const int& v) { return v + 1; });

  constexpr int kThreads = 4;
  constexpr int kDispatches = 20000;
  std::atomic<int> finished{0};
  std::atomic<std::uint64_t> wrong_filter_results{0};
  std::vector<std::thread> dispatchers;
  for (int t = 0; t < kThreads; ++t) {
    dispatchers.emplace_back([&, t] {
      sdk::ActionRef<Greeting> greet(bus, kGreet);
      for (int i = 0; i < kDispatches; ++i) {
        if ((i & 1) == 0)
          greet.fire(Greeting{"t" + std::to_string(t)});
        else
          bus.fire(kGreet, Greeting{});
        // The filter's only listener is never removed: the value must always be transformed.
        if (i % 64 == 0 && bus.apply(kNumber, i) != i + 1) wrong_filter_results.fetch_add(1);
      }
      finished.fetch_add(1);
    });
  }
  std::thread churner([&] {
    std::uint64_t rounds = 0;
    while (finished.load() < kThreads) {
      const auto id = churn.on(
          kGreet, [&](const Greeting&) { transient.fetch_add(1, std::memory_order_relaxed); },
          {.priority = static_cast<int>(rounds % 20), .before = {"a"}});
      churn.on(kGreet, [&](const Greeting&) -> void {
        failing.fetch_add(1, std::memory_order_relaxed);
        throw std::runtime_error("churn failure");
      });
      if (rounds % 2 == 0) {
        bus.unsubscribe(id);
        bus.unsubscribe_owner("churn");
      } else {
        EXPECT_EQ(bus.unsubscribe_owner("churn"), 2u);
      }
      if (rounds % 50 == 0) {
        std::string metrics;
        bus.render_metrics(metrics);
        EXPECT_THAT(metrics, HasSubstr("lore_hook_dispatches_total{hook=\"test.greet\"}"));
      }
      ++rounds;
    }
  });
  for (auto& t : dispatchers) t.join();
  churner.join();

  constexpr std::uint64_t kTotal = std::uint64_t{kThreads} * kDispatches;
  EXPECT_EQ(stable_a.load(), kTotal);
  EXPECT_EQ(stable_b.load(), kTotal);
  EXPECT_LE(transient.load(), kTotal);
  EXPECT_EQ(wrong_filter_results.load(), 0u);
  const auto views = bus.describe();
  const auto* hook = FindHook(views, "test.greet");
  ASSERT_NE(hook, nullptr);
  EXPECT_EQ(hook->dispatches, kTotal);
  // Every throw was reported exactly once.
  EXPECT_EQ(hook->errors, failing.load());
  EXPECT_EQ(log.take().size(), failing.load());
  // Only the stable listeners remain.
  std::vector<std::string> owners;
  for (const auto& l : hook->listeners) owners.push_back(l.owner);
  EXPECT_THAT(owners, ElementsAre("a", "b"));
}

// ---------------------------------------------------------------------------------------------
// Metrics

TEST(HookBus, MetricsTextNamesHooksAndListeners) {
  HookBus bus(HookBus::Options{.timing_sample_every = 1});
  bus.set_failure_sink([](const ListenerFailure&) {});
  OwnerView plugin(bus, "my-plugin");
  plugin.on(kGreet, [](const Greeting&) -> void { throw std::runtime_error("x"); },
            {.label = "my-plugin.audit"});
  for (int i = 0; i < 3; ++i) bus.fire(kGreet, Greeting{});
  bus.apply(kNumber, 1);
  std::string text;
  bus.render_metrics(text);
  EXPECT_THAT(text, HasSubstr("# TYPE lore_hook_dispatches_total counter\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_hook_dispatches_total{hook=\"test.greet\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_hook_dispatches_total{hook=\"test.number\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_hook_listener_errors_total{hook=\"test.greet\",plugin=\"my-"
                              "plugin\",listener=\"my-plugin.audit\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE lore_hook_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("lore_hook_duration_seconds_count{hook=\"test.greet\"} "));
  EXPECT_THAT(text, HasSubstr("lore_hook_listener_duration_seconds_bucket{hook=\"test.greet\","
                              "plugin=\"my-plugin\",listener=\"my-plugin.audit\",le=\"+Inf\"} "));
}

TEST(HookBus, AnOwnerCannotRemoveAnotherOwnersListener) {
  lore::HookBus bus;
  int calls = 0;
  std::string error;
  const auto id = bus.subscribe_as(
      Owner{"victim", nullptr}, "test.owned", sdk::HookKind::action, sdk::type_name<Greeting>(),
      [&](void*, std::string&) {
        ++calls;
        return true;
      },
      {}, error);
  ASSERT_NE(id, 0u) << error;
  EXPECT_FALSE(bus.unsubscribe_as("intruder", id));
  bus.unsubscribe(id);  // the kernel's own unsubscribe removes only the kernel's listeners
  bus.fire(sdk::Action<Greeting>{"test.owned"}, Greeting{"hi"});
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(bus.unsubscribe_as("victim", id));
  bus.fire(sdk::Action<Greeting>{"test.owned"}, Greeting{"hi"});
  EXPECT_EQ(calls, 1);
}

struct Anonymous {};

TEST(HookBus, PayloadTypesFromAnonymousNamespacesAreRefused) {
  lore::HookBus bus;
  const sdk::Action<Anonymous> hook{"test.anonymous"};
  try {
    bus.on(hook, [](const Anonymous&) {});
    FAIL() << "expected the subscription to be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(
        e.what(),
        HasSubstr("payload type lore::{anonymous}::Anonymous is in an anonymous namespace"));
  }
  EXPECT_FALSE(bus.declare(hook).is_ok());
}

}  // namespace
}  // namespace lore
