// Values that travel to and from the database: statement parameters and result rows. Plain
// C++ types, so plugins never see the database library the kernel uses.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace lore::sdk::db {

// What went wrong, so callers (and the HTTP layer) can react without parsing messages.
enum class ErrorKind {
  unavailable,  // no connection: server down, pool exhausted within the lease timeout → 503
  timeout,      // the statement ran longer than database.statement_timeout_ms → 503
  duplicate,    // a unique key already holds this value → 409
  conflict,     // deadlock or lock wait; the whole transaction may be retried → 409
  constraint,   // another constraint (NOT NULL, foreign key, CHECK) → 500 (a bug)
  invalid,      // bad SQL, unknown column, wrong type read from a row → 500 (a bug)
};

constexpr std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::duplicate: return "duplicate";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::constraint: return "constraint";
    case ErrorKind::invalid: return "invalid";
  }
  return "invalid";
}

struct Failure {
  ErrorKind kind = ErrorKind::invalid;
  std::string message;
};

// Thrown by the SDK's inline helpers, inside the plugin; the kernel's side of the boundary
// reports failures as values, so no exception crosses it.
class Error : public std::runtime_error {
 public:
  explicit Error(Failure failure) : std::runtime_error(failure.message), kind_(failure.kind) {}
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }
  // Worth running the whole transaction again (deadlock, lock wait timeout).
  bool retryable() const noexcept { return kind_ == ErrorKind::conflict; }

 private:
  ErrorKind kind_;
};

// Bytes, as opposed to text: bound as a BLOB.
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// One parameter or column value. Integers of any width become int64 (an unsigned value above
// INT64_MAX is refused rather than wrapped); booleans are stored as 0/1 on every database;
// times are int64 milliseconds since the epoch, taken from Context::clock().
class Value {
 public:
  using Variant = std::variant<std::monostate, std::int64_t, double, std::string, bool, Blob>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>) Value(I i)
      : v_(to_int64(i)) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(Blob b) : v_(std::move(b)) {}
  template <class T>
  Value(const std::optional<T>& o) {
    if (o) *this = Value(*o);
  }

  bool is_null() const noexcept { return std::holds_alternative<std::monostate>(v_); }
  const Variant& variant() const noexcept { return v_; }

  // Typed read with the conversions the databases need: MySQL reports SUM over integers as a
  // double (its DECIMAL, exact below 2^53) and booleans as integers, and text may hold digits,
  // so integers are also read from integral doubles and decimal text. Throws Error(invalid) on
  // null or mismatch.
  template <class T>
  T as(std::string_view column = {}) const;

 private:
  template <class I>
  static std::int64_t to_int64(I i) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (i > static_cast<I>(std::numeric_limits<std::int64_t>::max()))
        throw Error(ErrorKind::invalid, "integer parameter does not fit in a signed 64-bit value");
    }
    return static_cast<std::int64_t>(i);
  }
  [[noreturn]] void mismatch(std::string_view column, std::string_view wanted) const {
    static constexpr std::string_view names[] = {"null", "integer", "double",
                                                 "text", "boolean", "blob"};
    throw Error(ErrorKind::invalid, "column '" + std::string(column) + "' holds " +
                                        std::string(names[v_.index()]) + ", not " +
                                        std::string(wanted));
  }

  Variant v_;
};

template <class T>
T Value::as(std::string_view column) const {
  if constexpr (std::is_same_v<T, bool>) {
    if (auto* b = std::get_if<bool>(&v_)) return *b;
    return as<std::int64_t>(column) != 0;
  } else if constexpr (std::is_integral_v<T>) {
    std::int64_t out = 0;
    if (auto* i = std::get_if<std::int64_t>(&v_)) {
      out = *i;
    } else if (auto* b = std::get_if<bool>(&v_)) {
      out = *b ? 1 : 0;
    } else if (auto* d = std::get_if<double>(&v_)) {
      if (!(std::trunc(*d) == *d && std::fabs(*d) < 9.2e18)) mismatch(column, "an integer");
      out = static_cast<std::int64_t>(*d);
    } else if (auto* s = std::get_if<std::string>(&v_)) {
      auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
      if (ec != std::errc() || end != s->data() + s->size()) mismatch(column, "an integer");
    } else {
      mismatch(column, "an integer");
    }
    if (out < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        (out > 0 && static_cast<std::uint64_t>(out) >
                        static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
      mismatch(column, "an integer in range");
    return static_cast<T>(out);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto* d = std::get_if<double>(&v_)) return static_cast<T>(*d);
    if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<T>(*i);
    if (auto* s = std::get_if<std::string>(&v_)) {
      double out = 0;
      auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
      if (ec == std::errc() && end == s->data() + s->size()) return static_cast<T>(out);
    }
    mismatch(column, "a number");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto* s = std::get_if<std::string>(&v_)) return *s;
    if (auto* b = std::get_if<Blob>(&v_)) return b->bytes;
    mismatch(column, "text");
  } else if constexpr (std::is_same_v<T, Blob>) {
    if (auto* b = std::get_if<Blob>(&v_)) return *b;
    if (auto* s = std::get_if<std::string>(&v_)) return Blob{*s};  // MySQL reports BLOBs as text
    mismatch(column, "a blob");
  } else {
    static_assert(!sizeof(T), "read as bool, an integer type, double, std::string or db::Blob");
  }
}

// One result row. Columns are looked up by name (as the SELECT names them) or by position.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}

  std::size_t size() const noexcept { return values_.size(); }
  const std::vector<std::string>& columns() const noexcept { return *columns_; }

  const Value& at(std::size_t index) const {
    if (index >= values_.size())
      throw Error(ErrorKind::invalid, "column index " + std::to_string(index) + " out of range");
    return values_[index];
  }
  const Value& at(std::string_view column) const { return values_[index_of(column)]; }

  bool is_null(std::string_view column) const { return at(column).is_null(); }

  // The value, converted; throws Error(invalid) when it is NULL or of another type.
  template <class T>
  T get(std::string_view column) const {
    const auto& v = at(column);
    if (v.is_null())
      throw Error(ErrorKind::invalid,
                  "column '" + std::string(column) + "' is NULL; read it with get_optional");
    return v.as<T>(column);
  }
  template <class T>
  T get(std::size_t index) const {
    const auto& v = at(index);
    if (v.is_null())
      throw Error(ErrorKind::invalid,
                  "column " + std::to_string(index) + " is NULL; read it with get_optional");
    return v.as<T>((*columns_)[index]);
  }
  // nullopt for NULL.
  template <class T>
  std::optional<T> get_optional(std::string_view column) const {
    const auto& v = at(column);
    if (v.is_null()) return std::nullopt;
    return v.as<T>(column);
  }

 private:
  std::size_t index_of(std::string_view column) const {
    for (std::size_t i = 0; i < columns_->size(); ++i)
      if ((*columns_)[i] == column) return i;
    throw Error(ErrorKind::invalid, "no column '" + std::string(column) + "' in the result");
  }

  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Value> values_;
};

// What a statement produced: rows for a query, counts for a change.
struct Result {
  std::vector<Row> rows;
  std::int64_t affected_rows = 0;   // rows changed by INSERT, UPDATE, DELETE
  std::int64_t last_insert_id = 0;  // the id an INSERT into an auto-increment table gave

  bool empty() const noexcept { return rows.empty(); }
  std::size_t size() const noexcept { return rows.size(); }
  auto begin() const noexcept { return rows.begin(); }
  auto end() const noexcept { return rows.end(); }
  const Row& front() const { return rows.at(0); }
};

}  // namespace lore::sdk::db
