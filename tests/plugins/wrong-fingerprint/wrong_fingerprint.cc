// Test plugin: its descriptor carries a build fingerprint that differs from the kernel's.
#include <lore/sdk.h>

extern "C" __attribute__((visibility("default"))) const LorePluginDescriptor*
lore_plugin_descriptor() noexcept {
  static const LorePluginDescriptor descriptor{sizeof(LorePluginDescriptor),
                                               LORE_SDK_ABI,
                                               "wrong-fingerprint",
                                               "1.0.0",
                                               "sdk-0.1.0;msvc-19.0;msvcrt;json-3.11",
                                               nullptr,
                                               nullptr};
  return &descriptor;
}
