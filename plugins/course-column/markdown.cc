#include "markdown.h"

#include <cmark.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace course_column {

std::string render_markdown(std::string_view markdown) {
  // CMARK_OPT_SAFE is the default in cmark 0.30 and spelled out here so that it stays on even
  // where an older cmark is installed; CMARK_OPT_UNSAFE is never passed.
  const int options = CMARK_OPT_DEFAULT | CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8;
  std::unique_ptr<char, decltype(&std::free)> html(
      cmark_markdown_to_html(markdown.data(), markdown.size(), options), &std::free);
  if (!html) throw std::runtime_error("cmark could not render the article");
  return std::string(html.get());
}

std::int64_t readable_characters(std::string_view text) {
  std::int64_t count = 0;
  for (unsigned char c : text) {
    const bool continuation = (c & 0xC0) == 0x80;
    const bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (!continuation && !space) ++count;
  }
  return count;
}

}  // namespace course_column
