// Helpers for the Prometheus text exposition format.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace lore::prometheus {

// Escapes a label value: backslash, double quote and newline.
std::string escape(std::string_view value);

// `a="x",b="y"` from name/value pairs, values escaped.
std::string labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help);

}  // namespace lore::prometheus
