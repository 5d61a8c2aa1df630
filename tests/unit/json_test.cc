// Tests of the Pythonic JSON reader and the JSON writer.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "formats/json/json_reader.h"
#include "formats/json/json_writer.h"
#include "test_env.h"

namespace cm {
namespace {

Value Parse(const std::string& s) {
  auto r = ParseJson(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? r.value() : Value();
}

TEST(JsonReader, PythonTokensAndTypes) {
  Value v = Parse(R"({"a": NaN, "b": Infinity, "c": -Infinity, "d": 1, "e": 1.0, "f": 1e2, "g": true, "h": null})");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(std::isnan(v.Find("a")->as_double()));
  EXPECT_EQ(v.Find("b")->as_double(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(v.Find("c")->as_double(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(v.Find("d")->kind(), Value::Kind::kInt);
  EXPECT_EQ(v.Find("e")->kind(), Value::Kind::kDouble);
  EXPECT_EQ(v.Find("f")->kind(), Value::Kind::kDouble);
  EXPECT_EQ(v.Find("f")->as_double(), 100.0);
  EXPECT_TRUE(v.Find("g")->as_bool());
  EXPECT_TRUE(v.Find("h")->is_null());
}

TEST(JsonReader, KeepsKeyOrderAndPythonDuplicateSemantics) {
  Value v = Parse(R"({"z": 1, "a": 2, "z": 3})");
  ASSERT_EQ(v.as_object().size(), 2u);
  EXPECT_EQ(v.as_object()[0].first, "z");
  EXPECT_EQ(v.as_object()[0].second.as_int(), 3);  // first position, last value (like dict)
  EXPECT_EQ(v.as_object()[1].first, "a");
}

TEST(JsonReader, BigIntegersStayExact) {
  Value v = Parse("[9223372036854775807, 9223372036854775808, -9223372036854775809, 123456789012345678901234567890]");
  EXPECT_EQ(v.as_array()[0].kind(), Value::Kind::kInt);
  EXPECT_EQ(v.as_array()[1].kind(), Value::Kind::kBigInt);
  EXPECT_EQ(v.as_array()[1].as_string(), "9223372036854775808");
  EXPECT_EQ(v.as_array()[2].as_string(), "-9223372036854775809");
  EXPECT_EQ(v.as_array()[3].as_string(), "123456789012345678901234567890");
}

TEST(JsonReader, UnicodeEscapes) {
  Value v = Parse(R"(["caf\u00e9", "\ud83d\ude00", "\u4e2d", "a\/b\n"])");
  EXPECT_EQ(v.as_array()[0].as_string(), "caf\xC3\xA9");
  EXPECT_EQ(v.as_array()[1].as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(v.as_array()[2].as_string(), "\xE4\xB8\xAD");
  EXPECT_EQ(v.as_array()[3].as_string(), "a/b\n");
}

TEST(JsonReader, ErrorsNameTheOffset) {
  struct Case { const char* text; const char* message; };
  for (const Case& c : {Case{"{\"a\": }", "offset 6: unexpected character '}'"},
                        Case{"\"\\ud800\"", "lone surrogate \\ud800"},
                        Case{"[1, 2", "offset 5: expected ',' or ']' in an array"},
                        Case{"{} x", "offset 3: unexpected text after the JSON value"},
                        Case{"\"a\tb\"", "control character inside a string"},
                        Case{"-", "expected a digit"},
                        Case{"nul", "unexpected character 'n'"}}) {
    auto r = ParseJson(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

TEST(JsonReader, DepthLimitInsteadOfStackOverflow) {
  std::string deep(100000, '[');
  auto r = ParseJson(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting deeper than"), std::string::npos);
}

TEST(JsonWriter, DoublesLookLikePythonRepr) {
  struct Case { double d; const char* text; };
  for (const Case& c : {Case{1.0, "1.0"}, Case{0.1, "0.1"}, Case{-2.5, "-2.5"}, Case{1e16, "1e+16"},
                        Case{1e15, "1000000000000000.0"}, Case{123456789012345680.0, "1.2345678901234568e+17"},
                        Case{0.0001, "0.0001"}, Case{0.00001, "1e-05"}, Case{0.30000000000000004, "0.30000000000000004"},
                        Case{5e-324, "5e-324"}, Case{-0.0, "-0.0"}, Case{1.7976931348623157e308, "1.7976931348623157e+308"}}) {
    std::string out;
    AppendJsonDouble(&out, c.d);
    EXPECT_EQ(out, c.text);
    auto back = ParseJson(out);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back.value().as_double(), c.d);
  }
}

TEST(JsonWriter, RoundTripsNestedValues) {
  const std::string text = R"({"b":[1,2.0,"x",null,true,{"c":NaN}],"a":{"z":-Infinity,"big":123456789012345678901}})";
  Value v = Parse(text);
  EXPECT_EQ(ToJson(v), text);
  EXPECT_EQ(Parse(ToJson(v)), v);
}

TEST(JsonWriter, EscapesOnlyWhatJsonRequires) {
  std::string out;
  AppendJsonString(&out, std::string("q\"b\\n\n\x01\xC3\xA9", 9));
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\n\\u0001\xC3\xA9\"");
}

}  // namespace
}  // namespace cm
