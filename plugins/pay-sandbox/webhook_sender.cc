#include "webhook_sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "signature.h"

namespace pay_sandbox {

namespace {

constexpr std::size_t kMaxAnswerBytes = 16 * 1024;
constexpr long kConnectTimeoutMs = 5'000;
constexpr long kTimeoutMs = 15'000;

struct EasyCleanup {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct ListCleanup {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using Easy = std::unique_ptr<CURL, EasyCleanup>;
using HeaderList = std::unique_ptr<curl_slist, ListCleanup>;

// Never cleaned up: the library may be loaded again later in the same process, and
// curl_global_cleanup is not safe while anything else (another plugin) uses libcurl.
void init_curl_once() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK)
    throw std::runtime_error(std::string("libcurl could not be initialised: ") +
                             curl_easy_strerror(result));
}

std::size_t keep_answer(char* data, std::size_t size, std::size_t count, void* user) {
  auto* answer = static_cast<std::string*>(user);
  const auto bytes = size * count;
  if (answer->size() < kMaxAnswerBytes)
    answer->append(data, std::min(bytes, kMaxAnswerBytes - answer->size()));
  return bytes;  // the rest is read and dropped
}

HeaderList append(HeaderList list, const std::string& header) {
  curl_slist* grown = curl_slist_append(list.get(), header.c_str());
  if (grown == nullptr) throw std::bad_alloc();
  (void)list.release();  // now owned by `grown`
  return HeaderList(grown);
}

}  // namespace

WebhookSender::WebhookSender(std::string url) : url_(std::move(url)) { init_curl_once(); }

Delivery WebhookSender::post(const std::string& body, const std::string& signature_header) const {
  Delivery delivery;
  // Declared before the handle, so that the handle, which points at them, goes first.
  HeaderList headers;
  headers = append(std::move(headers), "Content-Type: application/json");
  headers = append(std::move(headers), std::string(kSignatureHeader) + ": " + signature_header);
  headers = append(std::move(headers), "Expect:");
  char error[CURL_ERROR_SIZE] = {};
  Easy curl(curl_easy_init());
  if (!curl) {
    delivery.error = "curl_easy_init failed";
    return delivery;
  }

  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85: CURLOPT_PROTOCOLS_STR replaces CURLOPT_PROTOCOLS
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // called from worker threads
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, kTimeoutMs);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "lore-pay-sandbox/1.0.0");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_answer);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &delivery.answer);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

  const CURLcode result = curl_easy_perform(h);
  if (result != CURLE_OK) {
    delivery.error = error[0] != '\0' ? error : curl_easy_strerror(result);
    delivery.answer.clear();
    return delivery;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &delivery.status);
  return delivery;
}

}  // namespace pay_sandbox
