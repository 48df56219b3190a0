#include "plugin/dependency_resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace lore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

// Builds manifests and the `wanted` map that plan_dependencies takes.
class Plugins {
 public:
  // `requires_plugins`: {name, range}.
  Plugins& add(const std::string& name, const std::string& version,
               const std::vector<std::pair<std::string, std::string>>& requirements = {}) {
    Manifest& m = manifests_.emplace_back();
    m.name = name;
    auto parsed = parse_version(version);
    if (auto* error = std::get_if<std::string>(&parsed))
      ADD_FAILURE() << *error;
    else
      m.version = std::get<Version>(parsed);
    for (const auto& [dep, range_text] : requirements) {
      auto range = VersionRange::parse(range_text);
      if (auto* error = std::get_if<std::string>(&range)) {
        ADD_FAILURE() << *error;
        continue;
      }
      m.requires_plugins.push_back({dep, std::get<VersionRange>(range)});
    }
    wanted_[name] = &m;
    return *this;
  }
  DependencyPlan plan() const { return plan_dependencies(wanted_); }

 private:
  std::deque<Manifest> manifests_;  // stable addresses
  std::map<std::string, const Manifest*> wanted_;
};

TEST(DependencyResolver, EmptyInput) {
  const auto plan = Plugins().plan();
  EXPECT_THAT(plan.start_order, IsEmpty());
  EXPECT_THAT(plan.refused, IsEmpty());
}

TEST(DependencyResolver, IndependentPluginsStartByName) {
  const auto plan = Plugins().add("zeta", "1.0.0").add("alpha", "1.0.0").add("mid", "1.0.0").plan();
  EXPECT_THAT(plan.start_order, ElementsAre("alpha", "mid", "zeta"));
  EXPECT_THAT(plan.refused, IsEmpty());
}

TEST(DependencyResolver, DependenciesStartFirstAndTiesAreBrokenByName) {
  const auto plan = Plugins()
                        .add("app", "1.0.0", {{"db", "^1.0.0"}, {"cache", "*"}})
                        .add("db", "1.4.0")
                        .add("cache", "2.0.0")
                        .add("zeta", "1.0.0")
                        .add("alpha", "1.0.0")
                        .add("web", "1.0.0", {{"app", ">=1.0.0"}})
                        .plan();
  EXPECT_THAT(plan.refused, IsEmpty());
  // alpha, cache, db are ready at once; app becomes ready after db and sorts before zeta.
  EXPECT_THAT(plan.start_order, ElementsAre("alpha", "cache", "db", "app", "web", "zeta"));
}

TEST(DependencyResolver, DeepChainIsReversed) {
  const auto plan = Plugins()
                        .add("a", "1.0.0", {{"b", "*"}})
                        .add("b", "1.0.0", {{"c", "*"}})
                        .add("c", "1.0.0", {{"d", "*"}})
                        .add("d", "1.0.0")
                        .plan();
  EXPECT_THAT(plan.start_order, ElementsAre("d", "c", "b", "a"));
}

TEST(DependencyResolver, DiamondStartsSharedDependencyOnce) {
  const auto plan = Plugins()
                        .add("top", "1.0.0", {{"left", "*"}, {"right", "*"}})
                        .add("left", "1.0.0", {{"base", "*"}})
                        .add("right", "1.0.0", {{"base", "*"}})
                        .add("base", "1.0.0")
                        .plan();
  EXPECT_THAT(plan.start_order, ElementsAre("base", "left", "right", "top"));
  EXPECT_THAT(plan.refused, IsEmpty());
}

TEST(DependencyResolver, MissingDependency) {
  const auto plan = Plugins().add("app", "1.0.0", {{"db", "^1.2.0"}}).add("other", "1.0.0").plan();
  EXPECT_THAT(plan.start_order, ElementsAre("other"));
  EXPECT_THAT(
      plan.refused,
      ElementsAre(Pair("app", "requires db ^1.2.0, which is not installed or not enabled")));
}

TEST(DependencyResolver, IncompatibleVersion) {
  const auto plan = Plugins().add("app", "1.0.0", {{"db", "^2.0.0"}}).add("db", "1.4.0").plan();
  EXPECT_THAT(plan.start_order, ElementsAre("db"));
  EXPECT_THAT(plan.refused, ElementsAre(Pair("app", "requires db ^2.0.0, but db is 1.4.0")));
}

TEST(DependencyResolver, PrereleaseIsNotInAPlainRange) {
  const auto plan =
      Plugins().add("app", "1.0.0", {{"db", ">=1.0.0"}}).add("db", "2.0.0-rc.1").plan();
  EXPECT_THAT(plan.refused, ElementsAre(Pair("app", "requires db >=1.0.0, but db is 2.0.0-rc.1")));
}

TEST(DependencyResolver, FirstFailingRequirementIsTheReason) {
  const auto plan =
      Plugins().add("app", "1.0.0", {{"db", "^2.0.0"}, {"gone", "*"}}).add("db", "1.0.0").plan();
  EXPECT_THAT(plan.refused, ElementsAre(Pair("app", "requires db ^2.0.0, but db is 1.0.0")));
}

TEST(DependencyResolver, TwoPluginCycle) {
  const auto plan = Plugins()
                        .add("a", "1.0.0", {{"b", "*"}})
                        .add("b", "1.0.0", {{"a", "*"}})
                        .add("free", "1.0.0")
                        .plan();
  EXPECT_THAT(plan.start_order, ElementsAre("free"));
  EXPECT_THAT(plan.refused, UnorderedElementsAre(Pair("a", "dependency cycle: a -> b -> a"),
                                                 Pair("b", "dependency cycle: a -> b -> a")));
}

TEST(DependencyResolver, ThreePluginCycle) {
  const auto plan = Plugins()
                        .add("a", "1.0.0", {{"b", "*"}})
                        .add("b", "1.0.0", {{"c", "*"}})
                        .add("c", "1.0.0", {{"a", "*"}})
                        .plan();
  EXPECT_THAT(plan.start_order, IsEmpty());
  EXPECT_THAT(plan.refused, UnorderedElementsAre(Pair("a", "dependency cycle: a -> b -> c -> a"),
                                                 Pair("b", "dependency cycle: a -> b -> c -> a"),
                                                 Pair("c", "dependency cycle: a -> b -> c -> a")));
}

TEST(DependencyResolver, EveryMemberOfACycleIsRefusedAsSuch) {
  // a -> c -> b -> a is a cycle through all three; a depth-first search from a meets the
  // shorter cycle a -> b -> a first and reaches c only afterwards. c must still be refused for
  // the cycle it is part of, not as a mere dependent of a refused plugin.
  const auto plan = Plugins()
                        .add("a", "1.0.0", {{"b", "*"}, {"c", "*"}})
                        .add("b", "1.0.0", {{"a", "*"}})
                        .add("c", "1.0.0", {{"b", "*"}})
                        .plan();
  EXPECT_THAT(plan.start_order, IsEmpty());
  ASSERT_EQ(plan.refused.size(), 3u);
  for (const auto& [name, reason] : plan.refused) {
    SCOPED_TRACE(name);
    EXPECT_THAT(reason, StartsWith("dependency cycle: "));
    EXPECT_THAT(reason, HasSubstr(name));
  }
}

TEST(DependencyResolver, CycleEnteredFromOutsideNamesOnlyItsMembers) {
  // "entry" depends on the cycle x <-> y but is not part of it.
  const auto plan = Plugins()
                        .add("entry", "1.0.0", {{"x", "*"}})
                        .add("x", "1.0.0", {{"y", "*"}})
                        .add("y", "1.0.0", {{"x", "*"}})
                        .plan();
  EXPECT_THAT(plan.start_order, IsEmpty());
  EXPECT_THAT(plan.refused, UnorderedElementsAre(Pair("entry", "depends on x, which was refused"),
                                                 Pair("x", "dependency cycle: x -> y -> x"),
                                                 Pair("y", "dependency cycle: x -> y -> x")));
}

TEST(DependencyResolver, SelfDependencyIsACycle) {
  const auto plan =
      Plugins().add("narcissus", "1.0.0", {{"narcissus", "*"}}).add("ok", "1.0.0").plan();
  EXPECT_THAT(plan.start_order, ElementsAre("ok"));
  EXPECT_THAT(plan.refused,
              ElementsAre(Pair("narcissus", "dependency cycle: narcissus -> narcissus")));
}

TEST(DependencyResolver, RefusalPropagatesTransitively) {
  const auto plan = Plugins()
                        .add("web", "1.0.0", {{"app", "*"}})
                        .add("app", "1.0.0", {{"db", "*"}})
                        .add("db", "1.0.0", {{"driver", "^3"}})
                        .add("admin", "1.0.0", {{"web", "*"}, {"log", "*"}})
                        .add("log", "1.0.0")
                        .plan();
  EXPECT_THAT(plan.start_order, ElementsAre("log"));
  EXPECT_THAT(
      plan.refused,
      UnorderedElementsAre(Pair("db", "requires driver ^3, which is not installed or not enabled"),
                           Pair("app", "depends on db, which was refused"),
                           Pair("web", "depends on app, which was refused"),
                           Pair("admin", "depends on web, which was refused")));
}

TEST(DependencyResolver, RefusedAndStartedAreDisjointAndComplete) {
  Plugins plugins;
  plugins.add("a", "1.0.0", {{"b", "*"}})
      .add("b", "1.0.0", {{"a", "*"}})
      .add("c", "1.0.0", {{"a", "*"}})
      .add("d", "1.0.0", {{"e", "^9"}})
      .add("e", "1.0.0")
      .add("f", "1.0.0", {{"e", "^1"}});
  const auto plan = plugins.plan();
  EXPECT_THAT(plan.start_order, ElementsAre("e", "f"));
  std::vector<std::string> refused;
  for (const auto& [name, reason] : plan.refused) refused.push_back(name);
  EXPECT_THAT(refused, ElementsAre("a", "b", "c", "d"));
}

TEST(DependencyResolver, PlanIsDeterministic) {
  auto build = [] {
    return Plugins()
        .add("p3", "1.0.0", {{"p1", "*"}})
        .add("p2", "1.0.0")
        .add("p1", "1.0.0")
        .add("p0", "1.0.0", {{"p2", "*"}})
        .plan();
  };
  const auto first = build();
  EXPECT_THAT(first.start_order, ElementsAre("p1", "p2", "p0", "p3"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(build().start_order, first.start_order);
}

}  // namespace
}  // namespace lore
