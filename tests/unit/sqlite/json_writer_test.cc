#include "adapters/sqlite/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace shoal {
namespace {

TEST(JsonWriter, WritesCompactJsonInTheOrderGiven) {
  JsonWriter w;
  w.BeginObject().Key("b").Int(-3).Key("a").BeginArray().Bool(true).Null().Double(1.75).EndArray();
  w.Key("o").BeginObject().EndObject().Key("s").String("x").EndObject();
  EXPECT_EQ(w.text(), R"({"b":-3,"a":[true,null,1.75],"o":{},"s":"x"})");
}

TEST(JsonWriter, EscapesStringsSoAnyTextReadsBack) {
  const std::string nasty = std::string("quote\" back\\ nl\n tab\t nul") + '\0' + " \x01 é ✓ 😀";
  JsonWriter w;
  w.BeginObject().Key(nasty).String(nasty).EndObject();
  const nlohmann::json j = nlohmann::json::parse(w.text());
  EXPECT_EQ(j.at(nasty).get<std::string>(), nasty);
}

TEST(JsonWriter, InvalidUtf8BecomesTheReplacementCharacter) {
  JsonWriter w;
  w.String("a\xff" "b\xc3");  // a stray byte and a truncated sequence
  EXPECT_EQ(nlohmann::json::parse(w.text()).get<std::string>(), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}

TEST(JsonWriter, DoublesRoundTripAndNonFiniteIsNull) {
  JsonWriter w;
  w.BeginArray().Double(0.1).Double(1e300).Double(-2.5e-7).Double(1.0 / 0.0).EndArray();
  const nlohmann::json j = nlohmann::json::parse(w.text());
  EXPECT_EQ(j[0].get<double>(), 0.1);
  EXPECT_EQ(j[1].get<double>(), 1e300);
  EXPECT_EQ(j[2].get<double>(), -2.5e-7);
  EXPECT_TRUE(j[3].is_null());
}

}  // namespace
}  // namespace shoal
