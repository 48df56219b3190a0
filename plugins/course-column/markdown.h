// Markdown to HTML for articles written by creators and read by everyone else, so the output
// must be inert whatever the input: cmark's safe mode (its default since 0.29) replaces raw HTML
// with a comment and empties link and image targets with dangerous schemes (javascript:,
// vbscript:, file:, data: other than images).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace course_column {

std::string render_markdown(std::string_view markdown);

// Characters a reader reads: UTF-8 code points that are not white space.
std::int64_t readable_characters(std::string_view text);

}  // namespace course_column
