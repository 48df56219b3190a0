#include "support/api_call.h"

namespace lore::test {

std::string ApiAnswer::code() const {
  return body.is_object() && body.contains("error") ? body["error"]["code"].get<std::string>() : "";
}

std::string ApiAnswer::message() const {
  return body.is_object() && body.contains("error") ? body["error"]["message"].get<std::string>()
                                                    : "";
}

std::vector<std::string> ApiAnswer::fields() const {
  std::vector<std::string> out;
  if (code() != "invalid_request") return out;
  for (const auto& f : body["error"]["details"]["fields"])
    out.push_back(f["field"].get<std::string>() + ":" + f["code"].get<std::string>());
  return out;
}

std::string ApiAnswer::header(const std::string& name) const {
  for (const auto& [n, v] : raw.headers)
    if (n == name) return v;
  return "";
}

ApiAnswer call_api(Kernel& kernel, const ApiCall& call) {
  sdk::http::Request r;
  r.method = call.method;
  const auto q = call.path.find('?');
  r.path = call.path.substr(0, q);
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(call.path).substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      r.query[std::string(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  r.remote_address = call.ip;
  r.headers["user-agent"] = "lore-tests";
  if (!call.token.empty()) r.headers["authorization"] = "Bearer " + call.token;
  for (const auto& [name, value] : call.headers) r.headers[name] = value;
  r.body = call.body;
  ApiAnswer a;
  a.raw = kernel.handle(std::move(r));
  a.status = a.raw.status;
  if (!a.raw.body.empty() && a.raw.content_type == "application/json")
    a.body = nlohmann::json::parse(a.raw.body);
  return a;
}

}  // namespace lore::test
