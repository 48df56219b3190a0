#include "http/openapi.h"

#include <algorithm>

namespace lore {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

nlohmann::json error_response(const std::string& description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

nlohmann::json build_openapi(const RouteTable& routes, const std::string& version) {
  nlohmann::json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "Lore API"},
        {"version", version},
        {"description",
         "Paid-knowledge platform API. Errors use the envelope "
         "{\"error\":{\"code\",\"message\",\"request_id\"}}."}}},
      {"paths", nlohmann::json::object()},
      {"components",
       {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"required", {"error"}},
            {"properties",
             {{"error",
               {{"type", "object"},
                {"required", {"code", "message", "request_id"}},
                {"properties",
                 {{"code", {{"type", "string"}}},
                  {"message", {{"type", "string"}}},
                  {"request_id", {{"type", "string"}}},
                  {"details", nlohmann::json::object()}}}}}}}}}}}}}};

  for (const auto& route : routes.routes()) {
    const auto& spec = route->spec;
    nlohmann::json op = {
        {"summary", spec.summary},
        {"tags",
         spec.tags.empty() ? nlohmann::json::array({route->owner}) : nlohmann::json(spec.tags)},
        {"x-lore-owner", route->owner},
        {"x-lore-access", sdk::http::describe(*spec.access)},
        {"responses",
         {{"200", {{"description", "Success"}}}, {"default", error_response("Error")}}}};
    nlohmann::json parameters = nlohmann::json::array();
    for (const auto& segment : route->segments) {
      if (segment.size() > 2 && segment.front() == '{')
        parameters.push_back({{"name", segment.substr(1, segment.size() - 2)},
                              {"in", "path"},
                              {"required", true},
                              {"schema", {{"type", "string"}}}});
    }
    if (!parameters.empty()) op["parameters"] = parameters;
    using Kind = sdk::http::Access::Kind;
    if (!spec.scope.empty()) op["x-lore-scope"] = spec.scope;
    if (spec.access->kind() != Kind::anonymous) {
      op["security"] = nlohmann::json::array({{{"bearer", nlohmann::json::array()}}});
      op["responses"]["401"] = error_response("Not signed in, or the token is invalid");
      if (spec.access->kind() == Kind::role)
        op["responses"]["403"] =
            error_response("Lacks the role '" + spec.access->role_name() + "' (admins pass)");
      if (spec.access->kind() == Kind::owner)
        op["responses"]["404"] = error_response("No such resource, or not the caller's");
    }
    if (spec.openapi.is_object()) op.merge_patch(spec.openapi);
    doc["paths"][spec.path][lower(sdk::http::to_string(spec.method))] = std::move(op);
  }
  return doc;
}

}  // namespace lore
