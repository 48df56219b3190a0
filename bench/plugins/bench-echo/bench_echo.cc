// bench-echo: the same fixed answer behind two access rules (see plugin.yaml).
#include <lore/sdk.h>

namespace {

using namespace lore::sdk;

class BenchEcho {
 public:
  Status start(Context& ctx) {
    for (const bool signed_in : {false, true}) {
      RouteSpec spec;
      spec.method = http::Method::get;
      spec.path = signed_in ? "/bench/signed-in" : "/bench/anonymous";
      spec.summary = "A fixed answer, for benchmarks.";
      spec.access = signed_in ? http::Access::authenticated : http::Access::anonymous;
      spec.execution = Execution::worker;  // both on the worker pool: only the rule differs
      if (auto s = ctx.routes().add(spec,
                                    [](const http::Request&) {
                                      return http::Response::text(R"({"ok":true})", 200,
                                                                  "application/json");
                                    });
          !s)
        return s;
    }
    return Status::ok();
  }
};

}  // namespace

LORE_PLUGIN(BenchEcho, "bench-echo", "1.0.0")
