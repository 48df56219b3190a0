// Hook bus dispatch cost, against a plain loop over the same callables.
//
// Every hook here has 10 listeners. Each case comes in three forms, all calling the same 10
// callables:
//   *_Ref       through a resolved handle (sdk::ActionRef / sdk::FilterRef), the hot path
//               plugins are told to use;
//   *_ByName    through bus.fire(hook, ...) / bus.apply(hook, ...), which resolves the name on
//               every call;
//   *_Baseline  a std::vector<std::function<...>> loop: the floor any type-erased bus pays.
// Each runs on 1 and 2 threads (the threads share one bus and fire the same hooks).
//
// Counters: ns_per_listener = wall time of one thread's loop / (its iterations * 10), averaged
// over threads; items_per_second counts listener calls. The bus is built with the kernel's
// default options (one dispatch in 16 is timed into the latency histograms); *_Ref_TimedEvery
// times every dispatch (hooks.timing_sample_every: 1) and *_Ref_Untimed almost none (the
// maximum, 1000000), which separates the cost of the sampled timing from the dispatch itself.
#include <benchmark/benchmark.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "hooks/hook_bus.h"

namespace {

using lore::sdk::Action;
using lore::sdk::ActionRef;
using lore::sdk::Filter;
using lore::sdk::FilterRef;

constexpr int kListeners = 10;

constexpr Action<int> action_int{"bench.action.int"};
constexpr Filter<int> filter_int{"bench.filter.int"};
constexpr Filter<std::string> filter_string{"bench.filter.string"};

// The callables, shared by the bus and the baseline.
auto action_listener(int i) {
  return [i](const int& value) {
    int seen = value + i;
    benchmark::DoNotOptimize(seen);
  };
}
auto int_filter_listener(int i) {
  return [i](const int& value) { return value + i; };
}
// Copies the value and changes its last character: what a small text filter does.
auto string_filter_listener(int i) {
  return [i](const std::string& value) {
    std::string out = value;
    out.back() = static_cast<char>('a' + i);
    return out;
  };
}

struct Fixture {
  explicit Fixture(lore::HookBus::Options options) : bus(options) {
    (void)bus.declare(action_int);
    (void)bus.declare(filter_int);
    (void)bus.declare(filter_string);
    for (int i = 0; i < kListeners; ++i) {
      bus.on(action_int, action_listener(i));
      bus.on(filter_int, int_filter_listener(i));
      bus.on(filter_string, string_filter_listener(i));
      plain_actions.emplace_back(action_listener(i));
      plain_int_filters.emplace_back(int_filter_listener(i));
      plain_string_filters.emplace_back(string_filter_listener(i));
    }
  }

  lore::HookBus bus;
  ActionRef<int> action_ref{bus, action_int};
  FilterRef<int> filter_int_ref{bus, filter_int};
  FilterRef<std::string> filter_string_ref{bus, filter_string};
  std::vector<std::function<void(const int&)>> plain_actions;
  std::vector<std::function<int(const int&)>> plain_int_filters;
  std::vector<std::function<std::string(const std::string&)>> plain_string_filters;
};

// Built once, before the first benchmark's threads start, and shared by them.
Fixture& fixture() {
  static Fixture f{lore::HookBus::Options{}};
  return f;
}
Fixture& fixture_timed_every_dispatch() {
  static Fixture f{lore::HookBus::Options{.timing_sample_every = 1}};
  return f;
}
Fixture& fixture_untimed() {
  static Fixture f{lore::HookBus::Options{.timing_sample_every = 1000000}};
  return f;
}

template <class Body>
void run(benchmark::State& state, Body&& body) {
  const auto started = std::chrono::steady_clock::now();
  for (auto _ : state) body();
  const double elapsed_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started).count();
  state.SetItemsProcessed(state.iterations() * kListeners);
  // Summed over threads, then divided by the iterations of all threads.
  state.counters["ns_per_listener"] =
      benchmark::Counter(elapsed_ns / kListeners, benchmark::Counter::kAvgIterations);
}

std::string input_string(benchmark::State& state) {
  return std::string(static_cast<std::size_t>(state.range(0)), 'x');
}

// --- action<int> -------------------------------------------------------------------------------

void BM_Action_Ref(benchmark::State& state) {
  auto& f = fixture();
  int payload = 1;
  run(state, [&] {
    f.action_ref.fire(payload);
    benchmark::ClobberMemory();
  });
}

void BM_Action_ByName(benchmark::State& state) {
  auto& f = fixture();
  int payload = 1;
  run(state, [&] {
    f.bus.fire(action_int, payload);
    benchmark::ClobberMemory();
  });
}

void BM_Action_Baseline(benchmark::State& state) {
  auto& f = fixture();
  int payload = 1;
  run(state, [&] {
    for (const auto& listener : f.plain_actions) listener(payload);
    benchmark::ClobberMemory();
  });
}

void BM_Action_Ref_TimedEvery(benchmark::State& state) {
  auto& f = fixture_timed_every_dispatch();
  int payload = 1;
  run(state, [&] {
    f.action_ref.fire(payload);
    benchmark::ClobberMemory();
  });
}

void BM_Action_Ref_Untimed(benchmark::State& state) {
  auto& f = fixture_untimed();
  int payload = 1;
  run(state, [&] {
    f.action_ref.fire(payload);
    benchmark::ClobberMemory();
  });
}

// --- filter<int> -------------------------------------------------------------------------------

void BM_FilterInt_Ref(benchmark::State& state) {
  auto& f = fixture();
  run(state, [&] {
    int value = f.filter_int_ref.apply(1);
    benchmark::DoNotOptimize(value);
  });
}

void BM_FilterInt_ByName(benchmark::State& state) {
  auto& f = fixture();
  run(state, [&] {
    int value = f.bus.apply(filter_int, 1);
    benchmark::DoNotOptimize(value);
  });
}

void BM_FilterInt_Baseline(benchmark::State& state) {
  auto& f = fixture();
  run(state, [&] {
    int value = 1;
    for (const auto& listener : f.plain_int_filters) value = listener(value);
    benchmark::DoNotOptimize(value);
  });
}

// --- filter<std::string>; the argument is the string's length (15 fits the SSO buffer) ---------

void BM_FilterString_Ref(benchmark::State& state) {
  auto& f = fixture();
  const std::string input = input_string(state);
  run(state, [&] {
    std::string value = f.filter_string_ref.apply(input);
    benchmark::DoNotOptimize(value.data());
  });
}

void BM_FilterString_ByName(benchmark::State& state) {
  auto& f = fixture();
  const std::string input = input_string(state);
  run(state, [&] {
    std::string value = f.bus.apply(filter_string, input);
    benchmark::DoNotOptimize(value.data());
  });
}

void BM_FilterString_Baseline(benchmark::State& state) {
  auto& f = fixture();
  const std::string input = input_string(state);
  run(state, [&] {
    std::string value = input;
    for (const auto& listener : f.plain_string_filters) value = listener(value);
    benchmark::DoNotOptimize(value.data());
  });
}

// Real time, like ns_per_listener. With 2 threads, Time is wall time / the iterations of both
// threads (throughput), while ns_per_listener is what each thread sees per call (latency).
#define LORE_BENCH(fn) BENCHMARK(fn)->UseRealTime()->Threads(1)->Threads(2)
#define LORE_BENCH_STRING(fn) BENCHMARK(fn)->UseRealTime()->Arg(12)->Arg(64)->Threads(1)->Threads(2)

LORE_BENCH(BM_Action_Ref);
LORE_BENCH(BM_Action_ByName);
LORE_BENCH(BM_Action_Baseline);
LORE_BENCH(BM_Action_Ref_TimedEvery);
LORE_BENCH(BM_Action_Ref_Untimed);
LORE_BENCH(BM_FilterInt_Ref);
LORE_BENCH(BM_FilterInt_ByName);
LORE_BENCH(BM_FilterInt_Baseline);
LORE_BENCH_STRING(BM_FilterString_Ref);
LORE_BENCH_STRING(BM_FilterString_ByName);
LORE_BENCH_STRING(BM_FilterString_Baseline);

}  // namespace

BENCHMARK_MAIN();
