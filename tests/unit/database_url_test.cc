#include "storage/database_url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace lore {
namespace {

using sdk::db::Dialect;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Parses `url`, expecting success.
DatabaseAddress Parse(const std::string& url) {
  std::string error;
  auto address = parse_database_url(url, error);
  EXPECT_TRUE(address.has_value()) << url << ": " << error;
  EXPECT_THAT(error, IsEmpty()) << url;
  return address.value_or(DatabaseAddress{});
}

// Parses `url`, expecting a failure; returns the message.
std::string Refused(const std::string& url) {
  std::string error;
  auto address = parse_database_url(url, error);
  EXPECT_FALSE(address.has_value()) << url << " was accepted";
  EXPECT_THAT(error, Not(IsEmpty())) << url;
  return error;
}

// --- sqlite ----------------------------------------------------------------------------------

TEST(DatabaseUrl, SqliteRelativePath) {
  const auto a = Parse("sqlite://var/lore.db");
  EXPECT_EQ(a.dialect, Dialect::sqlite);
  EXPECT_EQ(a.path, "var/lore.db");
  EXPECT_FALSE(a.in_memory());
  EXPECT_EQ(a.redacted(), "sqlite://var/lore.db");
}

TEST(DatabaseUrl, SqliteAbsolutePath) {
  const auto a = Parse("sqlite:///srv/lore/data/site.db");
  EXPECT_EQ(a.dialect, Dialect::sqlite);
  EXPECT_EQ(a.path, "/srv/lore/data/site.db");
  EXPECT_FALSE(a.in_memory());
}

TEST(DatabaseUrl, SqlitePathWithSpacesAndUtf8) {
  const auto a = Parse("sqlite://my data/知识.db");
  EXPECT_EQ(a.path, "my data/知识.db");
}

TEST(DatabaseUrl, SqliteInMemory) {
  const auto a = Parse("sqlite://:memory:");
  EXPECT_EQ(a.dialect, Dialect::sqlite);
  EXPECT_EQ(a.path, ":memory:");
  EXPECT_TRUE(a.in_memory());
  EXPECT_EQ(a.redacted(), "sqlite://:memory:");
}

TEST(DatabaseUrl, SqliteWithoutPathIsRefused) {
  EXPECT_THAT(Refused("sqlite://"), HasSubstr("sqlite://PATH"));
}

TEST(DatabaseUrl, SqlitePathWithDoubleQuoteIsRefused) {
  // The path is double-quoted in SOCI's connect string, which has no escape.
  EXPECT_THAT(Refused("sqlite://var/\"odd\".db"), HasSubstr("'\"'"));
}

TEST(DatabaseUrl, InMemoryIsOnlySqlite) {
  DatabaseAddress a;
  a.dialect = Dialect::mysql;
  a.path = ":memory:";
  EXPECT_FALSE(a.in_memory());
}

// --- mysql / mariadb -------------------------------------------------------------------------

TEST(DatabaseUrl, MysqlWithPort) {
  const auto a = Parse("mysql://lore:s3cret@db.example.org:3307/site");
  EXPECT_EQ(a.dialect, Dialect::mysql);
  EXPECT_EQ(a.user, "lore");
  EXPECT_EQ(a.password, "s3cret");
  EXPECT_EQ(a.host, "db.example.org");
  EXPECT_EQ(a.port, 3307);
  EXPECT_EQ(a.database, "site");
  EXPECT_THAT(a.socket, IsEmpty());
  EXPECT_FALSE(a.in_memory());
  EXPECT_EQ(a.redacted(), "mysql://lore:***@db.example.org:3307/site");
}

TEST(DatabaseUrl, MariadbSchemeIsMysql) {
  const auto a = Parse("mariadb://lore:pw@127.0.0.1:13306/lore_test");
  EXPECT_EQ(a.dialect, Dialect::mysql);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 13306);
  EXPECT_EQ(a.database, "lore_test");
}

TEST(DatabaseUrl, DefaultPortIs3306) {
  const auto a = Parse("mysql://lore:pw@localhost/site");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 3306);
  EXPECT_EQ(a.database, "site");
}

TEST(DatabaseUrl, PortBoundaries) {
  EXPECT_EQ(Parse("mysql://u:p@h:1/d").port, 1);
  EXPECT_EQ(Parse("mysql://u:p@h:65535/d").port, 65535);
}

TEST(DatabaseUrl, UserWithoutPasswordHasAnEmptyPassword) {
  const auto a = Parse("mysql://reader@h/d");
  EXPECT_EQ(a.user, "reader");
  EXPECT_THAT(a.password, IsEmpty());
  EXPECT_EQ(a.host, "h");
}

TEST(DatabaseUrl, PercentEncodedUserAndPassword) {
  const auto a = Parse("mysql://us%3Aer%40corp:p%40ss%2Fw%3Ard%25@h/d");
  EXPECT_EQ(a.user, "us:er@corp");
  EXPECT_EQ(a.password, "p@ss/w:rd%");
  EXPECT_EQ(a.host, "h");
  EXPECT_EQ(a.database, "d");
}

TEST(DatabaseUrl, LowerCaseHexDigitsDecode) {
  EXPECT_EQ(Parse("mysql://u:a%2fb%3a@h/d").password, "a/b:");
}

TEST(DatabaseUrl, PasswordMayHoldAColonAndARawAt) {
  // Only the first ':' ends the user; the last '@' ends the credentials.
  const auto a = Parse("mysql://u:pa:ss@word@h:3310/d");
  EXPECT_EQ(a.user, "u");
  EXPECT_EQ(a.password, "pa:ss@word");
  EXPECT_EQ(a.host, "h");
  EXPECT_EQ(a.port, 3310);
}

TEST(DatabaseUrl, BadPercentEncodingIsRefused) {
  EXPECT_THAT(Refused("mysql://u:p%4@h/d"), HasSubstr("percent-encoded"));
  EXPECT_THAT(Refused("mysql://u:p%zz@h/d"), HasSubstr("percent-encoded"));
  EXPECT_THAT(Refused("mysql://u%:p@h/d"), HasSubstr("percent-encoded"));
  EXPECT_THAT(Refused("mysql://u:%@h/d"), HasSubstr("percent-encoded"));
}

TEST(DatabaseUrl, Socket) {
  const auto a = Parse("mysql://lore:pw@localhost/site?socket=/run/mysqld/mysqld.sock");
  EXPECT_EQ(a.socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.database, "site");
  EXPECT_THAT(a.redacted(), HasSubstr("?socket=/run/mysqld/mysqld.sock"));
  EXPECT_THAT(a.redacted(), Not(HasSubstr("pw")));
}

TEST(DatabaseUrl, PercentEncodedSocket) {
  const auto a = Parse("mysql://lore:pw@localhost/site?socket=%2Ftmp%2Fmy%20sock");
  EXPECT_EQ(a.socket, "/tmp/my sock");
}

TEST(DatabaseUrl, BadSocketEncodingIsRefused) {
  EXPECT_THAT(Refused("mysql://lore:pw@localhost/site?socket=%zz"), HasSubstr("socket"));
}

TEST(DatabaseUrl, UnknownOptionIsRefused) {
  const auto error = Refused("mysql://lore:pw@localhost/site?ssl=1");
  EXPECT_THAT(error, HasSubstr("unknown option 'ssl'"));
  EXPECT_THAT(error, HasSubstr("socket"));  // names the options it knows
  EXPECT_THAT(Refused("mysql://lore:pw@localhost/site?socket=/s&timeout=3"),
              HasSubstr("unknown option 'timeout'"));
}

TEST(DatabaseUrl, MissingUserIsRefused) {
  EXPECT_THAT(Refused("mysql://localhost/site"), HasSubstr("USER"));
  EXPECT_THAT(Refused("mysql://:pw@localhost/site"), HasSubstr("user missing"));
}

TEST(DatabaseUrl, MissingDatabaseIsRefused) {
  EXPECT_THAT(Refused("mysql://u:p@localhost"), HasSubstr("DATABASE"));
  EXPECT_THAT(Refused("mysql://u:p@localhost:3306/"), HasSubstr("DATABASE"));
}

TEST(DatabaseUrl, MissingHostIsRefused) {
  EXPECT_THAT(Refused("mysql://u:p@/site"), HasSubstr("HOST"));
  EXPECT_THAT(Refused("mysql://u:p@:3306/site"), HasSubstr("HOST"));
}

TEST(DatabaseUrl, BadPortIsRefused) {
  for (const char* url :
       {"mysql://u:secretpw@h:0/d", "mysql://u:secretpw@h:65536/d", "mysql://u:secretpw@h:abc/d",
        "mysql://u:secretpw@h:/d", "mysql://u:secretpw@h:33x/d", "mysql://u:secretpw@h:-1/d",
        "mysql://u:secretpw@h:99999999999/d"}) {
    const auto error = Refused(url);
    EXPECT_THAT(error, HasSubstr("between 1 and 65535")) << url;
    EXPECT_THAT(error, Not(HasSubstr("secretpw"))) << url;
  }
}

TEST(DatabaseUrl, UnknownSchemeIsRefused) {
  for (const char* url : {"postgres://u:p@h/d", "", "sqlite:/x.db", "lore.db"}) {
    EXPECT_THAT(Refused(url), HasSubstr("sqlite://, mysql://, mariadb://")) << url;
  }
}

// SOCI 4.0.3 quotes MySQL connect-string values in single quotes and has no escape, so a quote in
// a value would end it early (and let the rest be read as further options).
TEST(DatabaseUrl, SingleQuoteInPasswordIsRefused) {
  EXPECT_THAT(Refused("mysql://u:pa'ss@h/d"), HasSubstr("'"));
  EXPECT_THAT(Refused("mysql://u:pa%27ss@h/d"), HasSubstr("'"));
  EXPECT_THAT(Refused("mysql://u:p@h/d'b"), HasSubstr("'"));
  EXPECT_THAT(Refused("mysql://u'x:p@h/d"), HasSubstr("'"));
}

TEST(DatabaseUrl, RedactedNeverContainsThePassword) {
  for (const char* url :
       {"mysql://lore:TopSecret1@db:3306/site",
        "mariadb://lore:TopSecret1@db/site?socket=/run/mysqld.sock",
        "mysql://lore:Top%53ecret1@db/site", "mysql://TopSecret1x:TopSecret1@db/s"}) {
    const auto a = Parse(url);
    EXPECT_EQ(a.password, "TopSecret1") << url;
    const auto shown = a.redacted();
    EXPECT_THAT(shown, HasSubstr(":***@")) << url;
    EXPECT_THAT(shown, Not(HasSubstr(":TopSecret1@"))) << url;
    EXPECT_THAT(shown, HasSubstr("db")) << url;
    if (a.user == "lore") {
      EXPECT_THAT(shown, Not(HasSubstr("TopSecret1"))) << url;
    }
  }
}

TEST(DatabaseUrl, RedactedShowsWhereItConnects) {
  const auto a = Parse("mysql://lore:pw@db.internal/site");
  EXPECT_EQ(a.redacted(), "mysql://lore:***@db.internal:3306/site");
}

}  // namespace
}  // namespace lore
