// The OpenAPI 3 document assembled from the live route table, plugins' routes included.
#pragma once

#include <nlohmann/json.hpp>

#include "http/route_table.h"

namespace lore {

nlohmann::json build_openapi(const RouteTable& routes, const std::string& version);

}  // namespace lore
