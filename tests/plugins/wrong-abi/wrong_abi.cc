// Test plugin: its descriptor claims an SDK ABI the kernel does not speak.
#include <lore/sdk.h>

extern "C" __attribute__((visibility("default"))) const LorePluginDescriptor*
lore_plugin_descriptor() noexcept {
  static const LorePluginDescriptor descriptor{
      sizeof(LorePluginDescriptor), 999,     "wrong-abi", "1.0.0",
      LORE_SDK_BUILD_FINGERPRINT,   nullptr, nullptr};
  return &descriptor;
}
