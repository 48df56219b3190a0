// SHA-256 (libsodium) as 64 lower-case hex digits: migration checksums and stored session-token
// hashes.
#pragma once

#include <string>
#include <string_view>

namespace lore {

std::string sha256_hex(std::string_view data);

}  // namespace lore
