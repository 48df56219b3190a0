// Turns the errors SOCI and the database client libraries throw into the SDK's failure kinds,
// the one place that knows MySQL error numbers and SQLite result codes.
#pragma once

#include <exception>
#include <string>

#include "lore/sdk/db_value.h"

namespace lore {

sdk::db::Failure classify_database_error(const std::exception& error);

// A SQLite result code (extended or primary) and its message, as a failure kind.
sdk::db::ErrorKind sqlite_error_kind(int code, const std::string& message);

// True when the connection that produced `failure` can no longer be trusted and must be
// reopened before it is leased again.
// A statement timeout leaves the connection usable (the server cancelled the statement).
inline bool breaks_connection(const sdk::db::Failure& failure) {
  return failure.kind == sdk::db::ErrorKind::unavailable;
}

}  // namespace lore
