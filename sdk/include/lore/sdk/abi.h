// The binary contract between the kernel and a plugin library.
//
// Plugins are C++ shared libraries calling C++ interfaces, so the kernel refuses any library
// whose ABI number or build fingerprint differs from its own before calling into it. The
// descriptor itself is a plain C struct so that it can be read safely whatever the plugin was
// built with.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#define LORE_SDK_VERSION "0.4.1"
#define LORE_SDK_ABI 4

#define LORE_SDK_STRINGIFY_(x) #x
#define LORE_SDK_STRINGIFY(x) LORE_SDK_STRINGIFY_(x)

#if defined(__clang__)
#define LORE_SDK_COMPILER \
  "clang-" LORE_SDK_STRINGIFY(__clang_major__) "." LORE_SDK_STRINGIFY(__clang_minor__)
#elif defined(__GNUC__)
#define LORE_SDK_COMPILER "gcc-" LORE_SDK_STRINGIFY(__GNUC__) "." LORE_SDK_STRINGIFY(__GNUC_MINOR__)
#else
#define LORE_SDK_COMPILER "unknown-compiler"
#endif

#if defined(_GLIBCXX_RELEASE)
#define LORE_SDK_STDLIB                                                             \
  "libstdc++-" LORE_SDK_STRINGIFY(_GLIBCXX_RELEASE) "-cxx11abi" LORE_SDK_STRINGIFY( \
      _GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define LORE_SDK_STDLIB "libc++-" LORE_SDK_STRINGIFY(_LIBCPP_VERSION)
#else
#define LORE_SDK_STDLIB "unknown-stdlib"
#endif

// Debug containers change the layout of every std type that crosses the boundary.
#if defined(_GLIBCXX_DEBUG)
#define LORE_SDK_DEBUG_CONTAINERS "-debugcontainers"
#else
#define LORE_SDK_DEBUG_CONTAINERS ""
#endif

#define LORE_SDK_JSON                                                             \
  "json-" LORE_SDK_STRINGIFY(NLOHMANN_JSON_VERSION_MAJOR) "." LORE_SDK_STRINGIFY( \
      NLOHMANN_JSON_VERSION_MINOR)

// What must be identical between the kernel and a plugin for C++ objects to cross safely.
#define LORE_SDK_BUILD_FINGERPRINT                                                            \
  "sdk-" LORE_SDK_VERSION ";" LORE_SDK_COMPILER ";" LORE_SDK_STDLIB LORE_SDK_DEBUG_CONTAINERS \
  ";" LORE_SDK_JSON

namespace lore::sdk {

inline constexpr std::uint32_t kAbiVersion = LORE_SDK_ABI;
inline constexpr const char* kSdkVersion = LORE_SDK_VERSION;
inline constexpr const char* kBuildFingerprint = LORE_SDK_BUILD_FINGERPRINT;

class Plugin;

}  // namespace lore::sdk

extern "C" {

// Every field after `struct_size` may grow at the end only; the kernel reads `struct_size`
// and `abi` before anything else.
struct LorePluginDescriptor {
  std::uint32_t struct_size;
  std::uint32_t abi;
  const char* name;
  const char* version;
  const char* fingerprint;
  lore::sdk::Plugin* (*create)() noexcept;
  void (*destroy)(lore::sdk::Plugin*) noexcept;
};

}  // extern "C"

// The one symbol every plugin library exports.
#define LORE_PLUGIN_DESCRIPTOR_SYMBOL "lore_plugin_descriptor"
