// A kernel in the test process on a database of the test's own (SQLite, or MariaDB under
// `make test`, with its Redis as the cache), a test clock, signed-in people by name, and API
// calls as them: what the route tests of course types and the catalog share.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clocks.h"
#include "core/kernel.h"
#include "support/api_call.h"
#include "support/test_database.h"

namespace lore::test {

class ApiFixture : public ::testing::TestWithParam<sdk::db::Dialect> {
 protected:
  // Skips the test when MariaDB is asked for and `make test` did not start one.
  void SetUp() override;
  // Starts the kernel with `plugins_yaml` (indented under `plugins:`); asserts that each of
  // `must_run` is running.
  void Start(const std::string& plugins_yaml, const std::vector<std::string>& must_run);
  // A user with `roles` and a session, known by `name` afterwards.
  void Person(const std::string& name, std::vector<std::string> roles);
  // A published course of the test plugin course-basic by the Person `creator`, priced
  // `amount_minor` in `currency`, with a free preview item "intro" and a paid item "one".
  std::int64_t BasicCourse(const std::string& creator, const std::string& title,
                           std::int64_t amount_minor, const std::string& currency = "CNY");
  // `who` is a Person's name, or "" for anonymous.
  ApiAnswer Call(sdk::http::Method method, const std::string& path, const std::string& who = "",
                 const nlohmann::json& body = nullptr);

  ManualClock clock_;
  std::optional<TestDatabase> db_;
  std::unique_ptr<Kernel> kernel_;
  std::string cache_yaml_;  // the kernel's cache: section (Redis, with its own key prefix)
  std::map<std::string, std::int64_t> ids_;
  std::map<std::string, std::string> tokens_;
};

// Test names end in /sqlite or /mysql.
std::string dialect_name(const ::testing::TestParamInfo<sdk::db::Dialect>& param);

}  // namespace lore::test
