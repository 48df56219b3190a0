// Test plugin: requires hello, decorates its greeting and insists on running after hello's own
// listener even though its priority number is lower.
#include <lore/sdk.h>

#include <string>

namespace {
using namespace lore::sdk;

constexpr Filter<std::string> greeting_text{"hello.greeting"};

struct GreeterFan {
  Status start(Context& ctx) {
    auto suffix = ctx.settings().get<std::string>("suffix");
    ctx.hooks().on(greeting_text, [suffix](const std::string& text) { return text + suffix; },
                   {.priority = 1, .after = {"hello"}});
    return Status::ok();
  }
};
}  // namespace

LORE_PLUGIN(GreeterFan, "greeter-fan", "2.1.0")
