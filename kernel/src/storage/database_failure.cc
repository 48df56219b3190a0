#include "storage/database_failure.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>

namespace lore {

namespace {

using sdk::db::ErrorKind;
using sdk::db::Failure;

ErrorKind mysql_kind(int code) {
  switch (code) {
    case 1062:  // ER_DUP_ENTRY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
      return ErrorKind::duplicate;
    case 1213:  // ER_LOCK_DEADLOCK
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
      return ErrorKind::conflict;
    case 1969:  // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
    case 3024:  // MySQL ER_QUERY_TIMEOUT (max_execution_time)
    case 1317:  // ER_QUERY_INTERRUPTED
      return ErrorKind::timeout;
    case 1040:  // ER_CON_COUNT_ERROR
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2005:  // CR_UNKNOWN_HOST
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2026:  // CR_SSL_CONNECTION_ERROR
    case 2055:  // CR_SERVER_LOST_EXTENDED
      return ErrorKind::unavailable;
    case 1048:  // ER_BAD_NULL_ERROR
    case 1451:  // ER_ROW_IS_REFERENCED_2
    case 1452:  // ER_NO_REFERENCED_ROW_2
    case 3819:  // MySQL ER_CHECK_CONSTRAINT_VIOLATED
    case 4025:  // MariaDB ER_CONSTRAINT_FAILED
      return ErrorKind::constraint;
    default: return ErrorKind::invalid;
  }
}

}  // namespace

ErrorKind sqlite_error_kind(int code, const std::string& message) {
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      if (message.find("UNIQUE constraint failed") != std::string::npos ||
          message.find("PRIMARY KEY") != std::string::npos)
        return ErrorKind::duplicate;
      return ErrorKind::constraint;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorKind::conflict;
    case SQLITE_INTERRUPT: return ErrorKind::timeout;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return ErrorKind::unavailable;
    default: return ErrorKind::invalid;
  }
}

Failure classify_database_error(const std::exception& error) {
  std::string message = error.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (auto* e = dynamic_cast<const soci::mysql_soci_error*>(&error))
    return {mysql_kind(static_cast<int>(e->err_num_)), message};
  if (auto* e = dynamic_cast<const soci::sqlite3_soci_error*>(&error))
    return {sqlite_error_kind(e->result(), message), message};
  // SQLite statements go through SQLite's API (sqlite_statement.cc); SOCI only opens SQLite
  // connections, and open() reports every failure there as unavailable.
  if (auto* e = dynamic_cast<const soci::soci_error*>(&error);
      e && e->get_error_category() == soci::soci_error::connection_error)
    return {ErrorKind::unavailable, message};
  return {ErrorKind::invalid, message};
}

}  // namespace lore
