// A logger already tagged with the plugin's name.
#pragma once

#include <string_view>

namespace lore::sdk {

enum class LogLevel { trace, debug, info, warn, error };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message) noexcept = 0;

  void trace(std::string_view message) noexcept { log(LogLevel::trace, message); }
  void debug(std::string_view message) noexcept { log(LogLevel::debug, message); }
  void info(std::string_view message) noexcept { log(LogLevel::info, message); }
  void warn(std::string_view message) noexcept { log(LogLevel::warn, message); }
  void error(std::string_view message) noexcept { log(LogLevel::error, message); }
};

}  // namespace lore::sdk
