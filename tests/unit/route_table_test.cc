#include "http/route_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "http/pipeline.h"

namespace lore {
namespace {

namespace http = sdk::http;
using http::Access;
using http::Method;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

sdk::RouteSpec Spec(Method method, std::string path,
                    std::optional<Access> access = Access::anonymous) {
  sdk::RouteSpec spec;
  spec.method = method;
  spec.path = std::move(path);
  spec.access = access;
  return spec;
}

// A handler that answers with its own name, so a test can tell which route ran.
sdk::ErasedHandler Named(std::string name) {
  return [name](const http::Request&) { return http::Response::text(name); };
}

// Adds a route the test expects to be accepted.
void Add(RouteTable& table, const std::string& owner, Method method, const std::string& path) {
  const auto status = table.add(owner, nullptr, Spec(method, path), Named(path));
  ASSERT_TRUE(status) << status.message();
}

// Which template answers `method path`, or "" when none does.
std::string Matched(const RouteTable& table, Method method, const std::string& path) {
  auto lookup = table.find(method, path);
  return lookup.match ? lookup.match->route->spec.path : std::string{};
}

TEST(RouteTable, SplitPath) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(RouteTable::split_path("/"), V{});
  EXPECT_EQ(RouteTable::split_path(""), V{});
  EXPECT_EQ(RouteTable::split_path("/a"), (V{"a"}));
  EXPECT_EQ(RouteTable::split_path("/a/b/"), (V{"a", "b"}));
  EXPECT_EQ(RouteTable::split_path("//a///b"), (V{"a", "b"}));
  EXPECT_EQ(RouteTable::split_path("a/{id}"), (V{"a", "{id}"}));
}

TEST(RouteTable, FindsRoutesAndExtractsParameters) {
  RouteTable table;
  Add(table, "p", Method::get, "/");
  Add(table, "p", Method::get, "/api/v1/courses");
  Add(table, "p", Method::get, "/api/v1/courses/{id}");
  Add(table, "p", Method::get, "/api/v1/courses/{course}/lessons/{lesson}");

  EXPECT_EQ(Matched(table, Method::get, "/"), "/");
  EXPECT_EQ(Matched(table, Method::get, "/api/v1/courses"), "/api/v1/courses");
  EXPECT_EQ(Matched(table, Method::get, "/api/v1/courses/"), "/api/v1/courses");

  auto one = table.find(Method::get, "/api/v1/courses/42");
  ASSERT_TRUE(one.match);
  EXPECT_EQ(one.match->route->spec.path, "/api/v1/courses/{id}");
  EXPECT_EQ(one.match->route->owner, "p");
  EXPECT_THAT(one.match->params, ElementsAre(Pair("id", "42")));
  EXPECT_THAT(one.allowed, IsEmpty());
  EXPECT_EQ(one.match->route->handler(http::Request{}).body, "/api/v1/courses/{id}");

  auto two = table.find(Method::get, "/api/v1/courses/c-1/lessons/l%202");
  ASSERT_TRUE(two.match);
  EXPECT_THAT(two.match->params,
              UnorderedElementsAre(Pair("course", "c-1"), Pair("lesson", "l%202")));

  for (const char* miss : {"/api/v1", "/api/v1/courses/42/extra", "/api/v2/courses", "/other",
                           "/api/v1/courses/1/lessons"}) {
    SCOPED_TRACE(miss);
    auto lookup = table.find(Method::get, miss);
    EXPECT_FALSE(lookup.match);
    EXPECT_THAT(lookup.allowed, IsEmpty());
  }
}

TEST(RouteTable, LiteralSegmentsWinOverParameters) {
  // Registered parameter-first, so the order of registration cannot be what decides.
  RouteTable table;
  Add(table, "p", Method::get, "/users/{id}");
  Add(table, "p", Method::get, "/users/me");
  Add(table, "p", Method::get, "/{section}/settings");
  Add(table, "p", Method::get, "/users/settings");
  EXPECT_EQ(Matched(table, Method::get, "/users/me"), "/users/me");
  EXPECT_EQ(Matched(table, Method::get, "/users/7"), "/users/{id}");
  EXPECT_EQ(Matched(table, Method::get, "/users/settings"), "/users/settings");
  EXPECT_EQ(Matched(table, Method::get, "/groups/settings"), "/{section}/settings");
}

TEST(RouteTable, LiteralWinsWhateverOtherRoutesWereRegisteredInBetween) {
  // Same as above with unrelated routes of other lengths registered in between, as happens
  // when several plugins register routes.
  RouteTable table;
  Add(table, "a", Method::get, "/metrics");
  Add(table, "b", Method::get, "/users/{id}");
  Add(table, "a", Method::get, "/healthz");
  Add(table, "b", Method::get, "/users/me");
  EXPECT_EQ(Matched(table, Method::get, "/users/me"), "/users/me");
  EXPECT_EQ(Matched(table, Method::get, "/users/42"), "/users/{id}");
  auto lookup = table.find(Method::get, "/users/me");
  ASSERT_TRUE(lookup.match);
  EXPECT_THAT(lookup.match->params, IsEmpty());
}

TEST(RouteTable, MethodNotAllowedListsTheAllowedMethods) {
  RouteTable table;
  Add(table, "p", Method::get, "/items/{id}");
  Add(table, "p", Method::put, "/items/{id}");
  Add(table, "p", Method::delete_, "/items/{id}");
  Add(table, "p", Method::post, "/items");

  auto lookup = table.find(Method::post, "/items/3");
  EXPECT_FALSE(lookup.match);
  EXPECT_THAT(lookup.allowed, ElementsAre(Method::get, Method::put, Method::delete_));

  lookup = table.find(Method::get, "/items");
  EXPECT_FALSE(lookup.match);
  EXPECT_THAT(lookup.allowed, ElementsAre(Method::post));

  // A match clears the list.
  lookup = table.find(Method::put, "/items/3");
  ASSERT_TRUE(lookup.match);
  EXPECT_THAT(lookup.allowed, IsEmpty());
}

TEST(RouteTable, AllowedMethodsFromLiteralAndParameterRoutes) {
  RouteTable table;
  Add(table, "p", Method::get, "/users/me");
  Add(table, "p", Method::post, "/users/{id}");
  Add(table, "p", Method::patch, "/users/{id}");
  // POST /users/me falls through to the parameter route.
  EXPECT_EQ(Matched(table, Method::post, "/users/me"), "/users/{id}");
  auto lookup = table.find(Method::delete_, "/users/me");
  EXPECT_FALSE(lookup.match);
  EXPECT_THAT(lookup.allowed, UnorderedElementsAre(Method::get, Method::post, Method::patch));
}

TEST(RouteTable, HeadMatchesGet) {
  RouteTable table;
  Add(table, "p", Method::get, "/page");
  Add(table, "p", Method::post, "/form");
  EXPECT_EQ(Matched(table, Method::head, "/page"), "/page");
  auto lookup = table.find(Method::head, "/form");
  EXPECT_FALSE(lookup.match);
  EXPECT_THAT(lookup.allowed, ElementsAre(Method::post));
}

TEST(RouteTable, Refusals) {
  RouteTable table;
  Add(table, "first", Method::get, "/a/{id}");
  struct Case {
    std::string owner;
    sdk::RouteSpec spec;
    bool with_handler;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"second", Spec(Method::get, "/a/{name}"), true,
       "route GET /a/{name} clashes with /a/{id} registered by first"},
      {"first", Spec(Method::get, "/a/{id}"), true,
       "route GET /a/{id} clashes with /a/{id} registered by first"},
      {"second", Spec(Method::get, "/a/{id}/"), true,
       "route GET /a/{id}/ clashes with /a/{id} registered by first"},
      {"p", Spec(Method::get, "/open", std::nullopt), true,
       "route GET /open declares no access rule"},
      {"p", Spec(Method::post, "/x"), false, "route POST /x has no handler"},
      {"p", Spec(Method::get, "relative"), true, "route GET relative: path must start with '/'"},
      {"p", Spec(Method::get, ""), true, "route GET : path must start with '/'"},
      {"p", Spec(Method::get, "/a/{id"), true,
       "route GET /a/{id: malformed parameter segment '{id'"},
      {"p", Spec(Method::get, "/a/id}"), true,
       "route GET /a/id}: malformed parameter segment 'id}'"},
      {"p", Spec(Method::get, "/a/{}"), true, "route GET /a/{}: malformed parameter segment '{}'"},
      {"p", Spec(Method::get, "/a/x{id}"), true,
       "route GET /a/x{id}: malformed parameter segment 'x{id}'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error);
    const auto status =
        table.add(c.owner, nullptr, c.spec, c.with_handler ? Named("x") : sdk::ErasedHandler{});
    EXPECT_FALSE(status);
    EXPECT_EQ(status.message(), c.error);
  }
  EXPECT_EQ(table.routes().size(), 1u);

  // Same shape under another method, or another shape, is fine.
  Add(table, "second", Method::post, "/a/{name}");
  Add(table, "second", Method::get, "/a/{id}/b");
  Add(table, "second", Method::get, "/a/literal");
  EXPECT_EQ(table.routes().size(), 4u);
}

TEST(RouteTable, RemoveOwner) {
  RouteTable table;
  Add(table, "a", Method::get, "/a");
  Add(table, "a", Method::post, "/a");
  Add(table, "b", Method::get, "/b");
  EXPECT_EQ(table.remove_owner("a"), 2u);
  EXPECT_EQ(table.remove_owner("a"), 0u);
  EXPECT_EQ(table.remove_owner("ghost"), 0u);
  EXPECT_FALSE(table.find(Method::get, "/a").match);
  EXPECT_THAT(table.find(Method::get, "/a").allowed, IsEmpty());
  EXPECT_TRUE(table.find(Method::get, "/b").match);
  ASSERT_EQ(table.routes().size(), 1u);
  EXPECT_EQ(table.routes()[0]->owner, "b");
  // The path is free again, for another owner.
  Add(table, "c", Method::get, "/a");
  EXPECT_EQ(table.find(Method::get, "/a").match->route->owner, "c");
}

TEST(RouteTable, RemovalClosesRoutesFoundEarlierAndANewGenerationStartsFresh) {
  RouteTable table;
  Add(table, "p", Method::get, "/p");
  auto old_route = table.find(Method::get, "/p").match->route;
  InFlightToken running(old_route->in_flight);
  EXPECT_FALSE(old_route->closed->load());
  table.remove_owner("p");
  // A request that looked the route up before the removal sees it closed after counting itself.
  EXPECT_TRUE(old_route->closed->load());
  EXPECT_EQ(table.in_flight("p"), 1);  // still drained by the owner's stop

  Add(table, "p", Method::get, "/p");  // the plugin starts again
  auto new_route = table.find(Method::get, "/p").match->route;
  EXPECT_FALSE(new_route->closed->load());
  EXPECT_NE(new_route->in_flight, old_route->in_flight);
  EXPECT_EQ(table.in_flight("p"), 0);
}

TEST(RouteTable, LookupKeepsTheRouteAliveAfterRemoval) {
  RouteTable table;
  auto anchor = std::make_shared<int>(7);
  ASSERT_TRUE(table.add("p", anchor, Spec(Method::get, "/x"), Named("x")));
  auto lookup = table.find(Method::get, "/x");
  ASSERT_TRUE(lookup.match);
  table.remove_owner("p");
  std::weak_ptr<int> weak = anchor;
  anchor.reset();
  EXPECT_FALSE(weak.expired());  // the matched route still holds its anchor
  EXPECT_EQ(lookup.match->route->handler(http::Request{}).body, "x");
  lookup.match.reset();
  EXPECT_TRUE(weak.expired());
}

TEST(RouteTable, StatsAreSharedByReRegistrations) {
  RouteTable table;
  Add(table, "p", Method::get, "/x");
  auto first = table.find(Method::get, "/x").match->route->stats;
  table.remove_owner("p");
  Add(table, "q", Method::get, "/x");
  EXPECT_EQ(table.find(Method::get, "/x").match->route->stats, first);
  const auto all = table.all_stats();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].first, "GET /x");
}

TEST(RouteTable, InFlightCountsTokensPerOwner) {
  RouteTable table;
  Add(table, "a", Method::get, "/one");
  Add(table, "a", Method::get, "/two");
  Add(table, "b", Method::get, "/three");
  EXPECT_EQ(table.in_flight("a"), 0);
  EXPECT_EQ(table.in_flight("unknown"), 0);
  {
    InFlightToken t1(table.find(Method::get, "/one").match->route->in_flight);
    InFlightToken t2(table.find(Method::get, "/two").match->route->in_flight);
    InFlightToken t3(table.find(Method::get, "/three").match->route->in_flight);
    EXPECT_EQ(table.in_flight("a"), 2);  // shared by every route of the owner
    EXPECT_EQ(table.in_flight("b"), 1);

    InFlightToken moved(std::move(t1));
    EXPECT_EQ(table.in_flight("a"), 2);  // a move transfers, it does not count twice
    t2 = std::move(moved);               // t2's own count is released
    EXPECT_EQ(table.in_flight("a"), 1);
    t3 = InFlightToken();
    EXPECT_EQ(table.in_flight("b"), 0);
  }
  EXPECT_EQ(table.in_flight("a"), 0);
  InFlightToken empty;  // no counter: harmless
}

TEST(RouteTable, InFlightSurvivesRemovalOfTheOwnersRoutes) {
  RouteTable table;
  Add(table, "a", Method::get, "/one");
  InFlightToken token(table.find(Method::get, "/one").match->route->in_flight);
  table.remove_owner("a");
  EXPECT_EQ(table.in_flight("a"), 1);  // draining can still see it
  token = InFlightToken();
  EXPECT_EQ(table.in_flight("a"), 0);
}

}  // namespace
}  // namespace lore
