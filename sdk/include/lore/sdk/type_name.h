// A readable, compiler-stable name for a type, used to check at run time that every listener
// of a hook and every consumer of a service agree on the payload type. std::type_info is not
// used because it lives in the library that created it and dies when that library unloads.
#pragma once

#include <string_view>

// Deliberately in the global namespace: GCC prints a type relative to the namespace of the
// function naming it, so inside lore::sdk it would shorten lore::sdk::X to X.
template <class T>
constexpr std::string_view lore_sdk_pretty_type_name() noexcept {
  std::string_view pretty = __PRETTY_FUNCTION__;
#if defined(__clang__)
  constexpr std::string_view prefix = "[T = ";
  constexpr std::string_view suffix = "]";
#else
  constexpr std::string_view prefix = "[with T = ";
  constexpr std::string_view suffix = "; std::string_view = std::basic_string_view<char>]";
#endif
  auto begin = pretty.find(prefix);
  if (begin == std::string_view::npos) return pretty;
  begin += prefix.size();
  auto end = pretty.rfind(suffix);
  if (end == std::string_view::npos || end < begin) end = pretty.size() - 1;
  return pretty.substr(begin, end - begin);
}

namespace lore::sdk {

template <class T>
constexpr std::string_view type_name() noexcept {
  return lore_sdk_pretty_type_name<T>();
}

// Types in an anonymous namespace print alike in every library ("{anonymous}::X") while being
// different types, so the kernel refuses them as hook payloads and service interfaces.
constexpr bool is_shareable_type_name(std::string_view name) noexcept {
  return name.find("{anonymous}") == std::string_view::npos &&
         name.find("(anonymous namespace)") == std::string_view::npos;
}

}  // namespace lore::sdk
