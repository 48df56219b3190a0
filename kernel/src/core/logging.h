// Log setup: one stderr sink shared by the kernel's and every plugin's named logger.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace lore {

void configure_logging(const std::string& level);
// A logger named after a plugin (or "http" for the access log), on the shared sink.
std::shared_ptr<spdlog::logger> named_logger(const std::string& name);

}  // namespace lore
