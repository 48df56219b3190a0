// The authorization matrix, generated from the live route table with every first-party plugin
// running: each route's declared access rule and scope must match the expectation written here,
// so a new route fails this suite until someone decides who may call it; then every route is
// called as anonymous, a learner, a creator, an admin and (for owner routes) another user, and
// the gate must answer as the rule says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "accounts/account_service.h"
#include "catalog/catalog_service.h"
#include "commerce/commerce_service.h"
#include "http/route_table.h"
#include "support/api_call.h"
#include "support/in_process.h"
#include "support/test_database.h"

namespace lore::test {
namespace {

using sdk::http::Access;
using sdk::http::Method;

struct Expected {
  std::string access;  // sdk::http::describe: anonymous, authenticated, role:admin, owner...
  std::string scope;   // RouteSpec::scope
};

// Who may call what. Add a line when you add a route, after deciding its rule.
const std::map<std::string, Expected>& expectations() {
  static const std::map<std::string, Expected> table = {
      {"GET /healthz", {"anonymous", ""}},
      {"GET /readyz", {"anonymous", ""}},
      {"GET /metrics", {"anonymous", ""}},
      {"GET /api/v1/openapi.json", {"anonymous", ""}},
      {"GET /api/v1/plugins", {"role:admin", "plugins:read"}},
      {"POST /api/v1/admin/plugins/{name}/enable", {"role:admin", "plugins:write"}},
      {"POST /api/v1/admin/plugins/{name}/disable", {"role:admin", "plugins:write"}},
      {"DELETE /api/v1/admin/plugins/{name}/switch", {"role:admin", "plugins:write"}},
      {"GET /api/v1/me", {"authenticated", "profile"}},
      {"POST /api/v1/auth/logout", {"authenticated", ""}},
      {"GET /api/v1/me/sessions", {"authenticated", ""}},
      {"DELETE /api/v1/me/sessions", {"authenticated", ""}},
      {"DELETE /api/v1/me/sessions/{id}", {"owner", ""}},
      {"GET /api/v1/admin/users", {"role:admin", "users:read"}},
      {"GET /api/v1/admin/users/{id}", {"role:admin", "users:read"}},
      {"PUT /api/v1/admin/users/{id}/roles", {"role:admin", "users:write"}},
      {"POST /api/v1/admin/users/{id}/suspend", {"role:admin", "users:write"}},
      {"POST /api/v1/admin/users/{id}/activate", {"role:admin", "users:write"}},
      // catalog
      {"GET /api/v1/courses", {"anonymous", ""}},
      {"GET /api/v1/courses/{course}", {"anonymous", ""}},
      {"POST /api/v1/courses", {"role:creator", "courses:write"}},
      {"PATCH /api/v1/courses/{course}", {"owner", "courses:write"}},
      {"POST /api/v1/courses/{course}/publish", {"owner", "courses:write"}},
      {"POST /api/v1/courses/{course}/archive", {"owner", "courses:write"}},
      {"GET /api/v1/courses/{course}/items/{item}", {"anonymous", ""}},
      {"POST /api/v1/courses/{course}/items/{item}/progress", {"authenticated", ""}},
      {"GET /api/v1/me/library", {"authenticated", "library"}},
      {"POST /api/v1/admin/courses/{course}/entitlements", {"role:admin", "entitlements:write"}},
      {"DELETE /api/v1/admin/courses/{course}/entitlements/{user}",
       {"role:admin", "entitlements:write"}},
      {"POST /api/v1/orders", {"authenticated", "orders:write"}},
      {"GET /api/v1/me/orders", {"authenticated", "orders:read"}},
      {"GET /api/v1/orders/{order}", {"owner", "orders:read"}},
      {"POST /api/v1/orders/{order}/refund", {"owner", "orders:write"}},
      {"GET /api/v1/me/earnings", {"authenticated", "earnings:read"}},
      {"GET /api/v1/admin/ledger", {"role:admin", "ledger:read"}},
      {"GET /api/v1/admin/events", {"role:admin", "events:read"}},
      {"POST /api/v1/payments/{provider}/webhook", {"anonymous", ""}},
      // auth-password
      {"POST /api/v1/auth/register", {"anonymous", ""}},
      {"POST /api/v1/auth/login", {"anonymous", ""}},
      {"POST /api/v1/auth/password", {"authenticated", ""}},
      // auth-apikey
      {"POST /api/v1/admin/api-keys", {"role:admin", ""}},
      {"GET /api/v1/admin/api-keys", {"role:admin", ""}},
      {"DELETE /api/v1/admin/api-keys/{id}", {"role:admin", ""}},
      // hello
      {"GET /api/v1/hello", {"anonymous", ""}},
      {"POST /api/v1/hello/visits", {"anonymous", ""}},
      {"GET /api/v1/hello/visits", {"anonymous", ""}},
  };
  return table;
}

std::string key_of(const Route& route) {
  return std::string(sdk::http::to_string(route.spec.method)) + " " + route.spec.path;
}

class AuthorizationMatrix : public ::testing::TestWithParam<sdk::db::Dialect> {
 protected:
  void SetUp() override {
    db_ = TestDatabase::of(GetParam());
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
    kernel_ =
        std::make_unique<Kernel>(config_from_yaml(kernel_yaml(0,
                                                              "  hello: { enabled: true }\n"
                                                              "  auth-password: { enabled: true }\n"
                                                              "  auth-apikey: { enabled: true }\n"
                                                              "  course-basic: { enabled: true }\n",
                                                              db_->yaml())),
                                 KernelOptions{.serve_http = false});
    kernel_->start();
    for (const auto* plugin : {"hello", "auth-password", "auth-apikey", "course-basic"})
      ASSERT_EQ(state_of(*kernel_, plugin), "running") << reason_of(*kernel_, plugin);
    auto& users = kernel_->accounts().users();
    for (const auto& [name, role] : {std::pair{"learner", "learner"}, std::pair{"other", "learner"},
                                     std::pair{"creator", "creator"}, std::pair{"admin", "admin"}})
      ids_[name] = users.create({std::string(name) + "@matrix.test", name, {role}}).id;
  }

  // A fresh session each call: some routes end the session they are called with.
  std::string token_of(const std::string& who) {
    if (who == "anonymous") return "";
    return kernel_->accounts().sessions().issue(ids_.at(who), "matrix", "").token;
  }

  std::optional<TestDatabase> db_;
  std::unique_ptr<Kernel> kernel_;
  std::map<std::string, std::int64_t> ids_;
};

TEST_P(AuthorizationMatrix, EveryRouteDeclaresTheExpectedRule) {
  std::set<std::string> live;
  for (const auto& route : kernel_->routes().routes()) {
    const auto key = key_of(*route);
    live.insert(key);
    auto it = expectations().find(key);
    if (it == expectations().end()) {
      ADD_FAILURE() << "new route " << key << " (" << route->owner << ", declared "
                    << sdk::http::describe(*route->spec.access)
                    << "): decide who may call it and add it to this matrix";
      continue;
    }
    EXPECT_EQ(sdk::http::describe(*route->spec.access), it->second.access) << key;
    EXPECT_EQ(route->spec.scope, it->second.scope) << key;
  }
  for (const auto& [key, expected] : expectations())
    EXPECT_TRUE(live.count(key)) << key << " is in the matrix but no longer registered";
}

TEST_P(AuthorizationMatrix, EveryRouteAnswersEveryCallerAsItsRuleSays) {
  // Resources owned by "learner", made fresh for each call of an owner route.
  const auto learners_course = [&] {
    static int made = 0;
    const nlohmann::json body = {{"type", "basic"},
                                 {"title", "Course " + std::to_string(++made)},
                                 {"price", {{"amount_minor", 100}, {"currency", "CNY"}}},
                                 {"content", {{"items", {{{"id", "one"}, {"title", "One"}}}}}}};
    return std::to_string(kernel_->catalog().create(body, ids_.at("learner")).id);
  };
  // A pending order (a refund of it is refused by the handler, not the gate).
  const auto learners_order = [&] {
    const auto course = std::stoll(learners_course());
    return std::to_string(kernel_->database()
                              .transact([&](sdk::db::Transaction& tx) {
                                return kernel_->commerce().orders().create(
                                    tx, {ids_.at("learner"),
                                         course,
                                         "t",
                                         {100, "CNY"},
                                         "sandbox",
                                         "pending",
                                         kernel_->clock().now_ms() + 60000});
                              })
                              .id);
  };
  const std::map<std::string, std::function<std::string()>> owned_resource = {
      {"DELETE /api/v1/me/sessions/{id}",
       [&] {
         return std::to_string(
             kernel_->accounts().sessions().issue(ids_.at("learner"), "matrix", "").session.id);
       }},
      {"PATCH /api/v1/courses/{course}", learners_course},
      {"POST /api/v1/courses/{course}/publish", learners_course},
      {"POST /api/v1/courses/{course}/archive", learners_course},
      {"GET /api/v1/orders/{order}", learners_order},
      {"POST /api/v1/orders/{order}/refund", learners_order},
  };
  // What a parameter is set to elsewhere: something that names nothing, so no call changes
  // anybody (the handlers answer 404 for it, which is not the gate's answer).
  const auto fill = [](std::string path, const std::string& value) {
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      const auto close = path.find('}', open);
      path.replace(open, close - open + 1, value);
    }
    return path;
  };

  int checked = 0;
  for (const auto& route : kernel_->routes().routes()) {
    const auto key = key_of(*route);
    const auto& access = *route->spec.access;
    using Kind = Access::Kind;
    for (const std::string who : {"anonymous", "learner", "other", "creator", "admin"}) {
      SCOPED_TRACE(key + " as " + who);
      std::string path = route->spec.path;
      if (access.kind() == Kind::owner) {
        auto factory = owned_resource.find(key);
        ASSERT_NE(factory, owned_resource.end())
            << "owner route " << key << " needs a resource factory in this test";
        path = fill(path, factory->second());
      } else {
        path = fill(path, "999999999");
      }
      const auto answer = call_api(*kernel_, {route->spec.method, path, "{}", token_of(who)});
      // Refused by the gate (not by the handler, which may well answer 400 or 404 to this
      // made-up request): 401/403, or the owner rule's 404.
      const bool refused = answer.status == 401 || answer.status == 403 ||
                           (answer.status == 404 && answer.message() == "no such resource");
      bool allowed = true;
      switch (access.kind()) {
        case Kind::anonymous: allowed = true; break;
        case Kind::authenticated: allowed = who != "anonymous"; break;
        case Kind::role:
          allowed = who == "admin" || (who != "anonymous" && who == access.role_name()) ||
                    (access.role_name() == "learner" && (who == "learner" || who == "other"));
          break;
        case Kind::owner:
          allowed = who == "learner" || (who == "admin" && access.admins_too());
          break;
      }
      EXPECT_EQ(refused, !allowed) << answer.status << " " << answer.raw.body;
      if (!allowed) {
        const int status = who == "anonymous" ? 401 : access.kind() == Kind::owner ? 404 : 403;
        EXPECT_EQ(answer.status, status) << answer.raw.body;
      }
      EXPECT_LT(answer.status, 500) << answer.raw.body;
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(expectations().size()) * 5);
}

INSTANTIATE_TEST_SUITE_P(Databases, AuthorizationMatrix,
                         ::testing::Values(sdk::db::Dialect::sqlite, sdk::db::Dialect::mysql),
                         [](const auto& param_info) {
                           return std::string(sdk::db::to_string(param_info.param));
                         });

}  // namespace
}  // namespace lore::test
