#include <gtest/gtest.h>

#include "catalog/demo_data.h"

namespace lore {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;

nlohmann::json Convert(const std::string& yaml) {
  return demo_yaml_to_json(YAML::Load(yaml), kNow);
}

TEST(DemoYaml, PlainScalarsTakeTheirYamlTypesAndQuotedOnesStayText) {
  const auto j = Convert(
      "count: 12\nneg: -3\nratio: 0.5\nyes: true\nno: false\nnothing: ~\nempty:\n"
      "quoted: \"12\"\nsingle: 'true'\nversion: 1.2.3\nword: hello\nlist: [1, two]\n");
  EXPECT_EQ(j["count"], 12);
  EXPECT_TRUE(j["count"].is_number_integer());
  EXPECT_EQ(j["neg"], -3);
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 0.5);
  EXPECT_EQ(j["yes"], true);
  EXPECT_EQ(j["no"], false);
  EXPECT_TRUE(j["nothing"].is_null());
  EXPECT_TRUE(j["empty"].is_null());
  EXPECT_EQ(j["quoted"], "12");
  EXPECT_EQ(j["single"], "true");
  EXPECT_EQ(j["version"], "1.2.3");
  EXPECT_EQ(j["word"], "hello");
  EXPECT_EQ(j["list"], nlohmann::json::parse(R"([1, "two"])"));
}

TEST(DemoYaml, BlockScalarsKeepTheirText) {
  const auto j = Convert("body: |\n  # Title\n  line two\n");
  EXPECT_EQ(j["body"], "# Title\nline two\n");
}

TEST(DemoYaml, FromNowIsATimeRelativeToTheLoad) {
  const auto j = Convert("a: !from_now 3d\nb: !from_now -2h\nc: !from_now 30m\nd: !from_now 0m\n");
  EXPECT_EQ(j["a"], kNow + 3 * 24 * 3600 * 1000LL);
  EXPECT_EQ(j["b"], kNow - 2 * 3600 * 1000LL);
  EXPECT_EQ(j["c"], kNow + 30 * 60 * 1000LL);
  EXPECT_EQ(j["d"], kNow);
}

TEST(DemoYaml, BadOffsetsAndUnknownTagsAreRefusedByName) {
  for (const auto* bad : {"a: !from_now soon\n", "a: !from_now 3w\n", "a: !from_now d\n",
                          "a: !from_now 1.5h\n", "a: !from_now 999999d\n"})
    EXPECT_THROW(
        {
          try {
            Convert(bad);
          } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("!from_now expects"), std::string::npos) << bad;
            throw;
          }
        },
        std::invalid_argument)
        << bad;
  try {
    Convert("a: 1\nb: !secret x\n");
    FAIL() << "an unknown tag was accepted";
  } catch (const DemoYamlError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown tag '!secret'"), std::string::npos);
    EXPECT_EQ(e.node().Mark().line, 1) << "the complaint points at the tagged value";
  }
}

}  // namespace
}  // namespace lore
