// The catalog fields of POST and PATCH /api/v1/courses, read from a JSON body with every
// problem named by field, so that one 400 lists them all. The type-specific `content` is not
// read here: the course type checks it.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "catalog/course_store.h"
#include "lore/sdk/http.h"

namespace lore {

// `creating`: type, title and price are required, and absent fields take their defaults.
// Unknown fields are refused (a typo in PATCH must not be silently ignored); "content" is left
// for the course type.
CourseFields read_course_fields(const nlohmann::json& body, bool creating,
                                std::vector<sdk::http::FieldError>& problems);

inline constexpr std::int64_t kMaxPriceMinor = 100'000'000'000;  // 1e9 in major units
inline constexpr std::size_t kMaxTags = 20;

}  // namespace lore
