// Upper-cases hello's greeting. It names hello's filter by declaring the same hook with the
// same payload type: plugins meet through the hook bus, never through each other's headers.
#include <lore/sdk.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace {
using namespace lore::sdk;

constexpr Filter<std::string> greeting_text{"hello.greeting"};

struct Shout {
  Status start(Context& ctx) {
    ctx.hooks().on(greeting_text,
                   [](const std::string& text) {
                     std::string loud = text;
                     std::transform(loud.begin(), loud.end(), loud.begin(), [](unsigned char c) {
                       return static_cast<char>(std::toupper(c));
                     });
                     return loud;
                   },
                   {.priority = 100});
    return Status::ok();
  }
};
}  // namespace

LORE_PLUGIN(Shout, "shout", "0.3.0")
