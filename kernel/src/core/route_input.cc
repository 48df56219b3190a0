#include "core/route_input.h"

#include "lore/sdk/text.h"

namespace lore {

namespace sh = sdk::http;

using sdk::text::positive_integer;

std::optional<std::int64_t> id_param(const sh::Request& request, std::string_view name) {
  return positive_integer(request.param(name));
}

Page page_of(const sh::Request& request, int fallback, int max,
             std::vector<sh::FieldError>& errors) {
  Page page{fallback, 0};
  if (auto limit = request.query_param("limit")) {
    auto value = positive_integer(*limit);
    if (!value || *value > max)
      errors.push_back({"limit", "out_of_range",
                        "limit must be a whole number from 1 to " + std::to_string(max)});
    else
      page.limit = static_cast<int>(*value);
  }
  if (auto cursor = request.query_param("cursor")) {
    auto value = positive_integer(*cursor);
    if (!value)
      errors.push_back({"cursor", "invalid_cursor", "cursor must be a next_cursor from a page"});
    else
      page.after_id = *value;
  }
  return page;
}

std::optional<std::vector<std::string>> string_list_field(const nlohmann::json& body,
                                                          const std::string& field,
                                                          std::vector<sh::FieldError>& errors) {
  auto it = body.find(field);
  if (it == body.end()) {
    errors.push_back({field, "required", field + " is required"});
    return std::nullopt;
  }
  if (!it->is_array()) {
    errors.push_back({field, "invalid_type", field + " must be a list of strings"});
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : *it) {
    if (!item.is_string()) {
      errors.push_back({field, "invalid_type", field + " must be a list of strings"});
      return std::nullopt;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace lore
