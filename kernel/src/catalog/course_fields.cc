#include "catalog/course_fields.h"

#include <algorithm>
#include <set>

#include "core/utf8.h"
#include "lore/sdk/text.h"

namespace lore {

namespace sh = sdk::http;

namespace {

constexpr const char* kKnownFields[] = {"slug",      "type", "title", "summary",
                                        "cover_url", "tags", "price", "content"};

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

class Reader {
 public:
  Reader(const nlohmann::json& body, std::vector<sh::FieldError>& problems)
      : body_(body), problems_(problems) {}

  // The value at `field` when present and not null.
  const nlohmann::json* present(const char* field) const {
    auto it = body_.find(field);
    return it == body_.end() || it->is_null() ? nullptr : &*it;
  }
  void problem(std::string field, std::string code, std::string message) {
    problems_.push_back({std::move(field), std::move(code), std::move(message)});
  }
  // A string of `min`..`max` bytes of UTF-8 without control characters, trimmed of spaces.
  std::optional<std::string> text(const char* field, std::size_t min, std::size_t max) {
    const auto* v = present(field);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
      problem(field, "invalid_type", std::string(field) + " must be a string");
      return std::nullopt;
    }
    auto value = std::string(sdk::text::trim_spaces(v->get_ref<const std::string&>()));
    if (value.size() < min || value.size() > max) {
      problem(field, "invalid_length",
              std::string(field) + " must be " + std::to_string(min) + " to " +
                  std::to_string(max) + " bytes");
      return std::nullopt;
    }
    if (!is_utf8(value) || has_control(value)) {
      problem(field, "invalid_text",
              std::string(field) + " must be UTF-8 without control characters");
      return std::nullopt;
    }
    return value;
  }

 private:
  const nlohmann::json& body_;
  std::vector<sh::FieldError>& problems_;
};

bool slug_character(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

CourseFields read_course_fields(const nlohmann::json& body, bool creating,
                                std::vector<sh::FieldError>& problems) {
  CourseFields f;
  Reader in(body, problems);
  for (const auto& [key, value] : body.items())
    if (std::find(std::begin(kKnownFields), std::end(kKnownFields), key) == std::end(kKnownFields))
      in.problem(key, "unknown_field",
                 "unknown field; expected slug, type, title, summary, cover_url, tags, price or "
                 "content");

  if (auto slug = in.text("slug", 1, 100)) {
    const bool shaped = std::all_of(slug->begin(), slug->end(), slug_character) &&
                        slug->front() != '-' && slug->back() != '-';
    // Digits alone would read as an id in /api/v1/courses/{id|slug}.
    const bool numeric =
        std::all_of(slug->begin(), slug->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!shaped)
      in.problem("slug", "invalid_slug",
                 "slug must be lower-case letters, digits and inner hyphens (e.g. intro-to-go)");
    else if (numeric)
      in.problem("slug", "invalid_slug", "slug must contain a letter or a hyphen");
    else
      f.slug = std::move(*slug);
  }
  if (auto type = in.text("type", 1, 64)) {
    if (std::all_of(type->begin(), type->end(),
                    [](char c) { return slug_character(c) || c == '_'; }))
      f.type = std::move(*type);
    else
      in.problem("type", "unknown_type", "type must be the name of a course type");
  } else if (creating && in.present("type") == nullptr) {
    in.problem("type", "required", "type is required");
  }
  if (auto title = in.text("title", 1, 200))
    f.title = std::move(*title);
  else if (creating && in.present("title") == nullptr)
    in.problem("title", "required", "title is required");
  if (auto summary = in.text("summary", 0, 2000)) f.summary = std::move(*summary);
  if (auto cover = in.text("cover_url", 0, 2000)) {
    const bool web =
        cover->empty() || cover->rfind("https://", 0) == 0 || cover->rfind("http://", 0) == 0;
    if (!web || cover->find(' ') != std::string::npos)
      in.problem("cover_url", "invalid_url", "cover_url must be an http(s) URL without spaces");
    else
      f.cover_url = std::move(*cover);
  }

  if (const auto* tags = in.present("tags")) {
    if (!tags->is_array() || tags->size() > kMaxTags) {
      in.problem("tags", "invalid_type",
                 "tags must be a list of at most " + std::to_string(kMaxTags) + " strings");
    } else {
      std::set<std::string> unique;
      bool ok = true;
      for (std::size_t i = 0; i < tags->size(); ++i) {
        const auto& tag = (*tags)[i];
        const auto field = "tags[" + std::to_string(i) + "]";
        std::string value =
            tag.is_string() ? std::string(sdk::text::trim_spaces(tag.get_ref<const std::string&>()))
                            : std::string();
        if (!tag.is_string() || value.empty() || value.size() > 50 || !is_utf8(value) ||
            has_control(value) || value.find(',') != std::string::npos) {
          in.problem(field, "invalid_tag",
                     "a tag is 1 to 50 bytes of UTF-8, without commas or control characters");
          ok = false;
          continue;
        }
        unique.insert(sdk::text::ascii_lower(value));
      }
      if (ok) f.tags = std::vector<std::string>(unique.begin(), unique.end());
    }
  }

  if (const auto* price = in.present("price")) {
    const auto* amount =
        price->is_object() && price->contains("amount_minor") ? &(*price)["amount_minor"] : nullptr;
    const auto* currency =
        price->is_object() && price->contains("currency") ? &(*price)["currency"] : nullptr;
    if (!price->is_object()) {
      in.problem("price", "invalid_type",
                 "price must be {\"amount_minor\": integer, \"currency\": \"CNY\"}");
    } else {
      bool ok = true;
      if (amount == nullptr || !amount->is_number_integer() || amount->get<std::int64_t>() < 0 ||
          amount->get<std::int64_t>() > kMaxPriceMinor) {
        // Floats are refused on purpose: money is counted in minor units (fen, cents).
        in.problem("price.amount_minor", amount == nullptr ? "required" : "invalid_amount",
                   "amount_minor must be a whole number of minor units (fen, cents) from 0 to " +
                       std::to_string(kMaxPriceMinor));
        ok = false;
      }
      const std::string code =
          currency != nullptr && currency->is_string() ? currency->get<std::string>() : "";
      if (code.size() != 3 ||
          !std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        in.problem("price.currency", currency == nullptr ? "required" : "invalid_currency",
                   "currency must be an ISO 4217 code in capitals, e.g. CNY or USD");
        ok = false;
      }
      if (ok) f.price = sdk::courses::Price{amount->get<std::int64_t>(), code};
    }
  } else if (creating) {
    in.problem("price", "required",
               "price is required: {\"amount_minor\": 0, \"currency\": \"CNY\"} for a free course");
  }
  return f;
}

}  // namespace lore
