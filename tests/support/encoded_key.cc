#include "support/encoded_key.h"

#include <openssl/crypto.h>
#include <openssl/encoder.h>

#include <memory>
#include <stdexcept>

namespace lore::test {

std::string encoded_key(const EVP_PKEY& key, int selection, const char* type,
                        const char* structure) {
  struct Free {
    void operator()(OSSL_ENCODER_CTX* c) const { OSSL_ENCODER_CTX_free(c); }
  };
  std::unique_ptr<OSSL_ENCODER_CTX, Free> ctx(
      OSSL_ENCODER_CTX_new_for_pkey(&key, selection, type, structure, nullptr));
  unsigned char* data = nullptr;
  std::size_t length = 0;
  if (!ctx || OSSL_ENCODER_to_data(ctx.get(), &data, &length) != 1)
    throw std::runtime_error(std::string("cannot encode the test key as ") + structure);
  std::string out(reinterpret_cast<char*>(data), length);
  OPENSSL_free(data);
  return out;
}

}  // namespace lore::test
