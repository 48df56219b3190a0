// UTF-8 as MySQL's utf8mb4 columns accept it, checked in the kernel so that SQLite (which
// stores any bytes) and MySQL (which refuses malformed text) treat input alike.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lore {

// Bytes of the well-formed sequence starting at text[at] (1 to 4), or 0 when there is none
// there (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short).
std::size_t utf8_sequence(std::string_view text, std::size_t at) noexcept;

bool is_utf8(std::string_view text) noexcept;

// At most `most` bytes of `text`, cut at a character boundary, each malformed byte as '?'.
std::string utf8_clipped(std::string_view text, std::size_t most);

}  // namespace lore
