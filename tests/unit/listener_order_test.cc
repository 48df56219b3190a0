#include "hooks/listener_order.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace lore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

OrderInput L(std::string owner, int priority, std::uint64_t sequence,
             std::vector<std::string> before = {}, std::vector<std::string> after = {}) {
  return OrderInput{std::move(owner), priority, sequence, std::move(before), std::move(after)};
}

// The run order as owner names (with the input index when owners repeat).
std::vector<std::string> Owners(const std::vector<OrderInput>& in, const OrderResult& result) {
  std::vector<std::string> out;
  for (std::size_t i : result.order) out.push_back(in.at(i).owner);
  return out;
}

// Every input index appears exactly once.
void ExpectPermutation(const std::vector<OrderInput>& in, const OrderResult& result) {
  std::vector<std::size_t> sorted = result.order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> expected(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) expected[i] = i;
  EXPECT_EQ(sorted, expected);
}

TEST(ListenerOrder, Empty) {
  const auto result = resolve_listener_order({});
  EXPECT_THAT(result.order, IsEmpty());
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(ListenerOrder, TableOfCases) {
  struct Case {
    std::string name;
    std::vector<OrderInput> in;
    std::vector<std::size_t> expected;  // input indexes in run order
  };
  const std::vector<Case> cases = {
      {"lower priority runs first", {L("a", 20, 1), L("b", 5, 2), L("c", 10, 3)}, {1, 2, 0}},
      {"negative priority", {L("a", 0, 1), L("b", -5, 2)}, {1, 0}},
      {"ties by registration sequence", {L("a", 10, 3), L("b", 10, 1), L("c", 10, 2)}, {1, 2, 0}},
      {"sequence beats input position", {L("late", 10, 9), L("early", 10, 1)}, {1, 0}},
      {"before overrides priority", {L("a", 1, 1), L("b", 50, 2, {"a"})}, {1, 0}},
      {"after overrides priority", {L("a", 1, 1, {}, {"b"}), L("b", 50, 2)}, {1, 0}},
      {"constraint already satisfied keeps priority order",
       {L("a", 1, 1, {"b"}), L("b", 50, 2)},
       {0, 1}},
      {"absent plugin names are ignored",
       {L("a", 20, 1, {"ghost"}, {"phantom"}), L("b", 10, 2, {"nobody"})},
       {1, 0}},
      {"constraint on own plugin is ignored", {L("a", 20, 1, {"a"}), L("a", 10, 2)}, {1, 0}},
      {"constraint fans out to all listeners of the named plugin",
       {L("x", 1, 1), L("x", 2, 2), L("y", 50, 3, {"x"}), L("z", 0, 4)},
       {3, 2, 0, 1}},
      {"after a plugin with several listeners waits for all of them",
       {L("late", 0, 1, {}, {"x"}), L("x", 5, 2), L("x", 90, 3), L("mid", 50, 4)},
       {1, 3, 2, 0}},
      {"chain of constraints",
       {L("c", 1, 1, {}, {"b"}), L("b", 2, 2, {}, {"a"}), L("a", 3, 3)},
       {2, 1, 0}},
      {"unconstrained listeners interleave by priority",
       {L("a", 30, 1, {}, {"b"}), L("b", 20, 2), L("free", 25, 3), L("first", 1, 4)},
       {3, 1, 2, 0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto result = resolve_listener_order(c.in);
    EXPECT_EQ(result.order, c.expected);
    EXPECT_THAT(result.warnings, IsEmpty());
    ExpectPermutation(c.in, result);
  }
}

TEST(ListenerOrder, CycleWarnsAndFallsBackToPriority) {
  const std::vector<OrderInput> in = {L("a", 20, 1, {"b"}), L("b", 10, 2, {"a"}), L("c", 15, 3)};
  const auto result = resolve_listener_order(in);
  ExpectPermutation(in, result);
  // c is unconstrained and runs first; a and b by priority.
  EXPECT_THAT(Owners(in, result), ElementsAre("c", "b", "a"));
  ASSERT_THAT(result.warnings, SizeIs(1));
  EXPECT_EQ(result.warnings[0],
            "before/after constraints form a cycle among [a, b]; it is broken at b, the rest keep "
            "their constraints");
}

TEST(ListenerOrder, CycleDoesNotDropConstraintsOutsideIt) {
  // a and b name each other; c only asks to run after a, which is satisfiable. The cycle is
  // broken by priority, and c still runs after a; the warning names the cycle's members only.
  const std::vector<OrderInput> in = {L("a", 20, 1, {"b"}), L("b", 10, 2, {"a"}),
                                      L("c", 1, 3, {}, {"a"})};
  const auto result = resolve_listener_order(in);
  ExpectPermutation(in, result);
  const auto owners = Owners(in, result);
  const auto pos = [&](const std::string& owner) {
    return std::find(owners.begin(), owners.end(), owner) - owners.begin();
  };
  EXPECT_GT(pos("c"), pos("a")) << testing::PrintToString(owners);
  ASSERT_THAT(result.warnings, SizeIs(1));
  EXPECT_THAT(result.warnings[0], HasSubstr("cycle among [a, b]"));
}

TEST(ListenerOrder, AfterCycleIsDetectedToo) {
  const std::vector<OrderInput> in = {L("a", 1, 1, {}, {"c"}), L("b", 2, 2, {}, {"a"}),
                                      L("c", 3, 3, {}, {"b"})};
  const auto result = resolve_listener_order(in);
  ExpectPermutation(in, result);
  EXPECT_THAT(Owners(in, result), ElementsAre("a", "b", "c"));
  ASSERT_THAT(result.warnings, SizeIs(1));
  EXPECT_THAT(result.warnings[0], HasSubstr("cycle among [a, b, c]"));
}

TEST(ListenerOrder, CycleOrderIsDeterministic) {
  const std::vector<OrderInput> in = {L("b", 10, 2, {"a"}), L("a", 10, 1, {"b"}),
                                      L("c", 10, 3, {}, {"a"})};
  const auto first = resolve_listener_order(in);
  ExpectPermutation(in, first);
  for (int i = 0; i < 10; ++i) {
    const auto again = resolve_listener_order(in);
    EXPECT_EQ(again.order, first.order);
    EXPECT_EQ(again.warnings, first.warnings);
  }
  // Same priority: registration order decides among the unresolved ones.
  EXPECT_THAT(Owners(in, first), ElementsAre("a", "b", "c"));
  EXPECT_THAT(first.warnings, SizeIs(1));
}

TEST(ListenerOrder, ManyListenersStayAPermutation) {
  std::vector<OrderInput> in;
  for (int i = 0; i < 50; ++i)
    in.push_back(L("p" + std::to_string(i % 7), (i * 37) % 11, static_cast<std::uint64_t>(i),
                   {"p" + std::to_string((i + 1) % 7)}));
  const auto result = resolve_listener_order(in);
  ExpectPermutation(in, result);
  EXPECT_THAT(result.warnings, SizeIs(1));  // p0 before p1 before ... before p0
}

}  // namespace
}  // namespace lore
