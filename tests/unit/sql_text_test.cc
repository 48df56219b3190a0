#include "storage/sql_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// ---------------------------------------------------------------------------------------------
// rewrite_placeholders
// ---------------------------------------------------------------------------------------------

TEST(SqlPlaceholders, ListsOnePerValue) {
  EXPECT_EQ(sql_placeholders(0), "");
  EXPECT_EQ(sql_placeholders(1), "?");
  EXPECT_EQ(sql_placeholders(3), "?, ?, ?");
}

TEST(SqlTextRewrite, NumbersEachPlaceholderInOrder) {
  const auto out = rewrite_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)");
  EXPECT_EQ(out.text, "SELECT a FROM t WHERE b = :p1 AND c IN (:p2, :p3)");
  EXPECT_EQ(out.placeholders, 3u);
}

TEST(SqlTextRewrite, LeavesTextWithoutPlaceholdersAlone) {
  const std::string sql = "SELECT 1 FROM t WHERE x = 'a' -- trailing\n";
  const auto out = rewrite_placeholders(sql);
  EXPECT_EQ(out.text, sql);
  EXPECT_EQ(out.placeholders, 0u);
  EXPECT_EQ(rewrite_placeholders("").placeholders, 0u);
  EXPECT_EQ(rewrite_placeholders("").text, "");
}

TEST(SqlTextRewrite, AdjacentPlaceholders) {
  const auto out = rewrite_placeholders("??");
  EXPECT_EQ(out.text, ":p1:p2");
  EXPECT_EQ(out.placeholders, 2u);
}

TEST(SqlTextRewrite, IgnoresQuestionMarksInSingleQuotedStrings) {
  const auto out = rewrite_placeholders("SELECT '?', 'why? not?' , ?");
  EXPECT_EQ(out.text, "SELECT '?', 'why? not?' , :p1");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, IgnoresQuestionMarksInDoubleQuotedIdentifiers) {
  const auto out = rewrite_placeholders(R"(SELECT "odd?name" FROM t WHERE x = ?)");
  EXPECT_EQ(out.text, R"(SELECT "odd?name" FROM t WHERE x = :p1)");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, IgnoresQuestionMarksInBacktickIdentifiers) {
  const auto out = rewrite_placeholders("SELECT `what?` FROM t WHERE x = ?");
  EXPECT_EQ(out.text, "SELECT `what?` FROM t WHERE x = :p1");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, IgnoresQuestionMarksInLineComments) {
  const auto out = rewrite_placeholders("SELECT ? -- is this ? a placeholder?\n, ?");
  EXPECT_EQ(out.text, "SELECT :p1 -- is this ? a placeholder?\n, :p2");
  EXPECT_EQ(out.placeholders, 2u);
}

TEST(SqlTextRewrite, LineCommentRunsToTheEndOfTheTextWithoutANewline) {
  const auto out = rewrite_placeholders("SELECT ? -- ?");
  EXPECT_EQ(out.text, "SELECT :p1 -- ?");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, IgnoresQuestionMarksInHashComments) {
  const auto out = rewrite_placeholders("SELECT ? # MySQL comment ?\n+ ?");
  EXPECT_EQ(out.text, "SELECT :p1 # MySQL comment ?\n+ :p2");
  EXPECT_EQ(out.placeholders, 2u);
}

TEST(SqlTextRewrite, IgnoresQuestionMarksInBlockComments) {
  const auto out = rewrite_placeholders("SELECT /* ? \n ? */ ? /**/ ?");
  EXPECT_EQ(out.text, "SELECT /* ? \n ? */ :p1 /**/ :p2");
  EXPECT_EQ(out.placeholders, 2u);
}

TEST(SqlTextRewrite, UnterminatedBlockCommentSwallowsTheRest) {
  const auto out = rewrite_placeholders("SELECT ? /* ? ?");
  EXPECT_EQ(out.text, "SELECT :p1 /* ? ?");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, DoubledQuotesStayInsideTheString) {
  const auto single = rewrite_placeholders("SELECT 'it''s ?', ?");
  EXPECT_EQ(single.text, "SELECT 'it''s ?', :p1");
  EXPECT_EQ(single.placeholders, 1u);

  const auto dbl = rewrite_placeholders(R"(SELECT "a""?b", ?)");
  EXPECT_EQ(dbl.text, R"(SELECT "a""?b", :p1)");
  EXPECT_EQ(dbl.placeholders, 1u);

  const auto tick = rewrite_placeholders("SELECT `a``?b`, ?");
  EXPECT_EQ(tick.text, "SELECT `a``?b`, :p1");
  EXPECT_EQ(tick.placeholders, 1u);

  // An empty string literal followed by a placeholder: '' is an (empty) string, not an escape.
  const auto empty = rewrite_placeholders("SELECT '', ?");
  EXPECT_EQ(empty.text, "SELECT '', :p1");
  EXPECT_EQ(empty.placeholders, 1u);
}

TEST(SqlTextRewrite, BackslashEscapesStayInsideTheString) {
  const auto single = rewrite_placeholders(R"(SELECT 'a\'?', ?)");
  EXPECT_EQ(single.text, R"(SELECT 'a\'?', :p1)");
  EXPECT_EQ(single.placeholders, 1u);

  const auto dbl = rewrite_placeholders(R"(SELECT "a\"?", ?)");
  EXPECT_EQ(dbl.text, R"(SELECT "a\"?", :p1)");
  EXPECT_EQ(dbl.placeholders, 1u);

  // An escaped backslash does not escape the closing quote.
  const auto backslash = rewrite_placeholders(R"(SELECT 'a\\', ?)");
  EXPECT_EQ(backslash.text, R"(SELECT 'a\\', :p1)");
  EXPECT_EQ(backslash.placeholders, 1u);
}

TEST(SqlTextRewrite, BackslashIsNotAnEscapeInBacktickIdentifiers) {
  const auto out = rewrite_placeholders(R"(SELECT `a\` , ?)");
  EXPECT_EQ(out.text, R"(SELECT `a\` , :p1)");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, QuoteCharactersInsideOtherQuotesDoNotOpenStrings) {
  const auto out = rewrite_placeholders(R"(SELECT '"', ?, "'", ?, '`', ?)");
  EXPECT_EQ(out.text, R"(SELECT '"', :p1, "'", :p2, '`', :p3)");
  EXPECT_EQ(out.placeholders, 3u);
}

TEST(SqlTextRewrite, CommentMarkersInsideStringsAreText) {
  const auto out = rewrite_placeholders("SELECT '-- ?', '/* ?', '#', ?");
  EXPECT_EQ(out.text, "SELECT '-- ?', '/* ?', '#', :p1");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, SingleDashAndSlashAreCode) {
  const auto out = rewrite_placeholders("SELECT ? - ? / ?");
  EXPECT_EQ(out.text, "SELECT :p1 - :p2 / :p3");
  EXPECT_EQ(out.placeholders, 3u);
}

TEST(SqlTextRewrite, UnterminatedStringSwallowsTheRest) {
  const auto out = rewrite_placeholders("SELECT ?, 'open ?");
  EXPECT_EQ(out.text, "SELECT :p1, 'open ?");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, KeepsUtf8TextIntact) {
  const auto out = rewrite_placeholders("SELECT '知识付费 ✓?' AS \"名?\", ?");
  EXPECT_EQ(out.text, "SELECT '知识付费 ✓?' AS \"名?\", :p1");
  EXPECT_EQ(out.placeholders, 1u);
}

TEST(SqlTextRewrite, NumbersPastNine) {
  std::string sql = "VALUES (";
  for (int i = 0; i < 12; ++i) sql += i == 0 ? "?" : ", ?";
  sql += ")";
  const auto out = rewrite_placeholders(sql);
  EXPECT_EQ(out.placeholders, 12u);
  EXPECT_THAT(out.text, HasSubstr(":p9, :p10, :p11, :p12)"));
}

// ---------------------------------------------------------------------------------------------
// split_statements
// ---------------------------------------------------------------------------------------------

std::vector<std::string> Texts(const std::vector<ScriptStatement>& statements) {
  std::vector<std::string> out;
  for (const auto& s : statements) out.push_back(s.text);
  return out;
}

std::vector<int> Lines(const std::vector<ScriptStatement>& statements) {
  std::vector<int> out;
  for (const auto& s : statements) out.push_back(s.line);
  return out;
}

TEST(SqlTextSplit, SplitsAtSemicolonsAndTrims) {
  const auto parts = split_statements("CREATE TABLE a (x INT);\n  INSERT INTO a VALUES (1) ;\n",
                                      sdk::db::Dialect::mysql);
  EXPECT_THAT(Texts(parts), ElementsAre("CREATE TABLE a (x INT)", "INSERT INTO a VALUES (1)"));
  EXPECT_THAT(Lines(parts), ElementsAre(1, 2));
}

TEST(SqlTextSplit, KeepsATrailingStatementWithoutSemicolon) {
  const auto parts = split_statements("SELECT 1;\nSELECT 2\n\n", sdk::db::Dialect::mysql);
  EXPECT_THAT(Texts(parts), ElementsAre("SELECT 1", "SELECT 2"));
  EXPECT_THAT(Lines(parts), ElementsAre(1, 2));

  const auto single = split_statements("  SELECT 42  ", sdk::db::Dialect::mysql);
  EXPECT_THAT(Texts(single), ElementsAre("SELECT 42"));
  EXPECT_THAT(Lines(single), ElementsAre(1));
}

TEST(SqlTextSplit, DropsEmptyAndWhitespaceOnlyStatements) {
  EXPECT_THAT(split_statements("", sdk::db::Dialect::mysql), IsEmpty());
  EXPECT_THAT(split_statements(";;;", sdk::db::Dialect::mysql), IsEmpty());
  EXPECT_THAT(split_statements(" \n\t ; \n ;\n", sdk::db::Dialect::mysql), IsEmpty());
  const auto parts = split_statements(";; SELECT 1;;\n;SELECT 2;;", sdk::db::Dialect::mysql);
  EXPECT_THAT(Texts(parts), ElementsAre("SELECT 1", "SELECT 2"));
  EXPECT_THAT(Lines(parts), ElementsAre(1, 2));
}

TEST(SqlTextSplit, DropsCommentOnlyPieces) {
  EXPECT_THAT(split_statements("-- just a comment\n/* and another; */\n# and a third;\n",
                               sdk::db::Dialect::mysql),
              IsEmpty());
  const auto parts =
      split_statements("SELECT 1; -- done\n/* really; done */", sdk::db::Dialect::mysql);
  EXPECT_THAT(Texts(parts), ElementsAre("SELECT 1"));
}

TEST(SqlTextSplit, SemicolonsInStringsDoNotSplit) {
  const auto parts = split_statements(
      "INSERT INTO a VALUES ('x;y');\n"
      "INSERT INTO a VALUES (\"p;q\");\n"
      "SELECT `we;ird` FROM a;\n"
      "INSERT INTO a VALUES ('it''s; fine');\n"
      "INSERT INTO a VALUES ('esc\\'; aped')",
      sdk::db::Dialect::mysql);
  EXPECT_THAT(Texts(parts),
              ElementsAre("INSERT INTO a VALUES ('x;y')", "INSERT INTO a VALUES (\"p;q\")",
                          "SELECT `we;ird` FROM a", "INSERT INTO a VALUES ('it''s; fine')",
                          "INSERT INTO a VALUES ('esc\\'; aped')"));
  EXPECT_THAT(Lines(parts), ElementsAre(1, 2, 3, 4, 5));
}

TEST(SqlTextSplit, SemicolonsInCommentsDoNotSplit) {
  const auto parts = split_statements(
      "SELECT 1 -- not; here\n"
      "  + 1;\n"
      "SELECT /* nor; here */ 2;\n"
      "SELECT 3 # nor; here\n"
      ";",
      sdk::db::Dialect::mysql);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].line, 1);
  EXPECT_EQ(parts[1].line, 3);
  EXPECT_EQ(parts[2].line, 4);
  // Comments are left out of the statement text; the code around them is kept.
  EXPECT_THAT(parts[0].text, HasSubstr("SELECT 1"));
  EXPECT_THAT(parts[0].text, HasSubstr("+ 1"));
  EXPECT_THAT(parts[0].text, Not(HasSubstr("not")));
  EXPECT_THAT(parts[1].text, HasSubstr("SELECT"));
  EXPECT_THAT(parts[1].text, HasSubstr("2"));
  EXPECT_THAT(parts[1].text, Not(HasSubstr("nor")));
  EXPECT_EQ(parts[2].text, "SELECT 3");
}

TEST(SqlTextSplit, LineNumbersCountLeadingBlankLinesAndComments) {
  const auto parts = split_statements(
      "\n"                                          // 1
      "-- header comment\n"                         // 2
      "/* a block\n"                                // 3
      "   comment */\n"                             // 4
      "CREATE TABLE t (x INT);\n"                   // 5
      "\n"                                          // 6
      "INSERT INTO t\n"                             // 7
      "  VALUES (1);  INSERT INTO t VALUES (2);\n"  // 8
      "\n"                                          // 9
      "SELECT\n"                                    // 10
      "  x FROM t",
      sdk::db::Dialect::mysql);  // 11
  EXPECT_THAT(Lines(parts), ElementsAre(5, 7, 8, 10));
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].text, "CREATE TABLE t (x INT)");
  EXPECT_EQ(parts[1].text, "INSERT INTO t\n  VALUES (1)");
  EXPECT_EQ(parts[2].text, "INSERT INTO t VALUES (2)");
  EXPECT_EQ(parts[3].text, "SELECT\n  x FROM t");
}

TEST(SqlTextSplit, NewlinesInsideStringsCountTowardsLaterLines) {
  const auto parts =
      split_statements("INSERT INTO t VALUES ('a\nb\nc');\nSELECT 1;", sdk::db::Dialect::mysql);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].text, "INSERT INTO t VALUES ('a\nb\nc')");
  EXPECT_EQ(parts[0].line, 1);
  EXPECT_EQ(parts[1].line, 4);
}

TEST(SqlTextSplit, AStatementMayStartWithAString) {
  const auto parts = split_statements("\n'lonely; string';\n", sdk::db::Dialect::mysql);
  EXPECT_THAT(Texts(parts), ElementsAre("'lonely; string'"));
  EXPECT_THAT(Lines(parts), ElementsAre(2));
}

TEST(SqlTextSplit, KeepsPlaceholdersAndQuotesVerbatim) {
  const auto parts =
      split_statements("UPDATE t SET a = '?;' WHERE b = ?;", sdk::db::Dialect::mysql);
  EXPECT_THAT(Texts(parts), ElementsAre("UPDATE t SET a = '?;' WHERE b = ?"));
  EXPECT_EQ(rewrite_placeholders(parts[0].text).placeholders, 1u);
}

// A comment dropped from a statement leaves a space, so the tokens on both sides stay apart.
TEST(SqlTextSplit, ACommentBetweenTokensStillSeparatesThem) {
  const auto parts = split_statements("SELECT 1/* one */AS x;", sdk::db::Dialect::mysql);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].text, "SELECT 1 AS x");
}

TEST(SqlTextSplit, ABackslashIsAnOrdinaryCharacterInSqliteStrings) {
  // 'C:\' ends at the second quote on SQLite; on MySQL the backslash escapes it.
  const std::string script = "INSERT INTO t VALUES ('C:\\');\nSELECT 2;";
  EXPECT_EQ(split_statements(script, sdk::db::Dialect::sqlite).size(), 2u);
  const std::string sqlite_path = "INSERT INTO t VALUES ('C:\\'); SELECT 2;";
  const auto parts = split_statements(sqlite_path, sdk::db::Dialect::sqlite);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].text, "SELECT 2");
  EXPECT_EQ(
      split_statements("INSERT INTO t VALUES ('it\\'s; fine'); SELECT 2;", sdk::db::Dialect::mysql)
          .size(),
      2u);
}

TEST(SqlTextDialects, DoubleDashStartsAMysqlCommentOnlyBeforeWhitespace) {
  // MySQL reads 5--1 as arithmetic; "-- " starts a comment.
  EXPECT_EQ(rewrite_placeholders("SELECT 5--1, ? -- ?\n").placeholders, 1u);
  EXPECT_EQ(rewrite_placeholders("SELECT 5--1, ?").text, "SELECT 5--1, :p1");
  const auto mysql = split_statements("SELECT 5--1; SELECT 2", sdk::db::Dialect::mysql);
  ASSERT_EQ(mysql.size(), 2u);
  EXPECT_EQ(mysql[0].text, "SELECT 5--1");
  // SQLite: any -- is a comment, and # is an ordinary character.
  const auto sqlite =
      split_statements("SELECT 5--1; x\nSELECT '#'; SELECT 2", sdk::db::Dialect::sqlite);
  ASSERT_EQ(sqlite.size(), 2u);
  EXPECT_EQ(sqlite[0].text, "SELECT 5 \nSELECT '#'");
  EXPECT_EQ(sqlite[1].text, "SELECT 2");
}

}  // namespace
}  // namespace lore
