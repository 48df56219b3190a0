// What a handler may put in response headers: no line breaks, no framing headers.
#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/in_process.h"

namespace lore::test {
namespace {

TEST(ResponseHeaders, LineBreaksAndFramingHeadersFromHandlersAreDropped) {
  const auto port = free_port();
  Kernel kernel(config_from_yaml(kernel_yaml(port, "")));
  sdk::RouteSpec spec;
  spec.path = "/test/headers";
  spec.summary = "Returns hostile headers";
  spec.access = sdk::http::Access::anonymous;
  ASSERT_TRUE(kernel.routes()
                  .add("test", nullptr, spec,
                       [](const sdk::http::Request&) {
                         auto r = sdk::http::Response::text("hello", 200,
                                                            "text/plain\r\nSet-Cookie: a=1");
                         r.headers.emplace_back("X-Fine", "yes");
                         r.headers.emplace_back("X-Split", "a\r\nSet-Cookie: b=2");
                         r.headers.emplace_back("Content-Length", "999");
                         r.headers.emplace_back("transfer-encoding", "chunked");
                         r.headers.emplace_back("Connection", "upgrade");
                         return r;
                       })
                  .is_ok());
  kernel.start();
  auto r = get("http://127.0.0.1:" + std::to_string(port) + "/test/headers");
  kernel.stop();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("x-fine"), "yes");
  EXPECT_EQ(r.header("x-split"), "");
  EXPECT_EQ(r.header("set-cookie"), "");
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  EXPECT_EQ(r.header("content-length"), "5");
  EXPECT_EQ(r.header("transfer-encoding"), "");
  EXPECT_EQ(r.header("connection"), "keep-alive");
}

}  // namespace
}  // namespace lore::test
