// Configurations for tests: a temporary directory, a free port, the build's plugin folders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace lore::test {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

// YAML for the kernel: server on `port`, both plugin folders on the path, and `plugins_yaml`
// (already indented under `plugins:`) appended. Extra top-level YAML may follow in `extra`.
std::string kernel_yaml(std::uint16_t port, const std::string& plugins_yaml,
                        const std::string& extra = "");

}  // namespace lore::test
