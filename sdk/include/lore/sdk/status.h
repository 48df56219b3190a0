// Outcome of a call across the plugin boundary: errors travel as values, never as exceptions.
#pragma once

#include <string>
#include <utility>

namespace lore::sdk {

class Status {
 public:
  static Status ok() { return Status{true, {}}; }
  static Status error(std::string message) { return Status{false, std::move(message)}; }

  bool is_ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const std::string& message() const noexcept { return message_; }

 private:
  Status(bool ok, std::string message) : ok_(ok), message_(std::move(message)) {}

  bool ok_;
  std::string message_;
};

}  // namespace lore::sdk
