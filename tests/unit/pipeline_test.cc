#include "http/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "http/route_table.h"
#include "lore/sdk/routes.h"

namespace lore {
namespace {

namespace http = sdk::http;
using http::Access;
using http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::Pair;

// Tokens and whom they stand for; anything else is invalid, "down" cannot be checked.
class FakeAuthenticator final : public RequestAuthenticator {
 public:
  Authentication authenticate(std::string_view token) const noexcept override {
    auto principal = [](std::int64_t id, std::string role, std::string via = "session",
                        std::vector<std::string> scopes = {}) {
      http::Principal p;
      p.user_id = id;
      p.roles = {std::move(role)};
      p.via = std::move(via);
      p.session_id = via == "session" ? id * 10 : 0;
      p.scopes = std::move(scopes);
      return Authentication{Authentication::Outcome::valid, std::move(p)};
    };
    ++calls;
    if (token == "learner") return principal(1, "learner");
    if (token == "creator") return principal(2, "creator");
    if (token == "admin") return principal(3, "admin");
    if (token == "key") return principal(4, "admin", "api_key", {"things:read"});
    if (token == "down") return {Authentication::Outcome::unavailable, {}};
    return {Authentication::Outcome::invalid, {}};
  }
  mutable std::atomic<int> calls{0};
};

// What a plugin sees: sdk::Routes, whose typed add() wraps handlers so that exceptions become
// responses; every route is stamped with the owner.
class OwnerRoutes final : public sdk::Routes {
 public:
  OwnerRoutes(RouteTable& table, std::string owner) : table_(table), owner_(std::move(owner)) {}
  sdk::Status add_erased(sdk::RouteSpec spec, sdk::ErasedHandler handler) override {
    return table_.add(owner_, nullptr, std::move(spec), std::move(handler));
  }

 private:
  RouteTable& table_;
  std::string owner_;
};

sdk::RouteSpec Spec(Method method, std::string path, Access access = Access::anonymous,
                    std::string scope = {}) {
  sdk::RouteSpec spec;
  spec.method = method;
  spec.path = std::move(path);
  spec.access = std::move(access);
  spec.scope = std::move(scope);
  return spec;
}

http::Request Req(Method method, std::string path,
                  std::map<std::string, std::string, std::less<>> headers = {},
                  std::string body = {}) {
  http::Request r;
  r.method = method;
  r.path = std::move(path);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

std::string Header(const http::Response& response, const std::string& name) {
  std::string value;
  int found = 0;
  for (const auto& [n, v] : response.headers) {
    if (n == name) {
      value = v;
      ++found;
    }
  }
  EXPECT_LE(found, 1) << "header " << name << " appears " << found << " times";
  return value;
}

struct Failure {
  std::string plugin;
  std::string what;
};

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : plugin_(table_, "plugin"), kernel_(table_, "kernel") {}

  Pipeline Make(std::size_t max_body_bytes = 1 << 20, bool with_authenticator = true) {
    return Pipeline(
        table_, with_authenticator ? &authenticator_ : nullptr,
        PipelineOptions{max_body_bytes, false},
        [this](const std::string& plugin, const std::string& what) {
          failures_.push_back({plugin, what});
        },
        nullptr);
  }

  void AddRoute(OwnerRoutes& routes, sdk::RouteSpec spec, sdk::ErasedHandler handler) {
    const auto status = routes.add_erased(std::move(spec), std::move(handler));
    ASSERT_TRUE(status) << status.message();
  }

  RouteTable table_;
  FakeAuthenticator authenticator_;
  OwnerRoutes plugin_;
  OwnerRoutes kernel_;
  std::vector<Failure> failures_;
};

TEST_F(PipelineTest, AnswersWithTheHandlersResponse) {
  std::string seen_id, seen_param;
  ASSERT_TRUE(plugin_.add(Spec(Method::get, "/items/{id}"), [&](const http::Request& r) {
    seen_id = r.request_id;
    seen_param = r.param("id");
    auto response = http::Response::json({{"id", r.param("id")}});
    response.headers.emplace_back("X-Custom", "1");
    return response;
  }));
  const Pipeline pipeline = Make();
  const auto response = pipeline.handle(Req(Method::get, "/items/42"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"id":"42"})");
  EXPECT_EQ(seen_param, "42");
  EXPECT_EQ(Header(response, "X-Custom"), "1");
  EXPECT_EQ(Header(response, "X-Request-Id"), seen_id);
  EXPECT_FALSE(response.error);
  EXPECT_THAT(failures_, IsEmpty());
}

TEST_F(PipelineTest, NotFoundUsesTheErrorEnvelope) {
  const Pipeline pipeline = Make();
  const auto response = pipeline.handle(Req(Method::get, "/nope"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  const std::string id = Header(response, "X-Request-Id");
  EXPECT_EQ(response.body,
            R"({"error":{"code":"not_found","message":"no route for /nope","request_id":")" + id +
                R"("}})");
}

TEST_F(PipelineTest, MethodNotAllowedListsAllowedMethods) {
  AddRoute(plugin_, Spec(Method::get, "/items/{id}"),
           [](const http::Request&) { return http::Response::text("x"); });
  AddRoute(plugin_, Spec(Method::put, "/items/{id}"),
           [](const http::Request&) { return http::Response::text("x"); });
  const Pipeline pipeline = Make();
  const auto response = pipeline.handle(Req(Method::post, "/items/1"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(Header(response, "Allow"), "GET, PUT");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "method_not_allowed");
  EXPECT_EQ(body["error"]["message"], "POST is not allowed on /items/1");
}

TEST_F(PipelineTest, BodyLimit) {
  int calls = 0;
  AddRoute(plugin_, Spec(Method::post, "/upload"), [&](const http::Request& r) {
    ++calls;
    return http::Response::text(std::to_string(r.body.size()));
  });
  const Pipeline pipeline = Make(8);
  auto response = pipeline.handle(Req(Method::post, "/upload", {}, "123456789"));
  EXPECT_EQ(response.status, 413);
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "payload_too_large");
  EXPECT_EQ(body["error"]["message"], "request body of 9 bytes exceeds the limit of 8 bytes");
  EXPECT_EQ(calls, 0);

  response = pipeline.handle(Req(Method::post, "/upload", {}, "12345678"));  // exactly the limit
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "8");
  EXPECT_EQ(calls, 1);
}

TEST_F(PipelineTest, AccessControl) {
  std::vector<std::string> seen;  // "<path> as <user id>" for every handler that ran
  auto handler = [&](const http::Request& r) {
    seen.push_back(r.path + " as " + (r.principal ? std::to_string(r.principal->user_id) : "-"));
    return http::Response::text("ok");
  };
  auto owner_of = [](const http::Request& r) -> std::optional<std::int64_t> {
    const auto id = r.param("id");
    if (id == "boom") throw std::runtime_error("lookup exploded");
    if (id == "db") throw sdk::db::Error(sdk::db::ErrorKind::unavailable, "gone");
    if (id == "missing") return std::nullopt;
    return std::stoll(id);  // thing N belongs to user N
  };
  AddRoute(plugin_, Spec(Method::get, "/open"), handler);
  AddRoute(plugin_, Spec(Method::get, "/signed-in", Access::authenticated), handler);
  AddRoute(plugin_, Spec(Method::get, "/admin", Access::admin), handler);
  AddRoute(plugin_, Spec(Method::get, "/creator", Access::role("creator")), handler);
  ASSERT_TRUE(plugin_.add(Spec(Method::get, "/things/{id}", Access::owner(owner_of)), handler));
  ASSERT_TRUE(
      plugin_.add(Spec(Method::get, "/mine/{id}", Access::owner(owner_of, false)), handler));
  AddRoute(plugin_, Spec(Method::get, "/keyed", Access::authenticated, "things:read"), handler);
  AddRoute(plugin_, Spec(Method::get, "/other-scope", Access::admin, "things:write"), handler);
  const Pipeline pipeline = Make();

  struct Case {
    std::string path;
    std::string authorization;  // "" = no header
    int status;
    std::string code;  // for errors
  };
  const std::vector<Case> cases = {
      {"/open", "", 200, ""},
      {"/open", "Bearer wrong", 200, ""},  // a bad token on an open route is ignored
      {"/open", "Bearer learner", 200, ""},
      {"/open", "Bearer down", 200, ""},
      {"/signed-in", "", 401, "unauthenticated"},
      {"/signed-in", "Bearer wrong", 401, "invalid_token"},
      {"/signed-in", "Basic learner", 401, "unauthenticated"},
      {"/signed-in", "learner", 401, "unauthenticated"},
      {"/signed-in", "Bearer ", 401, "unauthenticated"},
      {"/signed-in", "Bearer down", 503, "auth_unavailable"},
      {"/signed-in", "Bearer learner", 200, ""},
      {"/signed-in", "bearer  learner ", 200, ""},  // scheme case and spaces do not matter
      {"/admin", "", 401, "unauthenticated"},
      {"/admin", "Bearer learner", 403, "forbidden"},
      {"/admin", "Bearer creator", 403, "forbidden"},
      {"/admin", "Bearer admin", 200, ""},
      {"/creator", "Bearer learner", 403, "forbidden"},
      {"/creator", "Bearer creator", 200, ""},
      {"/creator", "Bearer admin", 200, ""},  // admins pass every role check
      {"/things/1", "", 401, "unauthenticated"},
      {"/things/1", "Bearer learner", 200, ""},
      {"/things/2", "Bearer learner", 404, "not_found"},  // another user's: looks missing
      {"/things/missing", "Bearer learner", 404, "not_found"},
      {"/things/2", "Bearer admin", 200, ""},
      {"/mine/2", "Bearer admin", 404, "not_found"},  // this route does not let admins in
      {"/mine/2", "Bearer creator", 200, ""},
      {"/things/boom", "Bearer learner", 500, "internal"},
      {"/things/db", "Bearer learner", 503, "database_unavailable"},
      // An API key reaches only routes naming a scope it holds, whatever its user's roles.
      {"/keyed", "Bearer key", 200, ""},
      {"/signed-in", "Bearer key", 403, "insufficient_scope"},
      {"/other-scope", "Bearer key", 403, "insufficient_scope"},
      {"/keyed", "Bearer learner", 200, ""},  // sessions are not limited by scopes
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path + " with '" + c.authorization + "'");
    std::map<std::string, std::string, std::less<>> headers;
    if (!c.authorization.empty()) headers["authorization"] = c.authorization;
    const auto response = pipeline.handle(Req(Method::get, c.path, headers));
    EXPECT_EQ(response.status, c.status);
    if (c.status >= 400) {
      const auto body = nlohmann::json::parse(response.body);
      EXPECT_EQ(body["error"]["code"], c.code);
      if (c.status == 401) {
        EXPECT_EQ(Header(response, "WWW-Authenticate"), "Bearer");
      }
      if (c.status == 503) {
        EXPECT_EQ(Header(response, "Retry-After"), "1");
      }
    }
  }
  // Handlers ran only for the admitted requests, with their principal.
  EXPECT_THAT(seen, ElementsAre("/open as -", "/open as -", "/open as 1", "/open as -",
                                "/signed-in as 1", "/signed-in as 1", "/admin as 3",
                                "/creator as 2", "/creator as 3", "/things/1 as 1",
                                "/things/2 as 3", "/mine/2 as 2", "/keyed as 4", "/keyed as 1"));
  // The lookup that threw is the plugin's failure, reported for auto-disable.
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_THAT(failures_[0].what, HasSubstr("lookup exploded"));
}

TEST_F(PipelineTest, ReactorRoutesNeverAuthenticate) {
  auto spec = Spec(Method::get, "/fast");
  spec.execution = sdk::Execution::reactor;
  AddRoute(plugin_, spec, [](const http::Request& r) {
    return http::Response::text(r.principal ? "someone" : "nobody");
  });
  const Pipeline pipeline = Make();
  const auto response =
      pipeline.handle(Req(Method::get, "/fast", {{"authorization", "Bearer admin"}}));
  EXPECT_EQ(response.body, "nobody");
  EXPECT_EQ(authenticator_.calls.load(), 0);

  // And a reactor route cannot ask for a principal: it would have to block to check one.
  auto guarded = Spec(Method::get, "/fast-admin", Access::admin);
  guarded.execution = sdk::Execution::reactor;
  const auto status =
      plugin_.add_erased(guarded, [](const http::Request&) { return http::Response::text("x"); });
  EXPECT_FALSE(status);
  EXPECT_THAT(status.message(), HasSubstr("only anonymous routes may run on the reactor"));
}

TEST_F(PipelineTest, WithoutAnAuthenticatorNobodySignsIn) {
  int calls = 0;
  AddRoute(plugin_, Spec(Method::get, "/admin", Access::admin), [&](const http::Request&) {
    ++calls;
    return http::Response::text("ok");
  });
  const Pipeline pipeline = Make(1 << 20, false);
  for (const std::string auth : {"Bearer ", "Bearer", "Bearer admin"}) {
    SCOPED_TRACE(auth);
    EXPECT_EQ(pipeline.handle(Req(Method::get, "/admin", {{"authorization", auth}})).status, 401);
  }
  EXPECT_EQ(calls, 0);
}

TEST_F(PipelineTest, AnErrorQuotingInvalidUtf8StillRendersTheEnvelope) {
  ASSERT_TRUE(plugin_.add(Spec(Method::post, "/echo"), [](const http::Request& r) {
    return http::Response::json(http::parse_json_body(r));  // throws, quoting the bad byte
  }));
  const Pipeline pipeline = Make();
  const auto response = pipeline.handle(Req(Method::post, "/echo", {}, "{\"a\": \"\xff\"}"));
  EXPECT_EQ(response.status, 400);
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "invalid_json");
  EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("\xEF\xBF\xBD"));
}

TEST_F(PipelineTest, RequestIds) {
  std::vector<std::string> seen;
  AddRoute(plugin_, Spec(Method::get, "/id"), [&](const http::Request& r) {
    seen.push_back(r.request_id);
    return http::Response::text(r.request_id);
  });
  const Pipeline pipeline = Make();

  // Generated: 16 lower-case hex characters, different each time.
  const auto a = pipeline.handle(Req(Method::get, "/id"));
  const auto b = pipeline.handle(Req(Method::get, "/id"));
  EXPECT_THAT(a.body, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_THAT(b.body, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_NE(a.body, b.body);
  EXPECT_EQ(Header(a, "X-Request-Id"), a.body);

  // Kept when well-formed.
  const std::string max_length(128, 'k');
  for (const std::string id : {"abc-123", "A.b_C-9", "x", max_length.c_str()}) {
    SCOPED_TRACE(id);
    const auto r = pipeline.handle(Req(Method::get, "/id", {{"x-request-id", id}}));
    EXPECT_EQ(r.body, id);
    EXPECT_EQ(Header(r, "X-Request-Id"), id);
  }

  // Replaced when it could forge log lines or is too long.
  const std::string too_long(129, 'k');
  for (const std::string id :
       {"has space", "line\nbreak", "tab\there", "quote\"", "semi;colon", "", too_long.c_str()}) {
    SCOPED_TRACE(id);
    const auto r = pipeline.handle(Req(Method::get, "/id", {{"x-request-id", id}}));
    EXPECT_THAT(r.body, MatchesRegex("[0-9a-f]{16}"));
    EXPECT_EQ(Header(r, "X-Request-Id"), r.body);
  }

  // Error responses carry the same id in the header and the body.
  const auto missing = pipeline.handle(Req(Method::get, "/missing", {{"x-request-id", "req-7"}}));
  EXPECT_EQ(Header(missing, "X-Request-Id"), "req-7");
  EXPECT_EQ(nlohmann::json::parse(missing.body)["error"]["request_id"], "req-7");
}

TEST_F(PipelineTest, ErrorEnvelopeWithDetails) {
  AddRoute(plugin_, Spec(Method::post, "/validate"), [](const http::Request&) {
    return http::Response::failure(422, "invalid_input", "name is required",
                                   {{"fields", {{"name", "missing"}}}});
  });
  const Pipeline pipeline = Make();
  const auto response =
      pipeline.handle(Req(Method::post, "/validate", {{"x-request-id", "r1"}}, "{}"));
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body,
            R"({"error":{"code":"invalid_input","details":{"fields":{"name":"missing"}},)"
            R"("message":"name is required","request_id":"r1"}})");
  EXPECT_THAT(failures_, IsEmpty());
}

TEST_F(PipelineTest, RenderErrorBody) {
  EXPECT_EQ(render_error_body({"c", "m", nullptr}, "id"),
            R"({"error":{"code":"c","message":"m","request_id":"id"}})");
  EXPECT_EQ(render_error_body({"c", "m \"q\"", {1, 2}}, "id"),
            R"({"error":{"code":"c","details":[1,2],"message":"m \"q\"","request_id":"id"}})");
}

TEST_F(PipelineTest, HandlerFailureIsReportedAndHiddenFromTheClient) {
  AddRoute(plugin_, Spec(Method::get, "/fails"), [](const http::Request&) {
    return http::Response::failure(500, "internal", "internal error",
                                   {{"exception", "connection string has password hunter2"}});
  });
  const Pipeline pipeline = Make();
  const auto response = pipeline.handle(Req(Method::get, "/fails", {{"x-request-id", "r2"}}));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body,
            R"({"error":{"code":"internal","message":"internal error","request_id":"r2"}})");
  EXPECT_THAT(response.body, Not(HasSubstr("hunter2")));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0].plugin, "plugin");
  EXPECT_EQ(failures_[0].what, "GET /fails: connection string has password hunter2");
}

TEST_F(PipelineTest, ThrowingHandlerThroughTheSdkIsReported) {
  ASSERT_TRUE(plugin_.add(
      Spec(Method::get, "/throws/{id}"),
      [](const http::Request&) -> http::Response { throw std::runtime_error("secret detail"); }));
  ASSERT_TRUE(
      plugin_.add(Spec(Method::get, "/http-error"), [](const http::Request&) -> http::Response {
        throw http::Error(409, "conflict", "already exists");
      }));
  ASSERT_TRUE(plugin_.add(Spec(Method::post, "/json"), [](const http::Request& r) {
    return http::Response::json(http::parse_json_body(r));
  }));
  const Pipeline pipeline = Make();

  auto response = pipeline.handle(Req(Method::get, "/throws/1"));
  EXPECT_EQ(response.status, 500);
  EXPECT_THAT(response.body, Not(HasSubstr("secret detail")));
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "internal");
  EXPECT_FALSE(nlohmann::json::parse(response.body)["error"].contains("details"));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0].plugin, "plugin");
  EXPECT_EQ(failures_[0].what, "GET /throws/{id}: secret detail");

  // Expected errors are answered as such and are not plugin failures.
  response = pipeline.handle(Req(Method::get, "/http-error"));
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "conflict");
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["message"], "already exists");
  response = pipeline.handle(Req(Method::post, "/json", {}, "{not json"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "invalid_json");
  EXPECT_EQ(failures_.size(), 1u);
}

TEST_F(PipelineTest, OnlyUnhandledPluginFailuresAreReported) {
  AddRoute(kernel_, Spec(Method::get, "/kernel-fails"), [](const http::Request&) {
    return http::Response::failure(500, "internal", "internal error", {{"exception", "k"}});
  });
  AddRoute(plugin_, Spec(Method::get, "/unavailable"), [](const http::Request&) {
    return http::Response::failure(503, "unavailable", "try later", {{"retry_after", 5}});
  });
  const Pipeline pipeline = Make();
  auto response = pipeline.handle(Req(Method::get, "/kernel-fails"));
  EXPECT_EQ(response.status, 500);
  response = pipeline.handle(Req(Method::get, "/unavailable"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["details"]["retry_after"], 5);
  EXPECT_THAT(failures_, IsEmpty());
}

TEST_F(PipelineTest, ThrowingFailureReporterDoesNotBreakTheResponse) {
  AddRoute(plugin_, Spec(Method::get, "/fails"), [](const http::Request&) {
    return http::Response::failure(500, "internal", "internal error", {{"exception", "e"}});
  });
  Pipeline pipeline(
      table_, nullptr, PipelineOptions{1 << 20, false},
      [](const std::string&, const std::string&) { throw std::runtime_error("reporter broke"); },
      nullptr);
  const auto response = pipeline.handle(Req(Method::get, "/fails"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "internal");
}

TEST_F(PipelineTest, HeadHasAnEmptyBody) {
  int calls = 0;
  AddRoute(plugin_, Spec(Method::get, "/page"), [&](const http::Request&) {
    ++calls;
    return http::Response::text("hello");
  });
  const Pipeline pipeline = Make();
  auto response = pipeline.handle(Req(Method::head, "/page"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(Header(response, "X-Request-Id"), MatchesRegex("[0-9a-f]{16}"));

  response = pipeline.handle(Req(Method::head, "/missing"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, "");
}

TEST_F(PipelineTest, OutOfRangeStatusBecomes500) {
  AddRoute(plugin_, Spec(Method::get, "/weird"),
           [](const http::Request&) { return http::Response::text("x", 700); });
  AddRoute(plugin_, Spec(Method::get, "/zero"),
           [](const http::Request&) { return http::Response::text("x", 0); });
  const Pipeline pipeline = Make();
  EXPECT_EQ(pipeline.handle(Req(Method::get, "/weird")).status, 500);
  EXPECT_EQ(pipeline.handle(Req(Method::get, "/zero")).status, 500);
}

TEST_F(PipelineTest, PrepareCountsInFlightUntilCompleteOrReject) {
  AddRoute(plugin_, Spec(Method::get, "/work"), [&](const http::Request&) {
    EXPECT_EQ(table_.in_flight("plugin"), 1);
    return http::Response::text("done");
  });
  const Pipeline pipeline = Make();
  auto first = pipeline.prepare(Req(Method::get, "/work"));
  auto second = pipeline.prepare(Req(Method::get, "/work"));
  ASSERT_TRUE(first.route);
  EXPECT_FALSE(first.response);
  EXPECT_EQ(table_.in_flight("plugin"), 2);

  const auto rejected = pipeline.reject(second, 503, "overloaded", "the worker queue is full");
  EXPECT_EQ(rejected.status, 503);
  EXPECT_EQ(nlohmann::json::parse(rejected.body)["error"]["code"], "overloaded");
  EXPECT_EQ(table_.in_flight("plugin"), 1);

  const auto done = pipeline.complete(first);
  EXPECT_EQ(done.body, "done");
  EXPECT_EQ(table_.in_flight("plugin"), 0);

  // Answered early (404): no route, nothing in flight.
  auto early = pipeline.prepare(Req(Method::get, "/nowhere"));
  EXPECT_FALSE(early.route);
  ASSERT_TRUE(early.response);
  EXPECT_EQ(early.response->status, 404);
}

TEST_F(PipelineTest, MetricsCountRequestsByRouteAndStatus) {
  AddRoute(plugin_, Spec(Method::get, "/items/{id}"), [](const http::Request& r) {
    if (r.param("id") == "0") return http::Response::failure(404, "no_item", "no such item");
    return http::Response::text("item");
  });
  AddRoute(plugin_, Spec(Method::get, "/private", Access::admin),
           [](const http::Request&) { return http::Response::text("secret"); });
  const Pipeline pipeline = Make();
  pipeline.handle(Req(Method::get, "/items/1"));
  pipeline.handle(Req(Method::get, "/items/2"));
  pipeline.handle(Req(Method::head, "/items/3"));
  pipeline.handle(Req(Method::get, "/items/0"));
  pipeline.handle(Req(Method::get, "/private"));
  pipeline.handle(Req(Method::get, "/nope"));
  pipeline.handle(Req(Method::delete_, "/items/1"));

  std::string text;
  pipeline.render_metrics(text);
  EXPECT_THAT(text, HasSubstr("# TYPE lore_http_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_http_requests_total{method=\"GET\",route=\"/items/{id}\","
                              "status=\"200\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_http_requests_total{method=\"GET\",route=\"/items/{id}\","
                              "status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_http_requests_total{method=\"GET\",route=\"/private\","
                              "status=\"401\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_http_requests_total{method=\"ANY\",route=\"unmatched\","
                              "status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_http_requests_total{method=\"ANY\",route=\"unmatched\","
                              "status=\"405\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("status=\"500\"")));
  EXPECT_THAT(text, HasSubstr("# TYPE lore_http_request_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("\nlore_http_request_duration_seconds_count{method=\"GET\","
                              "route=\"/items/{id}\"} 4\n"));
}

}  // namespace
}  // namespace lore
