#include "plugin/plugin_instance.h"

#include <cstring>

#include "plugin/plugin_context.h"

namespace lore {

PluginInstance::~PluginInstance() {
  plugin.reset();
  context.reset();
}

std::variant<std::shared_ptr<LoadedLibrary>, std::string> load_plugin_library(
    const std::filesystem::path& path, const std::string& expected_name,
    const std::string& expected_version) {
  if (!std::filesystem::exists(path)) return "library " + path.string() + " does not exist";
  auto loaded = std::make_shared<LoadedLibrary>();
  loaded->path = path;
  boost::dll::fs::error_code error;
  // RTLD_LOCAL: a plugin's symbols never satisfy another plugin's references.
  loaded->library.load(path.string(), error,
                       boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  if (error) return "cannot load " + path.string() + ": " + error.message();
  if (!loaded->library.has(LORE_PLUGIN_DESCRIPTOR_SYMBOL))
    return "library " + path.filename().string() + " does not export " +
           LORE_PLUGIN_DESCRIPTOR_SYMBOL + " (missing LORE_PLUGIN?)";
  using DescriptorFn = const LorePluginDescriptor*() noexcept;
  auto& describe = loaded->library.get<DescriptorFn>(LORE_PLUGIN_DESCRIPTOR_SYMBOL);
  const LorePluginDescriptor* d = describe();
  if (d == nullptr) return "plugin descriptor is null";
  if (d->struct_size < sizeof(std::uint32_t) * 2) return "plugin descriptor is truncated";
  if (d->abi != sdk::kAbiVersion)
    return "built for SDK ABI " + std::to_string(d->abi) + ", kernel speaks ABI " +
           std::to_string(sdk::kAbiVersion) + " (rebuild the plugin against this SDK)";
  if (d->struct_size < sizeof(LorePluginDescriptor)) return "plugin descriptor is truncated";
  if (d->fingerprint == nullptr || std::strcmp(d->fingerprint, sdk::kBuildFingerprint) != 0)
    return std::string("build fingerprint mismatch: plugin '") +
           (d->fingerprint ? d->fingerprint : "?") + "', kernel '" + sdk::kBuildFingerprint +
           "' (rebuild with the same compiler and SDK)";
  if (d->name == nullptr || expected_name != d->name)
    return std::string("library declares plugin '") + (d->name ? d->name : "?") +
           "' but plugin.yaml says '" + expected_name + "'";
  if (d->version == nullptr || expected_version != d->version)
    return std::string("library declares version ") + (d->version ? d->version : "?") +
           " but plugin.yaml says " + expected_version;
  if (d->create == nullptr || d->destroy == nullptr)
    return "plugin descriptor lacks create/destroy";
  loaded->descriptor = d;
  return loaded;
}

}  // namespace lore
