// A test key as text or DER, through OpenSSL 3's encoders: what `openssl genrsa` or Alipay's
// key tool write. `selection` is OSSL_KEYMGMT_SELECT_KEYPAIR or ..._PUBLIC_KEY, `type` "PEM" or
// "DER", `structure` "PrivateKeyInfo" (PKCS#8), "type-specific" (PKCS#1) or
// "SubjectPublicKeyInfo". Throws when OpenSSL cannot encode it.
#pragma once

#include <openssl/evp.h>

#include <string>

namespace lore::test {

std::string encoded_key(const EVP_PKEY& key, int selection, const char* type,
                        const char* structure);

}  // namespace lore::test
