// Sends one webhook with libcurl: a POST of the JSON body with its Sandbox-Signature header,
// and what the receiver answered. Blocking; one curl handle per call (RAII), so it is safe
// from concurrent request threads.
#pragma once

#include <string>

namespace pay_sandbox {

struct Delivery {
  long status = 0;     // the receiver's HTTP status; 0 when it could not be reached
  std::string answer;  // the receiver's body (at most 16 KiB of it)
  std::string error;   // why it could not be reached (status 0)

  bool accepted() const noexcept { return status >= 200 && status < 300; }
};

class WebhookSender {
 public:
  // Initialises libcurl once per process (curl_global_init); throws if that fails.
  explicit WebhookSender(std::string url);

  Delivery post(const std::string& body, const std::string& signature_header) const;

 private:
  std::string url_;
};

}  // namespace pay_sandbox
