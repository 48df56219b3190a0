// Migration files on disk: naming, ordering, dialect-specific variants, checksums, and the
// schema placeholders each dialect spells differently.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/migration.h"
#include "support/test_config.h"

namespace lore {
namespace {

using sdk::db::Dialect;
using test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<long long> versions(const std::vector<Migration>& migrations) {
  std::vector<long long> out;
  for (const auto& m : migrations) out.push_back(m.version);
  return out;
}

std::vector<std::string> names(const std::vector<Migration>& migrations) {
  std::vector<std::string> out;
  for (const auto& m : migrations) out.push_back(m.name);
  return out;
}

// The message load_migrations throws, or "" when it does not throw.
std::string load_error(const std::filesystem::path& dir, Dialect dialect) {
  try {
    load_migrations(dir, "widgets", dialect);
  } catch (const MigrationError& e) {
    return e.what();
  }
  return "";
}

std::string expand_error(const std::string& text, Dialect dialect) {
  try {
    expand_schema_placeholders(text, dialect, "migrations/0001_x.sql");
  } catch (const MigrationError& e) {
    return e.what();
  }
  return "";
}

TEST(MigrationFiles, LoadsInVersionOrderWithNamesAndIgnoresOtherFiles) {
  TempDir dir;
  dir.write("0010_add_index.sql", "CREATE INDEX widgets_i ON widgets_items (name);\n");
  dir.write("0002_add_tags.sql", "CREATE TABLE widgets_tags (name TEXT);\n");
  dir.write("0001_create_items.sql", "CREATE TABLE widgets_items (name TEXT);\n");
  dir.write("README.md", "not a migration");
  dir.write("notes.sql.txt", "not a migration either");
  std::filesystem::create_directory(dir.path() / "0003_a_directory.sql");

  for (auto dialect : {Dialect::sqlite, Dialect::mysql}) {
    auto loaded = load_migrations(dir.path(), "widgets", dialect);
    EXPECT_THAT(versions(loaded), ElementsAre(1, 2, 10));
    EXPECT_THAT(names(loaded), ElementsAre("create_items", "add_tags", "add_index"));
    ASSERT_EQ(loaded.size(), 3u);
    EXPECT_EQ(loaded[0].component, "widgets");
    EXPECT_EQ(loaded[0].source, (dir.path() / "0001_create_items.sql").string());
    EXPECT_EQ(loaded[0].text, "CREATE TABLE widgets_items (name TEXT);\n");
    EXPECT_EQ(loaded[0].label(), "widgets 0001_create_items");
    EXPECT_EQ(loaded[2].label(), "widgets 0010_add_index");
  }
}

TEST(MigrationFiles, DialectSpecificFileWinsOverGeneric) {
  TempDir dir;
  dir.write("0001_create.sql", "-- generic\n");
  dir.write("0001_create.sqlite.sql", "-- sqlite\n");
  dir.write("0001_create.mysql.sql", "-- mysql\n");
  dir.write("0002_only_generic.sql", "-- generic 2\n");

  auto sqlite = load_migrations(dir.path(), "widgets", Dialect::sqlite);
  ASSERT_EQ(sqlite.size(), 2u);
  EXPECT_EQ(sqlite[0].text, "-- sqlite\n");
  EXPECT_EQ(sqlite[0].name, "create");
  EXPECT_EQ(sqlite[0].source, (dir.path() / "0001_create.sqlite.sql").string());
  EXPECT_EQ(sqlite[1].text, "-- generic 2\n");

  auto mysql = load_migrations(dir.path(), "widgets", Dialect::mysql);
  ASSERT_EQ(mysql.size(), 2u);
  EXPECT_EQ(mysql[0].text, "-- mysql\n");
  EXPECT_EQ(mysql[0].name, "create");
  EXPECT_EQ(mysql[0].source, (dir.path() / "0001_create.mysql.sql").string());
  EXPECT_EQ(mysql[1].name, "only_generic");
}

TEST(MigrationFiles, GenericFileServesTheDialectWithoutItsOwnVariant) {
  TempDir dir;
  dir.write("0001_create.sql", "-- generic\n");
  dir.write("0001_create.mysql.sql", "-- mysql\n");

  auto sqlite = load_migrations(dir.path(), "widgets", Dialect::sqlite);
  ASSERT_EQ(sqlite.size(), 1u);
  EXPECT_EQ(sqlite[0].text, "-- generic\n");
  EXPECT_EQ(sqlite[0].source, (dir.path() / "0001_create.sql").string());
}

TEST(MigrationFiles, AVersionWithOnlyTheOtherDialectsFileIsAnError) {
  TempDir dir;
  dir.write("0001_create.sql", "-- generic\n");
  dir.write("0002_tune.sqlite.sql", "-- sqlite only\n");

  EXPECT_THAT(versions(load_migrations(dir.path(), "widgets", Dialect::sqlite)), ElementsAre(1, 2));
  const auto error = load_error(dir.path(), Dialect::mysql);
  EXPECT_THAT(error, HasSubstr((dir.path() / "0002_tune.sqlite.sql").string()));
  EXPECT_THAT(error, HasSubstr("version 2 has no file for mysql"));
  EXPECT_THAT(error, HasSubstr(".mysql.sql or a generic NNNN_name.sql"));

  TempDir other;
  other.write("0001_create.mysql.sql", "-- mysql only\n");
  EXPECT_THAT(load_error(other.path(), Dialect::sqlite),
              HasSubstr("version 1 has no file for sqlite"));
  EXPECT_EQ(load_error(other.path(), Dialect::mysql), "");
}

TEST(MigrationFiles, BadlyNamedFilesAreErrors) {
  for (const std::string bad :
       {"create_items.sql", "0000_zero.sql", "0001-dash.sql", "0001.sql", "-001_negative.sql",
        "v0001_prefixed.sql", "99999999999999999999999_too_big.sql"}) {
    TempDir dir;
    dir.write("0001_fine.sql", "-- fine\n");
    dir.write(bad, "-- bad\n");
    const auto error = load_error(dir.path(), Dialect::sqlite);
    EXPECT_THAT(error, HasSubstr((dir.path() / bad).string())) << bad;
    EXPECT_THAT(error, HasSubstr("a migration file is named NNNN_description.sql")) << bad;
  }
}

TEST(MigrationFiles, TwoFilesWithOneVersionAreAnError) {
  {
    TempDir dir;
    dir.write("0001_create.sql", "-- a\n");
    dir.write("0001_other.sql", "-- b\n");
    const auto error = load_error(dir.path(), Dialect::sqlite);
    EXPECT_THAT(error, HasSubstr("version 1 is also used by"));
    EXPECT_THAT(error, HasSubstr("0001_create.sql"));
    EXPECT_THAT(error, HasSubstr("0001_other.sql"));
  }
  {
    // Leading zeros do not make another version.
    TempDir dir;
    dir.write("01_create.sql", "-- a\n");
    dir.write("0001_other.sql", "-- b\n");
    EXPECT_THAT(load_error(dir.path(), Dialect::mysql), HasSubstr("version 1 is also used by"));
  }
  {
    // Two files for the same dialect.
    TempDir dir;
    dir.write("0003_a.sqlite.sql", "-- a\n");
    dir.write("0003_b.sqlite.sql", "-- b\n");
    EXPECT_THAT(load_error(dir.path(), Dialect::sqlite), HasSubstr("version 3 is also used by"));
  }
}

TEST(MigrationFiles, AMissingDirectoryHasNoMigrations) {
  TempDir dir;
  EXPECT_THAT(load_migrations(dir.path() / "migrations", "widgets", Dialect::sqlite), IsEmpty());
  // An empty directory and a file where the directory should be are no migrations either.
  EXPECT_THAT(load_migrations(dir.path(), "widgets", Dialect::mysql), IsEmpty());
  auto file = dir.write("migrations", "not a directory");
  EXPECT_THAT(load_migrations(file, "widgets", Dialect::sqlite), IsEmpty());
}

TEST(MigrationFiles, ChecksumIsSha256OfTheTextWithLineEndingsNormalised) {
  const auto lf = make_migration("widgets", 1, "create", "a.sql", "CREATE TABLE a (x INT);\nB;\n");
  const auto crlf =
      make_migration("widgets", 1, "create", "a.sql", "CREATE TABLE a (x INT);\r\nB;\r\n");
  EXPECT_EQ(lf.checksum, crlf.checksum);
  EXPECT_EQ(crlf.text, lf.text);
  EXPECT_EQ(lf.checksum.size(), 64u);
  EXPECT_EQ(lf.checksum.find_first_not_of("0123456789abcdef"), std::string::npos);

  const auto changed =
      make_migration("widgets", 1, "create", "a.sql", "CREATE TABLE a (x BIGINT);\nB;\n");
  EXPECT_NE(changed.checksum, lf.checksum);
  // One more blank line is a change too.
  EXPECT_NE(make_migration("widgets", 1, "create", "a.sql", lf.text + "\n").checksum, lf.checksum);

  // SHA-256 test vectors (FIPS 180-2).
  EXPECT_EQ(make_migration("w", 1, "n", "s", "").checksum,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(make_migration("w", 1, "n", "s", "abc").checksum,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(MigrationFiles, ALoadedFileWithCrlfHasTheSameChecksumAsWithLf) {
  TempDir crlf_dir, lf_dir;
  crlf_dir.write("0001_create.sql", "CREATE TABLE widgets_a (x INT);\r\n-- done\r\n");
  lf_dir.write("0001_create.sql", "CREATE TABLE widgets_a (x INT);\n-- done\n");
  auto crlf = load_migrations(crlf_dir.path(), "widgets", Dialect::sqlite);
  auto lf = load_migrations(lf_dir.path(), "widgets", Dialect::sqlite);
  ASSERT_EQ(crlf.size(), 1u);
  ASSERT_EQ(lf.size(), 1u);
  EXPECT_EQ(crlf[0].text, lf[0].text);
  EXPECT_EQ(crlf[0].checksum, lf[0].checksum);
  EXPECT_EQ(
      crlf[0].checksum,
      make_migration("x", 9, "y", "z", "CREATE TABLE widgets_a (x INT);\n-- done\n").checksum);
}

TEST(MigrationFiles, PlaceholdersAreSpelledPerDialect) {
  const std::string text =
      "CREATE TABLE t (id {{id}}, ok {{bool}}, body {{text}}, data {{blob}}, at {{time}}) "
      "{{table_options}};";
  EXPECT_EQ(expand_schema_placeholders(text, Dialect::sqlite, "x.sql"),
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, ok INTEGER, body TEXT, "
            "data BLOB, at BIGINT) ;");
  EXPECT_EQ(expand_schema_placeholders(text, Dialect::mysql, "x.sql"),
            "CREATE TABLE t (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, ok TINYINT(1), "
            "body LONGTEXT, data LONGBLOB, at BIGINT) "
            "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;");
  // Text without placeholders passes through unchanged, braces that are not "{{" included.
  const std::string plain = "INSERT INTO t (j) VALUES ('{\"a\": {\"b\": 1}}');";
  EXPECT_EQ(expand_schema_placeholders(plain, Dialect::sqlite, "x.sql"), plain);
  EXPECT_EQ(expand_schema_placeholders("", Dialect::mysql, "x.sql"), "");
  EXPECT_EQ(expand_schema_placeholders("{{time}}{{time}}", Dialect::mysql, "x.sql"),
            "BIGINTBIGINT");
}

TEST(MigrationFiles, AnUnknownPlaceholderIsAnErrorListingTheKnownOnes) {
  for (auto dialect : {Dialect::sqlite, Dialect::mysql}) {
    const auto error = expand_error("CREATE TABLE t (id {{uuid}});", dialect);
    EXPECT_THAT(error, HasSubstr("migrations/0001_x.sql: unknown placeholder {{uuid}}"));
    EXPECT_THAT(error, HasSubstr("(known: id, bool, text, blob, time, table_options)"));
    // Placeholders are case-sensitive and not trimmed.
    EXPECT_THAT(expand_error("{{ID}}", dialect), HasSubstr("unknown placeholder {{ID}}"));
    EXPECT_THAT(expand_error("{{ id }}", dialect), HasSubstr("unknown placeholder {{ id }}"));
  }
  EXPECT_THAT(expand_error("CREATE TABLE t (id {{id);", Dialect::sqlite),
              HasSubstr("migrations/0001_x.sql: '{{' without a closing '}}'"));
}

}  // namespace
}  // namespace lore
