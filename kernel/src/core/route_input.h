// Reading a kernel route's input: ids in paths, pagination, typed JSON fields, with per-field
// 400s (sdk::http::invalid_fields) for anything malformed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/http.h"

namespace lore {

// A positive decimal id from the path, or nullopt (the caller answers 404).
std::optional<std::int64_t> id_param(const sdk::http::Request& request, std::string_view name);

// ?limit= (1..max, default `fallback`) and ?cursor= (an id, 0 when absent); problems are
// appended to `errors` (the caller answers them with the rest).
struct Page {
  int limit;
  std::int64_t after_id;
};
Page page_of(const sdk::http::Request& request, int fallback, int max,
             std::vector<sdk::http::FieldError>& errors);

// A list of strings at `field`, or a FieldError appended to `errors`.
std::optional<std::vector<std::string>> string_list_field(
    const nlohmann::json& body, const std::string& field,
    std::vector<sdk::http::FieldError>& errors);

}  // namespace lore
