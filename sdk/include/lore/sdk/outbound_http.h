// Calls to other HTTP services (a payment provider's API, a webhook receiver) with libcurl:
// one blocking request, its status and body. Optional part of the SDK: a plugin that includes
// this header links libcurl (Debian: libcurl4-openssl-dev; in CMake `find_package(CURL)` and
// `CURL::libcurl`). Not included by <lore/sdk.h>.
//
// Each call uses its own curl handle (RAII), so calls are safe from concurrent request
// threads. Redirects are never followed (a provider's API does not redirect; a webhook receiver
// that does is misconfigured), only http and https are allowed, and nothing is sent to stderr.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lore::sdk::outbound {

struct Request {
  std::string method = "POST";  // GET, POST, DELETE...
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type among them
  std::string body;                                          // sent for any method but GET
  std::string user_agent = "lore";
  long connect_timeout_ms = 5'000;
  long timeout_ms = 15'000;                    // the whole exchange
  std::size_t max_answer_bytes = 1024 * 1024;  // the rest of a longer answer is dropped
};

struct Reply {
  long status = 0;    // the HTTP status; 0 when the service could not be reached
  std::string body;   // what it answered (at most max_answer_bytes)
  std::string error;  // why it could not be reached (status 0)

  bool reached() const noexcept { return status != 0; }
  bool ok() const noexcept { return status >= 200 && status < 300; }
};

// `application/x-www-form-urlencoded` and query strings. Hand-written because libcurl's
// curl_easy_escape needs a handle and a free(); this is the RFC 3986 unreserved set, the rest
// as %XX (a space too, which every server reads as the '+' of HTML forms).
inline std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' || byte == '.' || byte == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

// `k1=v1&k2=v2`, in the order given, each side percent-encoded.
inline std::string form_encoded(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += percent_encoded(name);
    out += '=';
    out += percent_encoded(value);
  }
  return out;
}

inline bool http_url(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

// Whether `url` may carry a secret (an API key, a signed request): https, or plain http to
// this machine only (a test double).
inline bool confidential_url(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://127.0.0.1:") ||
         url.starts_with("http://localhost:") || url.starts_with("http://[::1]:");
}

namespace detail {

struct EasyCleanup {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct ListCleanup {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

// Never cleaned up: the plugin may be loaded again later in the same process, and
// curl_global_cleanup is not safe while anything else (another plugin) uses libcurl.
inline void init_curl_once() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK)
    throw std::runtime_error(std::string("libcurl could not be initialised: ") +
                             curl_easy_strerror(result));
}

struct Sink {
  std::string* body;
  std::size_t max;
};

inline std::size_t keep_answer(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const auto bytes = size * count;
  if (sink->body->size() < sink->max)
    sink->body->append(data, std::min(bytes, sink->max - sink->body->size()));
  return bytes;  // the rest is read and dropped
}

}  // namespace detail

// Sends `request` and waits for the answer. Throws only when libcurl cannot start at all;
// everything about the exchange itself is in the Reply.
inline Reply send(const Request& request) {
  detail::init_curl_once();
  Reply reply;
  // Declared before the handle, so that the handle, which points at it, goes first.
  std::unique_ptr<curl_slist, detail::ListCleanup> headers;
  auto add_header = [&](const std::string& line) {
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown == nullptr) throw std::bad_alloc();
    (void)headers.release();  // now owned by `grown`
    headers.reset(grown);
  };
  for (const auto& [name, value] : request.headers) add_header(name + ": " + value);
  add_header("Expect:");  // no 100-continue round trip
  char error[CURL_ERROR_SIZE] = {};
  std::unique_ptr<CURL, detail::EasyCleanup> curl(curl_easy_init());
  if (!curl) {
    reply.error = "curl_easy_init failed";
    return reply;
  }
  detail::Sink sink{&reply.body, request.max_answer_bytes};

  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85: CURLOPT_PROTOCOLS_STR replaces CURLOPT_PROTOCOLS
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // called from worker threads
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(h, CURLOPT_USERAGENT, request.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (request.method != "POST")
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, detail::keep_answer);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

  const CURLcode result = curl_easy_perform(h);
  if (result != CURLE_OK) {
    reply.error = error[0] != '\0' ? error : curl_easy_strerror(result);
    reply.body.clear();
    return reply;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace lore::sdk::outbound
