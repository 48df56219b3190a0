#include "storage/database_url.h"

#include <charconv>
#include <string_view>

namespace lore {

namespace {

// User names and passwords may hold '@', ':' or '/' percent-encoded, as in any URL.
std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

// The URL as messages show it: the password masked, whatever else is wrong with it.
std::string masked(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto at = url.rfind('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end)
    return std::string(url);
  const auto colon = url.find(':', scheme_end + 3);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

std::optional<DatabaseAddress> parse_mysql(std::string_view url, std::string_view rest,
                                           std::string& error) {
  DatabaseAddress a;
  a.dialect = sdk::db::Dialect::mysql;
  const std::string shape =
      "expected mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?socket=PATH], got '" + masked(url) +
      "'";
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    auto query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    while (!query.empty()) {
      auto amp = query.find('&');
      auto pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      auto eq = pair.find('=');
      auto key = pair.substr(0, eq);
      auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      if (key != "socket") {
        error =
            "unknown option '" + std::string(key) + "' in '" + masked(url) + "' (known: socket)";
        return std::nullopt;
      }
      auto decoded = percent_decoded(value);
      if (!decoded || decoded->empty()) {
        error = "socket= needs a path (percent-encoded where needed) in '" + masked(url) + "'";
        return std::nullopt;
      }
      a.socket = *decoded;
    }
  }
  auto at = rest.rfind('@');
  if (at == std::string_view::npos) {
    error = shape + " (no USER@)";
    return std::nullopt;
  }
  auto credentials = rest.substr(0, at);
  rest = rest.substr(at + 1);
  auto colon = credentials.find(':');
  auto user = percent_decoded(credentials.substr(0, colon));
  auto password = percent_decoded(colon == std::string_view::npos ? std::string_view{}
                                                                  : credentials.substr(colon + 1));
  if (!user || !password || user->empty()) {
    error = shape + " (user missing or badly percent-encoded)";
    return std::nullopt;
  }
  a.user = *user;
  a.password = *password;
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
    error = shape + " (no /DATABASE)";
    return std::nullopt;
  }
  a.database = std::string(rest.substr(slash + 1));
  auto hostport = rest.substr(0, slash);
  if (auto c = hostport.rfind(':'); c != std::string_view::npos) {
    auto port = hostport.substr(c + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
    if (ec != std::errc() || end != port.data() + port.size() || a.port < 1 || a.port > 65535) {
      error = "port in '" + masked(url) + "' is not between 1 and 65535";
      return std::nullopt;
    }
    hostport = hostport.substr(0, c);
  }
  if (hostport.empty()) {
    error = shape + " (no HOST)";
    return std::nullopt;
  }
  a.host = std::string(hostport);
  // SOCI's MySQL connection string quotes values with ' and has no escape for it.
  for (const auto* value : {&a.user, &a.password, &a.database, &a.host, &a.socket}) {
    if (value->find('\'') != std::string::npos) {
      error = "a ' in the user, password, host, database or socket of '" + masked(url) +
              "' cannot be passed to the MySQL client (SOCI quotes them with '); choose values "
              "without it";
      return std::nullopt;
    }
  }
  return a;
}

}  // namespace

std::string DatabaseAddress::redacted() const {
  if (dialect == sdk::db::Dialect::sqlite) return "sqlite://" + path;
  return "mysql://" + user + ":***@" + host + ":" + std::to_string(port) + "/" + database +
         (socket.empty() ? "" : "?socket=" + socket);
}

std::optional<DatabaseAddress> parse_database_url(const std::string& url, std::string& error) {
  std::string_view view(url);
  if (view.rfind("sqlite://", 0) == 0) {
    DatabaseAddress a;
    a.path = std::string(view.substr(9));
    if (a.path.empty()) {
      error = "expected sqlite://PATH (a file, or :memory:)";
      return std::nullopt;
    }
    if (a.path.find('"') != std::string::npos) {
      error = "the SQLite path may not contain '\"'";
      return std::nullopt;
    }
    return a;
  }
  for (std::string_view scheme : {"mysql://", "mariadb://"})
    if (view.rfind(scheme, 0) == 0) return parse_mysql(view, view.substr(scheme.size()), error);
  error = "expected a URL starting with one of: sqlite://, mysql://, mariadb://";
  return std::nullopt;
}

}  // namespace lore
