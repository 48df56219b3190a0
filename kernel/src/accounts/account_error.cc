#include "accounts/account_error.h"

namespace lore {

namespace {

int status_of(const std::string& code) {
  if (code == "not_found") return 404;
  if (code == "suspended") return 403;
  if (code == "duplicate_email" || code == "last_admin") return 409;
  return 400;
}

nlohmann::json details_of(const std::string& code, const std::string& field,
                          const std::string& message) {
  if (field.empty()) return nullptr;
  return sdk::http::field_errors_details({{field, code, message}});
}

// A 400 about a field is answered like any other bad input (invalid_request, the field's own
// code in details.fields), so clients handle one shape.
sdk::http::Error error_of(const std::string& code, const std::string& field,
                          const std::string& message) {
  if (status_of(code) == 400 && !field.empty())
    return sdk::http::invalid_fields({{field, code, message}});
  return sdk::http::Error(status_of(code), code, message, details_of(code, field, message));
}

}  // namespace

AccountError::AccountError(std::string code, std::string field, const std::string& message)
    : sdk::http::Error(error_of(code, field, message)), field_(field) {
  if (!field.empty()) fields_.push_back({std::move(field), std::move(code), message});
}

AccountError::AccountError(std::vector<sdk::http::FieldError> fields)
    : sdk::http::Error(sdk::http::invalid_fields(fields)),
      field_(fields.empty() ? std::string{} : fields.front().field),
      fields_(std::move(fields)) {}

}  // namespace lore
