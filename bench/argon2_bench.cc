// One argon2id verification with auth-password's defaults (19 MiB, 2 passes): the floor of a
// sign-in's cost, so bench/auth.sh can say how close login throughput comes to it.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <stdexcept>
#include <string>

namespace {

void BM_Argon2idVerify(benchmark::State& state) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  const std::string password = "correct horse battery staple";
  char encoded[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(encoded, password.data(), password.size(), 2, 19456 * 1024,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory");
  for (auto _ : state)
    benchmark::DoNotOptimize(crypto_pwhash_str_verify(encoded, password.data(), password.size()));
}
BENCHMARK(BM_Argon2idVerify)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
