// A real `lore serve` on the test's MariaDB with a shop's plugins (auth-password, course-basic,
// pay-sandbox sending its webhooks to this very server), and JSON calls to it: what the
// end-to-end purchase tests share.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "support/http_client.h"
#include "support/lore_process.h"
#include "support/test_config.h"
#include "support/test_database.h"

namespace lore::test {

class ShopServer : public ::testing::Test {
 protected:
  static constexpr const char* kWebhookSecret = "shop-webhook-secret-0123456789abcdef";

  // Skips the test without MariaDB. `sandbox_settings` and `auth_settings` are extra YAML
  // lines (indented six spaces, and a flow map) for the plugins; `commerce` a commerce: block.
  void StartShop(const std::string& sandbox_settings = "", const std::string& auth_settings = "",
                 const std::string& more_yaml = "", int workers = 4);
  void TearDown() override;
  // Starts (again) `lore serve` on the same configuration; the log of the n-th start is
  // lore<n>.log in the test's directory.
  void StartServer();
  std::string ServerLogs() const;

  std::string url(const std::string& path) const;
  // A JSON call with an optional bearer token.
  HttpResult call(const std::string& method, const std::string& path, const std::string& token,
                  const nlohmann::json& body = nullptr,
                  std::map<std::string, std::string> headers = {});

  std::optional<TestDatabase> db_;
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::filesystem::path config_;
  std::unique_ptr<LoreProcess> lore_;
  int starts_ = 0;
};

}  // namespace lore::test
