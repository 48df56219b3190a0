// The storage layer (connection pool, pooled connections, the SDK's sessions and transactions)
// against a real SQLite file and a real MariaDB schema: every test runs on both.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/logging.h"
#include "lore/sdk/database.h"
#include "lore/sdk/routes.h"
#include "lore/sdk/sql_dialect.h"
#include "storage/connection_pool.h"
#include "storage/database_url.h"
#include "storage/migration.h"
#include "storage/pooled_database.h"
#include "support/test_database.h"

namespace lore {
namespace {

namespace db = sdk::db;
namespace http = sdk::http;
using db::Dialect;
using db::ErrorKind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Runs `fn`, which must throw db::Error of `kind`; returns the error's message.
template <class F>
std::string ExpectDbError(ErrorKind kind, F&& fn) {
  try {
    fn();
  } catch (const db::Error& e) {
    EXPECT_EQ(db::to_string(e.kind()), db::to_string(kind)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a db::Error of kind " << db::to_string(kind) << ", nothing thrown";
  return {};
}

long long Millis(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string DialectName(const ::testing::TestParamInfo<Dialect>& param) {
  return std::string(db::to_string(param.param));
}

class StorageTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = test::TestDatabase::of(GetParam());
    if (!target_)
      GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set, so there is no MariaDB to test against; "
                      "run under scripts/with-test-servers.sh (as `make test` does)";
    Open(DatabaseOptions{});
  }

  // (Re)creates the pool and the database over the test's own database.
  void Open(DatabaseOptions options) {
    db_.reset();
    pool_.reset();
    std::string error;
    auto address = parse_database_url(target_->url(), error);
    ASSERT_TRUE(address) << error;
    pool_ = std::make_unique<ConnectionPool>(*address, options, named_logger("storage-test"));
    db_ = std::make_unique<PooledDatabase>(*pool_, "lore_", named_logger("storage-test"));
  }

  bool mysql() const { return GetParam() == Dialect::mysql; }

  // Schema text with the kernel's migration placeholders ({{id}}, {{bool}}, {{text}}, ...).
  void Create(std::string_view schema) {
    db_->session().execute(expand_schema_placeholders(schema, GetParam(), "storage_test"));
  }

  std::int64_t CountRows(const std::string& table) {
    return db_->session().query_one("SELECT COUNT(*) AS n FROM " + table)->get<std::int64_t>("n");
  }

  void CreateValues() {
    Create(
        "CREATE TABLE lore_values (\n"
        "  id {{id}},\n"
        "  i BIGINT NULL,\n"
        "  d DOUBLE NULL,\n"
        "  s VARCHAR(100) NULL,\n"
        "  t {{text}} NULL,\n"
        "  b {{bool}} NULL,\n"
        "  bl {{blob}} NULL\n"
        ") {{table_options}}");
  }
  // Inserts `value` into `column` of lore_values and reads it back.
  db::Row RoundTrip(const std::string& column, const db::Value& value) {
    auto session = db_->session();
    const auto id = session.insert("INSERT INTO lore_values (" + column + ") VALUES (?)", {value});
    auto row = session.query_one("SELECT " + column + " FROM lore_values WHERE id = ?", {id});
    if (!row) throw std::runtime_error("row " + std::to_string(id) + " not found");
    return *row;
  }

  // Rows with a unique name, a state for conditional updates and a number.
  void CreateItems() {
    Create(
        "CREATE TABLE lore_items (\n"
        "  id {{id}},\n"
        "  name VARCHAR(64) NOT NULL,\n"
        "  state VARCHAR(16) NOT NULL DEFAULT 'pending',\n"
        "  n BIGINT NOT NULL DEFAULT 0,\n"
        "  UNIQUE (name)\n"
        ") {{table_options}}");
  }

  // Kills MySQL connection `id` from a connection of a pool of its own.
  void KillFromOutside(std::int64_t id);

  std::optional<test::TestDatabase> target_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<PooledDatabase> db_;
};

// --- values ----------------------------------------------------------------------------------

TEST_P(StorageTest, Int64RoundTripsIncludingTheExtremes) {
  CreateValues();
  for (std::int64_t v :
       {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
        std::int64_t{0}, std::int64_t{-1}, std::int64_t{2147483648}, std::int64_t{-2147483649},
        std::int64_t{9007199254740993}}) {
    const auto row = RoundTrip("i", v);
    EXPECT_EQ(row.get<std::int64_t>("i"), v);
    EXPECT_EQ(row.get<std::int64_t>(0), v);
  }
  // Bound in a WHERE clause too.
  auto session = db_->session();
  const auto found = session.query("SELECT i FROM lore_values WHERE i = ?",
                                   {std::numeric_limits<std::int64_t>::min()});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.front().get<std::int64_t>("i"), std::numeric_limits<std::int64_t>::min());
}

TEST_P(StorageTest, NarrowerIntegersAreBoundAsInt64AndCheckedWhenRead) {
  CreateValues();
  EXPECT_EQ(RoundTrip("i", std::uint32_t{4294967295u}).get<std::int64_t>("i"), 4294967295);
  EXPECT_EQ(RoundTrip("i", std::int16_t{-300}).get<int>("i"), -300);
  EXPECT_EQ(RoundTrip("i", std::uint64_t{42}).get<std::uint64_t>("i"), 42u);
  const auto big = RoundTrip("i", std::int64_t{300});
  const auto message = ExpectDbError(ErrorKind::invalid, [&] { (void)big.get<std::int8_t>("i"); });
  EXPECT_THAT(message, HasSubstr("'i'"));
  const auto negative = RoundTrip("i", -1);
  ExpectDbError(ErrorKind::invalid, [&] { (void)negative.get<unsigned>("i"); });
  EXPECT_EQ(negative.get<int>("i"), -1);
}

TEST_P(StorageTest, DoubleRoundTrips) {
  CreateValues();
  for (double v : {0.0, 0.1, -2.5, 3.141592653589793, 1e300, -1e-300, 123456789.125,
                   std::numeric_limits<double>::max()}) {
    const auto row = RoundTrip("d", v);
    EXPECT_EQ(row.get<double>("d"), v);
  }
}

TEST_P(StorageTest, TextRoundTripsInVarcharAndLongText) {
  CreateValues();
  const std::string samples[] = {"知识付费 ✓",
                                 "emoji 😀 needs utf8mb4",
                                 "it's \"quoted\" with a \\ backslash and a ; semicolon",
                                 "line\nbreak\ttab",
                                 "?",
                                 "-- not a comment",
                                 "a:p1 b"};
  for (const auto& text : samples) {
    EXPECT_EQ(RoundTrip("s", text).get<std::string>("s"), text);
    EXPECT_EQ(RoundTrip("t", text).get<std::string>("t"), text);
  }
  // Equality in WHERE compares the same characters.
  auto session = db_->session();
  const auto found =
      session.query("SELECT s FROM lore_values WHERE s = ?", {std::string("知识付费 ✓")});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.front().get<std::string>("s"), "知识付费 ✓");
}

TEST_P(StorageTest, LongTextRoundTrips) {
  CreateValues();
  std::string text;
  for (int i = 0; text.size() < 200000; ++i) text += "知识付费 ✓ " + std::to_string(i) + "\n";
  EXPECT_EQ(RoundTrip("t", text).get<std::string>("t"), text);
}

TEST_P(StorageTest, EmptyStringIsNotNull) {
  CreateValues();
  for (const char* column : {"s", "t"}) {
    const auto row = RoundTrip(column, std::string());
    EXPECT_FALSE(row.is_null(column)) << column;
    EXPECT_EQ(row.get<std::string>(column), "") << column;
    EXPECT_EQ(row.get_optional<std::string>(column), std::optional<std::string>(""));
  }
  auto session = db_->session();
  EXPECT_EQ(session.query("SELECT id FROM lore_values WHERE s = ?", {""}).size(), 1u);
  EXPECT_EQ(session.query("SELECT id FROM lore_values WHERE s IS NULL").size(), 1u)
      << "only the row written through column t has s NULL";
}

TEST_P(StorageTest, BooleansRoundTrip) {
  CreateValues();
  const auto yes = RoundTrip("b", true);
  const auto no = RoundTrip("b", false);
  EXPECT_TRUE(yes.get<bool>("b"));
  EXPECT_FALSE(no.get<bool>("b"));
  EXPECT_EQ(yes.get<std::int64_t>("b"), 1);  // stored as 0/1 on both databases
  EXPECT_EQ(no.get<std::int64_t>("b"), 0);
  auto session = db_->session();
  EXPECT_EQ(session.query("SELECT id FROM lore_values WHERE b = ?", {true}).size(), 1u);
  EXPECT_EQ(session.query("SELECT id FROM lore_values WHERE b = ?", {false}).size(), 1u);
}

TEST_P(StorageTest, NullsReadAsNulloptAndRefuseATypedRead) {
  CreateValues();
  auto session = db_->session();
  const auto id =
      session.insert("INSERT INTO lore_values (i, d, s, t, b, bl) VALUES (?, ?, ?, ?, ?, ?)",
                     {nullptr, std::optional<double>(), db::Value(), std::optional<std::string>(),
                      std::optional<bool>(), db::Value(nullptr)});
  const auto row =
      session.query_one("SELECT i, d, s, t, b, bl FROM lore_values WHERE id = ?", {id});
  ASSERT_TRUE(row);
  for (const char* column : {"i", "d", "s", "t", "b", "bl"}) EXPECT_TRUE(row->is_null(column));
  EXPECT_EQ(row->get_optional<std::int64_t>("i"), std::nullopt);
  EXPECT_EQ(row->get_optional<double>("d"), std::nullopt);
  EXPECT_EQ(row->get_optional<std::string>("s"), std::nullopt);
  EXPECT_EQ(row->get_optional<std::string>("t"), std::nullopt);
  EXPECT_EQ(row->get_optional<bool>("b"), std::nullopt);
  EXPECT_EQ(row->get_optional<db::Blob>("bl"), std::nullopt);

  EXPECT_THAT(ExpectDbError(ErrorKind::invalid, [&] { (void)row->get<std::int64_t>("i"); }),
              HasSubstr("get_optional"));
  ExpectDbError(ErrorKind::invalid, [&] { (void)row->get<double>("d"); });
  ExpectDbError(ErrorKind::invalid, [&] { (void)row->get<std::string>("s"); });
  ExpectDbError(ErrorKind::invalid, [&] { (void)row->get<bool>("b"); });
  ExpectDbError(ErrorKind::invalid, [&] { (void)row->get<db::Blob>("bl"); });
  ExpectDbError(ErrorKind::invalid, [&] { (void)row->get<std::string>(3); });

  // A present optional is bound as its value.
  const auto row2 = RoundTrip("i", std::optional<std::int64_t>(7));
  EXPECT_EQ(row2.get_optional<std::int64_t>("i"), std::optional<std::int64_t>(7));
}

TEST_P(StorageTest, BlobsRoundTripByteForByte) {
  CreateValues();
  const db::Blob tricky{std::string("\0\xff\x01'\"\\\n\r\x1a;?z\0", 13)};
  std::string every;
  for (int byte = 0; byte < 256; ++byte) every += static_cast<char>(byte);
  for (const auto& blob : {tricky, db::Blob{every}, db::Blob{every + every + tricky.bytes}}) {
    const auto row = RoundTrip("bl", blob);
    const auto back = row.get<db::Blob>("bl");
    EXPECT_EQ(back.bytes.size(), blob.bytes.size());
    EXPECT_TRUE(back == blob) << "the bytes differ";
  }
  // A blob parameter matches the stored bytes in WHERE.
  auto session = db_->session();
  EXPECT_EQ(session.query("SELECT id FROM lore_values WHERE bl = ?", {tricky}).size(), 1u);
}

// --- aggregates ------------------------------------------------------------------------------

TEST_P(StorageTest, CountAndSumReadAsInt64) {
  Create(
      "CREATE TABLE lore_nums (id {{id}}, n BIGINT NOT NULL, x DOUBLE NOT NULL) "
      "{{table_options}}");
  auto session = db_->session();
  for (int n : {1, 2, 3, 40})
    session.execute("INSERT INTO lore_nums (n, x) VALUES (?, ?)", {n, n * 0.5});

  const auto row = session.query_one(
      "SELECT COUNT(*) AS c, SUM(n) AS s, MAX(n) AS m, MIN(n) AS lo, AVG(n) AS a, SUM(x) AS sx "
      "FROM lore_nums");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::int64_t>("c"), 4);
  EXPECT_EQ(row->get<std::int64_t>("s"), 46);
  EXPECT_EQ(row->get<std::int64_t>("m"), 40);
  EXPECT_EQ(row->get<std::int64_t>("lo"), 1);
  EXPECT_DOUBLE_EQ(row->get<double>("a"), 11.5);
  EXPECT_DOUBLE_EQ(row->get<double>("sx"), 23.0);
  EXPECT_EQ(row->get<int>("c"), 4);

  const auto none =
      session.query_one("SELECT COUNT(*) AS c, SUM(n) AS s FROM lore_nums WHERE n > ?", {1000});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->get<std::int64_t>("c"), 0);
  EXPECT_EQ(none->get_optional<std::int64_t>("s"), std::nullopt);  // SUM of nothing is NULL

  const auto grouped = session.query(
      "SELECT n > 2 AS big, COUNT(*) AS c, SUM(n) AS s FROM lore_nums GROUP BY n > 2 "
      "ORDER BY big");
  ASSERT_EQ(grouped.size(), 2u);
  EXPECT_EQ(grouped.rows[0].get<std::int64_t>("c"), 2);
  EXPECT_EQ(grouped.rows[0].get<std::int64_t>("s"), 3);
  EXPECT_EQ(grouped.rows[1].get<std::int64_t>("c"), 2);
  EXPECT_EQ(grouped.rows[1].get<std::int64_t>("s"), 43);
}

TEST_P(StorageTest, ColumnsAreNamedAsTheSelectNamesThem) {
  auto session = db_->session();
  const auto row = session.query_one("SELECT 1 AS one, 'two' AS second_column");
  ASSERT_TRUE(row);
  EXPECT_THAT(row->columns(), ElementsAre("one", "second_column"));
  EXPECT_EQ(row->size(), 2u);
  EXPECT_EQ(row->get<std::string>("second_column"), "two");
  EXPECT_THAT(ExpectDbError(ErrorKind::invalid, [&] { (void)row->get<std::int64_t>("three"); }),
              HasSubstr("no column 'three'"));
  ExpectDbError(ErrorKind::invalid, [&] { (void)row->at(std::size_t{2}); });
  EXPECT_THAT(
      ExpectDbError(ErrorKind::invalid, [&] { (void)row->get<std::int64_t>("second_column"); }),
      HasSubstr("second_column"));
  EXPECT_FALSE(session.query_one("SELECT 1 AS one FROM (SELECT 1 AS x) AS t WHERE x = 2"));
}

// --- inserts and counts ----------------------------------------------------------------------

TEST_P(StorageTest, InsertReturnsTheAutoIncrementId) {
  CreateItems();
  auto session = db_->session();
  const auto first = session.insert("INSERT INTO lore_items (name) VALUES (?)", {"a"});
  const auto second = session.insert("INSERT INTO lore_items (name) VALUES (?)", {"b"});
  const auto third = session.insert("INSERT INTO lore_items (name) VALUES (?)", {"c"});
  EXPECT_GE(first, 1);
  EXPECT_EQ(second, first + 1);
  EXPECT_EQ(third, second + 1);
  const auto row = session.query_one("SELECT name FROM lore_items WHERE id = ?", {second});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::string>("name"), "b");

  // Ids keep growing after a delete (AUTOINCREMENT on SQLite, AUTO_INCREMENT on MySQL).
  EXPECT_EQ(session.execute("DELETE FROM lore_items WHERE id = ?", {third}), 1);
  EXPECT_EQ(session.insert("INSERT INTO lore_items (name) VALUES (?)", {"d"}), third + 1);
}

TEST_P(StorageTest, ExecuteReturnsMatchedRowsEvenWhenNothingChanged) {
  CreateItems();
  auto session = db_->session();
  const auto id = session.insert("INSERT INTO lore_items (name, n) VALUES (?, ?)", {"a", 5});
  session.insert("INSERT INTO lore_items (name, n) VALUES (?, ?)", {"b", 5});
  session.insert("INSERT INTO lore_items (name, n) VALUES (?, ?)", {"c", 6});

  EXPECT_EQ(session.execute("UPDATE lore_items SET n = 5 WHERE id = ?", {id}), 1)
      << "identical values: MySQL changes 0 rows but matched 1";
  EXPECT_EQ(session.execute("UPDATE lore_items SET n = 5 WHERE n >= 5"), 3)
      << "three rows matched, one changed";
  EXPECT_EQ(session.execute("UPDATE lore_items SET n = 9 WHERE name = ?", {"nobody"}), 0);
  EXPECT_EQ(session.execute("DELETE FROM lore_items WHERE name = ?", {"nobody"}), 0);
  EXPECT_EQ(session.execute("INSERT INTO lore_items (name) VALUES (?), (?)", {"x", "y"}), 2);
  EXPECT_EQ(session.execute("DELETE FROM lore_items WHERE name IN (?, ?)", {"x", "y"}), 2);
}

TEST_P(StorageTest, ConditionalUpdateMatchesOnce) {
  CreateItems();
  auto session = db_->session();
  const auto id = session.insert("INSERT INTO lore_items (name) VALUES (?)", {"order-1"});
  const char* claim = "UPDATE lore_items SET state = 'paid' WHERE id = ? AND state = 'pending'";
  EXPECT_EQ(session.execute(claim, {id}), 1);
  EXPECT_EQ(session.execute(claim, {id}), 0);
  EXPECT_EQ(session.query_one("SELECT state FROM lore_items WHERE id = ?", {id})
                ->get<std::string>("state"),
            "paid");
}

// --- errors ----------------------------------------------------------------------------------

TEST_P(StorageTest, DuplicateKeysAreKindDuplicate) {
  CreateItems();
  auto session = db_->session();
  const auto id = session.insert("INSERT INTO lore_items (name) VALUES (?)", {"a"});
  ExpectDbError(ErrorKind::duplicate, [&] {
    session.execute("INSERT INTO lore_items (id, name) VALUES (?, ?)", {id, "other"});
  });
  ExpectDbError(ErrorKind::duplicate,
                [&] { session.execute("INSERT INTO lore_items (name) VALUES (?)", {"a"}); });
  const auto b = session.insert("INSERT INTO lore_items (name) VALUES (?)", {"b"});
  ExpectDbError(ErrorKind::duplicate, [&] {
    session.execute("UPDATE lore_items SET name = ? WHERE id = ?", {"a", b});
  });
  EXPECT_EQ(CountRows("lore_items"), 2);
  // The session is still usable.
  EXPECT_EQ(session.query_one("SELECT 1 AS one")->get<int>("one"), 1);
}

TEST_P(StorageTest, NotNullViolationIsKindConstraint) {
  CreateItems();
  auto session = db_->session();
  const auto message = ExpectDbError(ErrorKind::constraint, [&] {
    session.execute("INSERT INTO lore_items (name) VALUES (?)", {nullptr});
  });
  EXPECT_THAT(message, HasSubstr("INSERT INTO lore_items"));
  EXPECT_EQ(CountRows("lore_items"), 0);
}

TEST_P(StorageTest, SyntaxErrorIsKindInvalidAndQuotesTheStatement) {
  auto session = db_->session();
  const auto message =
      ExpectDbError(ErrorKind::invalid, [&] { session.query("SELEC 1 FRM nowhere"); });
  EXPECT_THAT(message, HasSubstr("SELEC 1 FRM nowhere"));
  const auto unknown = ExpectDbError(ErrorKind::invalid, [&] {
    session.query("SELECT * FROM lore_no_such_table WHERE id = ?", {1});
  });
  EXPECT_THAT(unknown, HasSubstr("lore_no_such_table"));
  EXPECT_EQ(session.query_one("SELECT 2 AS two")->get<int>("two"), 2);
}

TEST_P(StorageTest, LongStatementsAreQuotedShortened) {
  auto session = db_->session();
  std::string sql = "SELEC 1";
  while (sql.size() < 1000) sql += " + 1";
  const auto message = ExpectDbError(ErrorKind::invalid, [&] { session.query(sql); });
  EXPECT_THAT(message, HasSubstr("[in: SELEC 1 + 1"));
  EXPECT_THAT(message, HasSubstr("...]"));
}

TEST_P(StorageTest, WrongParameterCountIsKindInvalid) {
  auto session = db_->session();
  EXPECT_THAT(
      ExpectDbError(ErrorKind::invalid, [&] { session.query("SELECT ? AS a, ? AS b", {1}); }),
      HasSubstr("2 placeholder(s) but 1 parameter(s)"));
  EXPECT_THAT(ExpectDbError(ErrorKind::invalid,
                            [&] {
                              session.query("SELECT 1 AS a", {1, 2});
                            }),
              HasSubstr("0 placeholder(s) but 2 parameter(s)"));
  // A ? inside a string literal is not a placeholder.
  const auto row = session.query_one("SELECT '?' AS q, ? AS p", {"x"});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::string>("q"), "?");
  EXPECT_EQ(row->get<std::string>("p"), "x");
}

TEST(StorageValues, AnUnsignedValueAboveInt64MaxIsRefused) {
  EXPECT_THAT(ExpectDbError(ErrorKind::invalid,
                            [] { db::Value v(std::numeric_limits<std::uint64_t>::max()); }),
              HasSubstr("64-bit"));
}

// --- transactions ----------------------------------------------------------------------------

TEST_P(StorageTest, CommitPersists) {
  CreateItems();
  {
    auto session = db_->session();
    auto tx = session.begin();
    tx.insert("INSERT INTO lore_items (name) VALUES (?)", {"a"});
    tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"b"});
    EXPECT_EQ(tx.query("SELECT id FROM lore_items").size(), 2u);  // its own writes
    tx.commit();
    ExpectDbError(ErrorKind::invalid, [&] { tx.query("SELECT 1"); });  // ended
  }
  EXPECT_EQ(CountRows("lore_items"), 2);
}

TEST_P(StorageTest, ExplicitRollbackDiscards) {
  CreateItems();
  {
    auto session = db_->session();
    session.execute("INSERT INTO lore_items (name) VALUES (?)", {"kept"});
    auto tx = session.begin();
    tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"discarded"});
    tx.execute("UPDATE lore_items SET n = 99");
    tx.rollback();
    ExpectDbError(ErrorKind::invalid, [&] { tx.commit(); });
    // The session goes on outside any transaction.
    EXPECT_EQ(session.query("SELECT name FROM lore_items").size(), 1u);
  }
  auto session = db_->session();
  const auto rows = session.query("SELECT name, n FROM lore_items");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.front().get<std::string>("name"), "kept");
  EXPECT_EQ(rows.front().get<std::int64_t>("n"), 0);
}

TEST_P(StorageTest, DestroyingAnUncommittedTransactionRollsBack) {
  CreateItems();
  auto session = db_->session();
  {
    auto tx = session.begin();
    tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"lost"});
  }
  EXPECT_EQ(session.query("SELECT id FROM lore_items").size(), 0u);
  // A new transaction can start on the same session.
  auto tx = session.begin();
  tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"kept"});
  tx.commit();
  EXPECT_EQ(CountRows("lore_items"), 1);
}

TEST_P(StorageTest, AMovedTransactionRollsBackOnlyOnce) {
  CreateItems();
  auto session = db_->session();
  {
    auto tx = session.begin();
    tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"a"});
    db::Transaction moved(std::move(tx));
    moved.execute("INSERT INTO lore_items (name) VALUES (?)", {"b"});
    ExpectDbError(ErrorKind::invalid, [&] { tx.execute("SELECT 1"); });
    moved.commit();
  }
  EXPECT_EQ(CountRows("lore_items"), 2);
}

TEST_P(StorageTest, ASecondBeginOnOneSessionIsRefused) {
  auto session = db_->session();
  auto tx = session.begin();
  EXPECT_THAT(ExpectDbError(ErrorKind::invalid, [&] { auto nested = session.begin(); }),
              HasSubstr("already open"));
  tx.commit();
}

TEST_P(StorageTest, AConnectionReturnedWithAnOpenTransactionIsRolledBack) {
  Open(DatabaseOptions{.pool_size = 1});
  CreateItems();
  {
    auto session = db_->session();
    // Bypassing db::Transaction: the kernel's side must clean up by itself.
    ASSERT_FALSE(session.connection().begin());
    session.execute("INSERT INTO lore_items (name) VALUES (?)", {"lost"});
  }
  auto session = db_->session();  // the same (only) connection
  EXPECT_EQ(session.query("SELECT id FROM lore_items").size(), 0u);
  auto tx = session.begin();  // no transaction left open
  tx.commit();
}

TEST_P(StorageTest, AfterCommitCallbacksRunInOrderExactlyOnceAfterTheCommit) {
  CreateItems();
  std::vector<std::string> events;
  std::int64_t rows_seen_by_callback = -1;
  {
    auto session = db_->session();
    auto tx = session.begin();
    tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"a"});
    tx.after_commit([&] {
      events.push_back("first");
      // Runs after COMMIT: another connection already sees the row.
      rows_seen_by_callback = CountRows("lore_items");
    });
    tx.after_commit([&] { events.push_back("second"); });
    tx.after_commit([&] { events.push_back("third"); });
    EXPECT_TRUE(events.empty()) << events.front();
    tx.commit();
    EXPECT_THAT(events, ElementsAre("first", "second", "third"));
  }
  EXPECT_THAT(events, ElementsAre("first", "second", "third"));  // not again on destruction
  EXPECT_EQ(rows_seen_by_callback, 1);
}

TEST_P(StorageTest, AfterCommitCallbacksNeverRunAfterRollbackOrDestruction) {
  CreateItems();
  int runs = 0;
  auto session = db_->session();
  {
    auto tx = session.begin();
    tx.after_commit([&] { ++runs; });
    tx.rollback();
  }
  {
    auto tx = session.begin();
    tx.after_commit([&] { ++runs; });
  }
  // A failed commit body (an exception inside transact) runs none either.
  EXPECT_THROW(db_->transact([&](db::Transaction& tx) {
    tx.after_commit([&] { ++runs; });
    throw std::runtime_error("work failed");
  }),
               std::runtime_error);
  EXPECT_EQ(runs, 0);
}

TEST_P(StorageTest, AThrowingAfterCommitCallbackDoesNotFailTheCommit) {
  CreateItems();
  std::vector<std::string> events;
  {
    auto session = db_->session();
    auto tx = session.begin();
    tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"a"});
    tx.after_commit([&] { events.push_back("before"); });
    tx.after_commit([&] {
      events.push_back("throws");
      throw std::runtime_error("cache down");
    });
    tx.after_commit([&] {
      events.push_back("throws something else");
      throw 42;
    });
    tx.after_commit([&] { events.push_back("after"); });
    EXPECT_NO_THROW(tx.commit());
  }
  EXPECT_THAT(events, ElementsAre("before", "throws", "throws something else", "after"));
  EXPECT_EQ(CountRows("lore_items"), 1);
}

TEST_P(StorageTest, TransactReturnsTheValueAndCommits) {
  CreateItems();
  int callbacks = 0;
  const auto id = db_->transact([&](db::Transaction& tx) {
    tx.after_commit([&] { ++callbacks; });
    return tx.insert("INSERT INTO lore_items (name) VALUES (?)", {"a"});
  });
  EXPECT_GE(id, 1);
  EXPECT_EQ(callbacks, 1);
  const auto row = db_->session().query_one("SELECT name FROM lore_items WHERE id = ?", {id});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::string>("name"), "a");

  db_->transact(
      [&](db::Transaction& tx) { tx.execute("UPDATE lore_items SET n = 7 WHERE id = ?", {id}); });
  EXPECT_EQ(db_->session().query_one("SELECT n FROM lore_items")->get<std::int64_t>("n"), 7);
}

TEST_P(StorageTest, TransactRethrowsANonRetryableErrorWithoutCommitting) {
  CreateItems();
  db_->session().execute("INSERT INTO lore_items (name) VALUES (?)", {"taken"});
  int calls = 0;
  int callbacks = 0;
  ExpectDbError(ErrorKind::duplicate, [&] {
    db_->transact([&](db::Transaction& tx) {
      ++calls;
      tx.after_commit([&] { ++callbacks; });
      tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"fresh"});
      tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"taken"});
    });
  });
  EXPECT_EQ(calls, 1) << "a duplicate is not worth a retry";
  EXPECT_EQ(callbacks, 0);
  EXPECT_EQ(CountRows("lore_items"), 1) << "'fresh' must have been rolled back";
}

TEST_P(StorageTest, TransactRetriesAConflictAndRunsOnlyTheLastAttemptsCallbacks) {
  CreateItems();
  int calls = 0;
  std::vector<int> callbacks;
  db_->transact([&](db::Transaction& tx) {
    const int attempt = ++calls;
    tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"row" + std::to_string(attempt)});
    tx.after_commit([&, attempt] { callbacks.push_back(attempt); });
    if (attempt == 1) throw db::Error(ErrorKind::conflict, "simulated deadlock");
  });
  EXPECT_EQ(calls, 2);
  EXPECT_THAT(callbacks, ElementsAre(2));
  const auto rows = db_->session().query("SELECT name FROM lore_items");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.front().get<std::string>("name"), "row2");

  // Gives up after `attempts`, rethrowing the conflict.
  calls = 0;
  ExpectDbError(ErrorKind::conflict, [&] {
    db_->transact(
        [&](db::Transaction&) {
          ++calls;
          throw db::Error(ErrorKind::conflict, "always");
        },
        3);
  });
  EXPECT_EQ(calls, 3);
}

// --- dialect helpers -------------------------------------------------------------------------

TEST_P(StorageTest, UpsertInsertsThenUpdates) {
  Create(
      "CREATE TABLE lore_kv (k VARCHAR(64) NOT NULL PRIMARY KEY, v BIGINT NOT NULL, "
      "note VARCHAR(64) NOT NULL) {{table_options}}");
  const auto sql = db::upsert_sql(GetParam(), "lore_kv", {"k", "v", "note"}, {"k"}, {"v"});
  auto session = db_->session();
  EXPECT_EQ(session.execute(sql, {"a", 1, "first"}), 1);
  EXPECT_GE(session.execute(sql, {"a", 2, "second"}), 1);  // MySQL reports 2 for an update
  session.execute(sql, {"b", 3, "other"});
  const auto rows = session.query("SELECT k, v, note FROM lore_kv ORDER BY k");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.rows[0].get<std::string>("k"), "a");
  EXPECT_EQ(rows.rows[0].get<std::int64_t>("v"), 2);
  EXPECT_EQ(rows.rows[0].get<std::string>("note"), "first") << "note is not an update column";
  EXPECT_EQ(rows.rows[1].get<std::int64_t>("v"), 3);
}

TEST_P(StorageTest, InsertIfAbsentInsertsOnce) {
  Create(
      "CREATE TABLE lore_kv (k VARCHAR(64) NOT NULL PRIMARY KEY, v BIGINT NOT NULL) "
      "{{table_options}}");
  const auto sql = db::insert_if_absent_sql(GetParam(), "lore_kv", {"k", "v"}, {"k"});
  auto session = db_->session();
  EXPECT_EQ(session.execute(sql, {"a", 1}), 1);
  EXPECT_NO_THROW(session.execute(sql, {"a", 2}));  // its count differs: see try_insert below
  EXPECT_EQ(session.execute(sql, {"b", 3}), 1);
  const auto rows = session.query("SELECT k, v FROM lore_kv WHERE k = ?", {"a"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.front().get<std::int64_t>("v"), 1);
  // Unlike INSERT IGNORE, other errors still surface.
  ExpectDbError(ErrorKind::constraint, [&] { session.execute(sql, {"c", nullptr}); });
  EXPECT_EQ(CountRows("lore_kv"), 2);
}

// insert_if_absent_sql's count is not portable (MySQL counts the found row), so whether a row was
// inserted is what try_insert answers, on both databases, in and out of a transaction.
TEST_P(StorageTest, TryInsertTellsWhetherItInsertedAndKeepsTheTransactionUsable) {
  Create(
      "CREATE TABLE lore_kv (k VARCHAR(64) NOT NULL PRIMARY KEY, v BIGINT NOT NULL) "
      "{{table_options}}");
  auto session = db_->session();
  EXPECT_TRUE(session.try_insert("INSERT INTO lore_kv (k, v) VALUES (?, ?)", {"a", 1}));
  EXPECT_FALSE(session.try_insert("INSERT INTO lore_kv (k, v) VALUES (?, ?)", {"a", 2}));
  {
    auto tx = session.begin();
    EXPECT_FALSE(tx.try_insert("INSERT INTO lore_kv (k, v) VALUES (?, ?)", {"a", 3}));
    EXPECT_TRUE(tx.try_insert("INSERT INTO lore_kv (k, v) VALUES (?, ?)", {"b", 4}));
    tx.commit();
  }
  EXPECT_EQ(session.query_one("SELECT v FROM lore_kv WHERE k = ?", {"a"})->get<std::int64_t>("v"),
            1);
  EXPECT_EQ(CountRows("lore_kv"), 2);
  ExpectDbError(ErrorKind::constraint, [&] {
    session.try_insert("INSERT INTO lore_kv (k, v) VALUES (?, ?)", {"c", nullptr});
  });
}

// --- the pool --------------------------------------------------------------------------------

TEST_P(StorageTest, AnExhaustedPoolFailsWithinTheLeaseTimeout) {
  Open(DatabaseOptions{.pool_size = 1, .lease_timeout = 200ms});
  std::optional<db::Session> held = db_->session();
  held->query("SELECT 1");
  auto stats = pool_->stats();
  EXPECT_EQ(stats.size, 1u);
  EXPECT_EQ(stats.open, 1u);
  EXPECT_EQ(stats.in_use, 1u);
  EXPECT_EQ(stats.leases, 1u);
  EXPECT_EQ(stats.lease_timeouts, 0u);

  const auto start = Clock::now();
  const auto message = ExpectDbError(ErrorKind::unavailable, [&] { auto s = db_->session(); });
  const auto waited = Millis(Clock::now() - start);
  EXPECT_GE(waited, 150);
  EXPECT_LT(waited, 2000);
  EXPECT_THAT(message, HasSubstr("database.pool_size"));
  EXPECT_THAT(message, HasSubstr("200 ms"));

  stats = pool_->stats();
  EXPECT_EQ(stats.lease_timeouts, 1u);
  EXPECT_EQ(stats.leases, 1u);
  EXPECT_EQ(stats.in_use, 1u);

  held.reset();
  EXPECT_EQ(pool_->stats().in_use, 0u);
  auto again = db_->session();
  EXPECT_EQ(again.query_one("SELECT 3 AS three")->get<int>("three"), 3);
  stats = pool_->stats();
  EXPECT_EQ(stats.leases, 2u);
  EXPECT_EQ(stats.in_use, 1u);
  EXPECT_EQ(stats.open, 1u) << "the connection was reused, not reopened";
  EXPECT_EQ(stats.lease_timeouts, 1u);
  EXPECT_EQ(stats.reconnects, 0u);
  EXPECT_EQ(stats.connect_failures, 0u);
}

TEST_P(StorageTest, AWaitingLeaseGetsAConnectionAsSoonAsOneIsReturned) {
  Open(DatabaseOptions{.pool_size = 1, .lease_timeout = 3000ms});
  std::optional<db::Session> held = db_->session();
  std::thread releaser([&] {
    std::this_thread::sleep_for(150ms);
    held.reset();
  });
  const auto start = Clock::now();
  std::optional<db::Session> waited;
  EXPECT_NO_THROW(waited = db_->session());
  const auto ms = Millis(Clock::now() - start);
  releaser.join();
  EXPECT_GE(ms, 100);
  EXPECT_LT(ms, 2500);
  ASSERT_TRUE(waited);
  EXPECT_EQ(waited->query_one("SELECT 1 AS one")->get<int>("one"), 1);
  EXPECT_EQ(pool_->stats().lease_timeouts, 0u);
}

TEST_P(StorageTest, PoolStatsCountConcurrentLeases) {
  Open(DatabaseOptions{.pool_size = 3});
  {
    auto a = db_->session();
    auto b = db_->session();
    auto c = db_->session();
    const auto stats = pool_->stats();
    EXPECT_EQ(stats.size, 3u);
    EXPECT_EQ(stats.in_use, 3u);
    EXPECT_EQ(stats.open, 3u);
    EXPECT_EQ(stats.leases, 3u);
  }
  auto d = db_->session();
  const auto stats = pool_->stats();
  EXPECT_EQ(stats.in_use, 1u);
  EXPECT_EQ(stats.open, 3u);
  EXPECT_EQ(stats.leases, 4u);
  EXPECT_THAT(pool_->server_version(), HasSubstr(mysql() ? "MariaDB" : "SQLite"));
}

// --- statement timeout -----------------------------------------------------------------------

TEST_P(StorageTest, AStatementPastTheTimeoutIsInterruptedAndTheConnectionStaysUsable) {
  Open(DatabaseOptions{.pool_size = 1, .statement_timeout = 300ms});
  auto session = db_->session();
  const auto start = Clock::now();
  if (!mysql()) {
    // Never ends on its own: only the progress handler stops it.
    ExpectDbError(ErrorKind::timeout, [&] {
      session.query(
          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
          "SELECT COUNT(*) FROM c");
    });
  } else {
    // MariaDB's max_statement_time interrupts SLEEP() with ER_STATEMENT_TIMEOUT (1969) on
    // 10.11; it does not quietly return 1.
    ExpectDbError(ErrorKind::timeout, [&] { session.query("SELECT SLEEP(5) AS s"); });
  }
  const auto ms = Millis(Clock::now() - start);
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 2000);
  EXPECT_EQ(session.query_one("SELECT 5 AS five")->get<int>("five"), 5);
  auto tx = session.begin();
  tx.commit();
  EXPECT_EQ(pool_->stats().reconnects, 0u);
}

TEST_P(StorageTest, ALongScanIsInterruptedByTheStatementTimeout) {
  if (!mysql()) GTEST_SKIP() << "covered for SQLite by the recursive query above";
  Open(DatabaseOptions{.pool_size = 1, .statement_timeout = 300ms});
  auto session = db_->session();
  const auto start = Clock::now();
  // Hundreds of millions of rows: real work, not a SLEEP.
  const auto message = ExpectDbError(ErrorKind::timeout, [&] {
    session.query(
        "SELECT COUNT(*) AS n FROM information_schema.COLUMNS a, information_schema.COLUMNS b, "
        "information_schema.COLUMNS c");
  });
  EXPECT_THAT(message, HasSubstr("max_statement_time"));
  const auto ms = Millis(Clock::now() - start);
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 2000);
  EXPECT_EQ(session.query_one("SELECT 6 AS six")->get<int>("six"), 6);
}

TEST_P(StorageTest, AQuickStatementIsNotInterrupted) {
  Open(DatabaseOptions{.pool_size = 1, .statement_timeout = 300ms});
  auto session = db_->session();
  for (int i = 0; i < 3; ++i) {
    // Each statement gets its own deadline: the session outliving the timeout is fine.
    std::this_thread::sleep_for(150ms);
    EXPECT_EQ(session.query_one("SELECT ? AS i", {i})->get<int>("i"), i);
  }
  const auto row = session.query_one(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
      "SELECT COUNT(*) AS n FROM c");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::int64_t>("n"), 1000);
}

// --- liveness (MySQL) ------------------------------------------------------------------------

std::int64_t ConnectionId(db::Session& session) {
  return session.query_one("SELECT CONNECTION_ID() AS id")->get<std::int64_t>("id");
}

// Kills connection `id` from `killer` and waits until the server has let it go.
void Kill(db::Session& killer, std::int64_t id) {
  killer.execute("KILL " + std::to_string(id));
  for (int i = 0; i < 100; ++i) {
    const auto left = killer
                          .query_one(
                              "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST "
                              "WHERE ID = ?",
                              {id})
                          ->get<std::int64_t>("n");
    if (left == 0) return;
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "connection " << id << " still listed after KILL";
}

void StorageTest::KillFromOutside(std::int64_t id) {
  std::string error;
  auto address = parse_database_url(target_->url(), error);
  ASSERT_TRUE(address) << error;
  ConnectionPool pool(*address, DatabaseOptions{.pool_size = 1}, named_logger("storage-test"));
  PooledDatabase database(pool, "lore_", named_logger("storage-test"));
  auto killer = database.session();
  Kill(killer, id);
}

TEST_P(StorageTest, AConnectionKilledWhileIdleIsReplacedAtTheNextLease) {
  if (!mysql()) GTEST_SKIP() << "SQLite has no server connection to lose";
  Open(DatabaseOptions{.pool_size = 1});
  std::int64_t victim_id = 0;
  {
    auto session = db_->session();
    victim_id = ConnectionId(session);
  }
  // Killed while idle in the pool, from a connection of another pool.
  KillFromOutside(victim_id);
  EXPECT_EQ(pool_->stats().reconnects, 0u);

  auto session = db_->session();  // the pool's only connection: pinged, found dead, reopened
  EXPECT_NE(ConnectionId(session), victim_id);
  EXPECT_EQ(session.query_one("SELECT 7 AS seven")->get<int>("seven"), 7);
  const auto stats = pool_->stats();
  EXPECT_EQ(stats.reconnects, 1u);
  EXPECT_EQ(stats.open, 1u);
  EXPECT_EQ(stats.leases, 2u);
  EXPECT_EQ(stats.connect_failures, 0u);
  // The reopened connection has the session settings again (strict mode, UTC, the timeout).
  const auto settings = session.query_one(
      "SELECT @@SESSION.sql_mode AS m, @@SESSION.time_zone AS z, "
      "@@SESSION.max_statement_time AS t");
  ASSERT_TRUE(settings);
  EXPECT_THAT(settings->get<std::string>("m"), HasSubstr("STRICT_ALL_TABLES"));
  EXPECT_EQ(settings->get<std::string>("z"), "+00:00");
  EXPECT_DOUBLE_EQ(settings->get<double>("t"), 10.0);
}

TEST_P(StorageTest, AConnectionKilledWhileLeasedFailsAsUnavailableThenIsReplaced) {
  if (!mysql()) GTEST_SKIP() << "SQLite has no server connection to lose";
  Open(DatabaseOptions{.pool_size = 1});
  std::optional<db::Session> victim = db_->session();
  const auto victim_id = ConnectionId(*victim);
  KillFromOutside(victim_id);
  ExpectDbError(ErrorKind::unavailable, [&] { victim->query("SELECT 1"); });
  EXPECT_THAT(ExpectDbError(ErrorKind::unavailable, [&] { victim->query("SELECT 1"); }),
              HasSubstr("lost earlier"));
  ExpectDbError(ErrorKind::unavailable, [&] { auto tx = victim->begin(); });
  victim.reset();
  EXPECT_EQ(pool_->stats().open, 0u) << "the broken connection is closed when returned";

  auto session = db_->session();
  EXPECT_NE(ConnectionId(session), victim_id);
  EXPECT_EQ(session.query_one("SELECT 8 AS eight")->get<int>("eight"), 8);
  EXPECT_EQ(pool_->stats().open, 1u);
}

// --- concurrency -----------------------------------------------------------------------------

TEST_P(StorageTest, ConcurrentTransactionsLoseNoUpdate) {
  Open(DatabaseOptions{.pool_size = 4});
  Create(
      "CREATE TABLE lore_counter (id BIGINT NOT NULL PRIMARY KEY, n BIGINT NOT NULL) "
      "{{table_options}}");
  db_->session().execute("INSERT INTO lore_counter (id, n) VALUES (1, 0)");

  constexpr int kThreads = 8;
  constexpr int kTransactions = 50;
  std::atomic<int> attempts{0};
  std::atomic<int> callbacks{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTransactions; ++i) {
        try {
          db_->transact([&](db::Transaction& tx) {
            ++attempts;
            EXPECT_EQ(tx.execute("UPDATE lore_counter SET n = n + 1 WHERE id = 1"), 1);
            tx.after_commit([&] { ++callbacks; });
          });
        } catch (const std::exception& e) {
          std::lock_guard lock(failures_mutex);
          failures.push_back(e.what());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(failures.size(), 0u) << (failures.empty() ? "" : failures.front());
  EXPECT_EQ(
      db_->session().query_one("SELECT n FROM lore_counter WHERE id = 1")->get<std::int64_t>("n"),
      kThreads * kTransactions);
  EXPECT_EQ(callbacks.load(), kThreads * kTransactions);
  const auto stats = pool_->stats();
  EXPECT_EQ(stats.in_use, 0u);
  EXPECT_LE(stats.open, 4u);
  EXPECT_GE(stats.leases, static_cast<std::uint64_t>(kThreads * kTransactions));
  std::cout << "[ storage  ] " << db::to_string(GetParam()) << ": "
            << attempts.load() - kThreads * kTransactions << " retried attempt(s), "
            << stats.lease_timeouts << " lease timeout(s)\n";
}

TEST_P(StorageTest, ASqliteWriterWaitsForTheWriteLockWithinTheLeaseTimeout) {
  if (mysql()) GTEST_SKIP() << "MySQL locks rows, not the whole database";
  Open(DatabaseOptions{.pool_size = 2, .lease_timeout = 1000ms});
  CreateItems();
  auto a = db_->session();
  auto b = db_->session();
  {
    std::optional<db::Transaction> first;
    first.emplace(a.begin());  // BEGIN IMMEDIATE: holds the write lock from here
    first->execute("INSERT INTO lore_items (name) VALUES (?)", {"a"});
    // Readers are not blocked (WAL) and do not see the uncommitted row.
    EXPECT_EQ(b.query("SELECT id FROM lore_items").size(), 0u);
    std::thread committer([&] {
      std::this_thread::sleep_for(200ms);
      first->commit();
    });
    const auto start = Clock::now();
    std::optional<db::Transaction> second;
    EXPECT_NO_THROW(second.emplace(b.begin()));  // waits for the lock
    const auto waited = Millis(Clock::now() - start);
    committer.join();
    EXPECT_GE(waited, 150);
    EXPECT_LT(waited, 1000);
    ASSERT_TRUE(second);
    second->execute("INSERT INTO lore_items (name) VALUES (?)", {"b"});
    second->commit();
  }
  EXPECT_EQ(b.query("SELECT id FROM lore_items").size(), 2u);

  // Held past the busy timeout (the lease timeout): the waiter gives up with kind conflict.
  auto held = a.begin();
  held.execute("INSERT INTO lore_items (name) VALUES (?)", {"c"});
  const auto start = Clock::now();
  ExpectDbError(ErrorKind::conflict, [&] { auto blocked = b.begin(); });
  const auto waited = Millis(Clock::now() - start);
  EXPECT_GE(waited, 800);
  EXPECT_LT(waited, 3000);
  held.rollback();
  auto after = b.begin();  // b is still usable
  after.commit();
  EXPECT_EQ(b.query("SELECT id FROM lore_items").size(), 2u);
}

// --- errors as HTTP answers ------------------------------------------------------------------

// Keeps the handler that sdk::Routes::add wrapped, to call it directly.
class CapturingRoutes final : public sdk::Routes {
 public:
  sdk::Status add_erased(sdk::RouteSpec, sdk::ErasedHandler handler) override {
    handler_ = std::move(handler);
    return sdk::Status::ok();
  }
  http::Response call() const { return handler_(http::Request{}); }

 private:
  sdk::ErasedHandler handler_;
};

sdk::RouteSpec AnySpec() {
  sdk::RouteSpec spec;
  spec.path = "/storage-test";
  spec.access = http::Access::anonymous;
  return spec;
}

http::Response AnswerFor(std::function<void()> body) {
  CapturingRoutes routes;
  EXPECT_TRUE(routes.add(AnySpec(), [body](const http::Request&) {
    body();
    return http::Response::json({{"ok", true}});
  }));
  return routes.call();
}

std::string HeaderOf(const http::Response& response, const std::string& name) {
  for (const auto& [n, v] : response.headers)
    if (n == name) return v;
  return {};
}

TEST(StorageErrorMapping, UnavailableAndTimeoutAnswer503WithRetryAfter) {
  for (auto kind : {ErrorKind::unavailable, ErrorKind::timeout}) {
    const auto response = AnswerFor(
        [kind] { throw db::Error(kind, "cannot connect to mysql://lore:***@10.0.0.5:3306/site"); });
    EXPECT_EQ(response.status, 503) << db::to_string(kind);
    ASSERT_TRUE(response.error) << db::to_string(kind);
    EXPECT_EQ(response.error->code, "database_unavailable");
    EXPECT_EQ(HeaderOf(response, "Retry-After"), "1");
    // The client learns nothing about the database's address.
    EXPECT_THAT(response.error->message, Not(HasSubstr("10.0.0.5")));
    EXPECT_THAT(response.error->details.dump(), Not(HasSubstr("10.0.0.5")));
  }
}

TEST(StorageErrorMapping, DuplicateAndConflictAnswer409) {
  const auto duplicate =
      AnswerFor([] { throw db::Error(ErrorKind::duplicate, "Duplicate entry 'a'"); });
  EXPECT_EQ(duplicate.status, 409);
  ASSERT_TRUE(duplicate.error);
  EXPECT_EQ(duplicate.error->code, "duplicate");
  EXPECT_EQ(HeaderOf(duplicate, "Retry-After"), "");

  const auto conflict = AnswerFor([] { throw db::Error(ErrorKind::conflict, "Deadlock found"); });
  EXPECT_EQ(conflict.status, 409);
  ASSERT_TRUE(conflict.error);
  EXPECT_EQ(conflict.error->code, "conflict");
}

TEST(StorageErrorMapping, InvalidAndConstraintAnswer500Internal) {
  for (auto kind : {ErrorKind::invalid, ErrorKind::constraint}) {
    const auto response =
        AnswerFor([kind] { throw db::Error(kind, "You have an error in your SQL syntax"); });
    EXPECT_EQ(response.status, 500) << db::to_string(kind);
    ASSERT_TRUE(response.error);
    EXPECT_EQ(response.error->code, std::string(sdk::Routes::kUnhandledCode));
    EXPECT_EQ(response.error->code, "internal");
    EXPECT_THAT(response.error->details.dump(),
                HasSubstr("database: You have an error in your SQL syntax"));
    EXPECT_EQ(HeaderOf(response, "Retry-After"), "");
  }
}

TEST(StorageErrorMapping, AHandlerThatSucceedsIsUntouched) {
  const auto response = AnswerFor([] {});
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.error);
  EXPECT_EQ(response.body, R"({"ok":true})");
}

// Real failures from the database, through a route.
TEST_P(StorageTest, RouteAnswersForRealDatabaseFailures) {
  CreateItems();
  db_->session().execute("INSERT INTO lore_items (name) VALUES (?)", {"taken"});
  const auto duplicate = AnswerFor([&] {
    db_->transact([&](db::Transaction& tx) {
      tx.execute("INSERT INTO lore_items (name) VALUES (?)", {"taken"});
    });
  });
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.error ? duplicate.error->code : "", "duplicate");

  const auto bug = AnswerFor([&] { db_->session().query("SELECT nope FROM lore_items"); });
  EXPECT_EQ(bug.status, 500);
  EXPECT_EQ(bug.error ? bug.error->code : "", "internal");

  Open(DatabaseOptions{.pool_size = 1, .lease_timeout = 100ms});
  auto held = db_->session();
  const auto exhausted = AnswerFor([&] { db_->session().query("SELECT 1"); });
  EXPECT_EQ(exhausted.status, 503);
  EXPECT_EQ(exhausted.error ? exhausted.error->code : "", "database_unavailable");
  EXPECT_EQ(HeaderOf(exhausted, "Retry-After"), "1");
}

// --- exactness at the edges --------------------------------------------------------------------

// SOCI 4.0.3 would read a column declared INTEGER as a 32-bit int (5000000000 → 705032704); the
// kernel reads SQLite through its own API for that reason.
TEST_P(StorageTest, IdsAboveInt32ReadBackExactly) {
  CreateItems();
  auto session = db_->session();
  const std::int64_t big = 5000000000;
  session.execute("INSERT INTO lore_items (id, name) VALUES (?, ?)", {big, "big"});
  const auto row = session.query_one("SELECT id FROM lore_items WHERE name = ?", {"big"});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::int64_t>("id"), big);
  EXPECT_EQ(session.insert("INSERT INTO lore_items (name) VALUES (?)", {"next"}), big + 1);
}

// A db::Blob is stored as bytes on both: its length counts past a NUL and it equals the same bytes
// written as a blob literal.
TEST_P(StorageTest, BlobsAreStoredAsBytes) {
  CreateValues();
  auto session = db_->session();
  const auto id = session.insert("INSERT INTO lore_values (bl) VALUES (?)",
                                 {db::Blob{std::string("ab\0cd\xff", 6)}});
  EXPECT_EQ(session.query_one("SELECT LENGTH(bl) AS n FROM lore_values WHERE id = ?", {id})
                ->get<std::int64_t>("n"),
            6);
  EXPECT_EQ(session.query("SELECT id FROM lore_values WHERE bl = X'6162006364ff'").size(), 1u);
}

// MySQL's SUM over BIGINT is DECIMAL, which SOCI 4.0.3 reads as a double (exact only up to
// 2^53); CAST(... AS SIGNED), as docs/plugin-guide.md advises for money, is exact on both.
TEST_P(StorageTest, SumCastAsSignedIsExactAboveTwoToThe53) {
  CreateValues();
  auto session = db_->session();
  session.execute("INSERT INTO lore_values (i) VALUES (?), (?)",
                  {std::int64_t{9007199254740993}, std::int64_t{0}});
  EXPECT_EQ(session.query_one("SELECT CAST(SUM(i) AS SIGNED) AS s FROM lore_values")
                ->get<std::int64_t>("s"),
            9007199254740993);
}

// A backslash is an ordinary character in SQLite strings: 'C:\' ends there, and the placeholder
// after it counts.
TEST_P(StorageTest, ABackslashAtTheEndOfASqliteStringEndsIt) {
  if (mysql()) GTEST_SKIP() << "in MySQL the backslash does escape the quote";
  auto session = db_->session();
  const auto row = session.query_one("SELECT 'C:\\' AS a, ? AS b", {"x"});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::string>("a"), "C:\\");
  EXPECT_EQ(row->get<std::string>("b"), "x");
}

INSTANTIATE_TEST_SUITE_P(Databases, StorageTest, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         DialectName);

}  // namespace
}  // namespace lore
