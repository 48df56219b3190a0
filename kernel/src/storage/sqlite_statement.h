// Runs one statement on a SQLite connection through SQLite's own API. SOCI 4.0.3 opens and
// owns the connection, but its statement layer reads every column declared INTEGER as a 32-bit
// int (ids above 2^31 come back wrapped, silently) and binds blobs as text; the C API keeps
// every value exactly as stored, typed by what the row holds, not by the declared type.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "lore/sdk/db_value.h"

namespace lore {

// `native` is the connection's sqlite3* (SOCI's sqlite3_session_backend::conn_). Parameters are
// SQLite's own `?`.
std::optional<sdk::db::Failure> run_sqlite_statement(void* native, std::string_view sql,
                                                     std::span<const sdk::db::Value> params,
                                                     bool want_rows, sdk::db::Result& out);

}  // namespace lore
