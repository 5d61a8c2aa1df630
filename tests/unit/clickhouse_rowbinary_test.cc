// RowBinary decoding of Chroma's ClickHouse tables: exact float64 bits, UUID byte order, NULLs,
// both metadata shapes, streaming across arbitrary chunk boundaries, and the corruption suite
// (every truncation, bad null flags, absurd lengths, varint overflow) with exact messages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "sources/clickhouse_rowbinary.h"

namespace cm::clickhouse {
namespace {

// A tiny RowBinary writer, independent of the decoder.
struct Writer {
  std::string out;
  void Varint(uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out.push_back(static_cast<char>(b | (v ? 0x80 : 0)));
    } while (v);
  }
  void Str(const std::string& s) {
    Varint(s.size());
    out += s;
  }
  void NullableStr(const std::optional<std::string>& s) {
    out.push_back(s ? 0 : 1);
    if (s) Str(*s);
  }
  void F64(double d) {
    char b[8];
    std::memcpy(b, &d, 8);
    out.append(b, 8);
  }
  void Uuid(const std::string& text) {  // two little-endian UInt64 halves
    std::string hex;
    for (char c : text) {
      if (c != '-') hex.push_back(c);
    }
    for (int half = 0; half < 2; ++half) {
      uint64_t v = std::stoull(hex.substr(half * 16, 16), nullptr, 16);
      for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
  }
  void Embedding(const std::vector<double>& v) {
    Varint(v.size());
    for (double d : v) F64(d);
  }
};

std::vector<Column> EmbeddingColumns(bool nullable_metadata = true) {
  auto t = [](const char* s) { return ParseColumnType(s).value(); };
  return {{"collection_uuid", t("UUID")},
          {"uuid", t("UUID")},
          {"embedding", t("Array(Float64)")},
          {"document", t("Nullable(String)")},
          {"id", t("Nullable(String)")},
          {"metadata", t(nullable_metadata ? "Nullable(String)" : "String")}};
}

const char* kColl = "00112233-4455-6677-8899-aabbccddeeff";
const char* kRow1 = "f97e7bdb-bf55-4ecb-afb0-f7f96456068d";
const char* kRow2 = "833847bf-c518-4bac-bbd8-7567592109af";

uint64_t Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

double FromBits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

// Two rows: a full one, and one with NULL document/id/metadata and special doubles.
std::string TwoRows(std::vector<double>* special) {
  *special = {0.9645179103619317, -0.0, 5e-324, std::numeric_limits<double>::infinity(), FromBits(0x7ff8000000000123ull),
              1e300};
  Writer w;
  w.Uuid(kColl);
  w.Uuid(kRow1);
  w.Embedding({0.1, 0.2});
  w.NullableStr("document_0");
  w.NullableStr("id_0");
  w.NullableStr("{\"0\": \"0\"}");
  w.Uuid(kColl);
  w.Uuid(kRow2);
  w.Embedding(*special);
  w.NullableStr(std::nullopt);
  w.NullableStr(std::nullopt);
  w.NullableStr(std::nullopt);
  return w.out;
}

TEST(ClickHouseRowBinary, UuidByteOrderMatchesClickHouse) {
  // What ClickHouse 18.16 sends for toUUID('00112233-4455-6677-8899-aabbccddeeff') (observed).
  const uint8_t wire[16] = {0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
                            0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88};
  EXPECT_EQ(FormatUuid(wire), "00112233-4455-6677-8899-aabbccddeeff");
  Writer w;
  w.Uuid(kColl);
  EXPECT_EQ(w.out, std::string(reinterpret_cast<const char*>(wire), 16));
}

TEST(ClickHouseRowBinary, ParsesColumnTypes) {
  EXPECT_EQ(ParseColumnType("String")->ToString(), "String");
  EXPECT_EQ(ParseColumnType("Nullable(String)")->ToString(), "Nullable(String)");
  EXPECT_EQ(ParseColumnType("Array(Float64)")->ToString(), "Array(Float64)");
  EXPECT_EQ(ParseColumnType("Array(Nullable(Float32))")->ToString(), "Array(Nullable(Float32))");
  EXPECT_EQ(ParseColumnType("LowCardinality(Nullable(String))")->ToString(), "Nullable(String)");
  EXPECT_EQ(ParseColumnType("UUID")->kind, ColumnType::Kind::kUuid);
  auto map = ParseColumnType("Map(String, String)");
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.status().message(), "ClickHouse type Map(String, String) is not supported");
  auto nested = ParseColumnType("Nullable(Array(Float64))");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(), "Nullable(Array(Float64)) is not a valid ClickHouse type");
}

void ExpectTwoRows(const std::vector<std::vector<Cell>>& rows, const std::vector<double>& special) {
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].text, kColl);
  EXPECT_EQ(rows[0][1].text, kRow1);
  EXPECT_EQ(rows[0][2].values, (std::vector<double>{0.1, 0.2}));
  EXPECT_EQ(rows[0][3].text, "document_0");
  EXPECT_EQ(rows[0][4].text, "id_0");
  EXPECT_EQ(rows[0][5].text, "{\"0\": \"0\"}");
  EXPECT_FALSE(rows[0][3].is_null || rows[0][4].is_null || rows[0][5].is_null);
  EXPECT_EQ(rows[1][1].text, kRow2);
  ASSERT_EQ(rows[1][2].values.size(), special.size());
  for (size_t i = 0; i < special.size(); ++i) EXPECT_EQ(Bits(rows[1][2].values[i]), Bits(special[i])) << i;
  EXPECT_TRUE(rows[1][3].is_null);
  EXPECT_TRUE(rows[1][4].is_null);
  EXPECT_TRUE(rows[1][5].is_null);
}

TEST(ClickHouseRowBinary, DecodesRowsBitForBitInAnyChunking) {
  std::vector<double> special;
  std::string bytes = TwoRows(&special);
  for (size_t chunk : {bytes.size(), size_t{1}, size_t{3}, size_t{17}}) {
    RowBinaryStream s(EmbeddingColumns(), Limits{});
    s.Reset("t");
    std::vector<std::vector<Cell>> rows;
    std::vector<Cell> row;
    for (size_t at = 0; at < bytes.size(); at += chunk) {
      s.Append(std::string_view(bytes).substr(at, chunk));
      for (bool have = true; have;) {
        ASSERT_TRUE(s.Next(&row, &have).ok());
        if (have) rows.push_back(row);
      }
    }
    ASSERT_TRUE(s.Finish().ok());
    EXPECT_EQ(s.offset(), bytes.size());
    ExpectTwoRows(rows, special);
  }
}

TEST(ClickHouseRowBinary, OldNonNullableMetadataShape) {
  Writer w;
  w.Uuid(kColl);
  w.Uuid(kRow1);
  w.Embedding({1.5});
  w.NullableStr(std::nullopt);
  w.NullableStr(std::nullopt);
  w.Str("{}");  // metadata String: no null flag
  RowBinaryStream s(EmbeddingColumns(false), Limits{});
  s.Reset("t");
  s.Append(w.out);
  std::vector<Cell> row;
  bool have = false;
  ASSERT_TRUE(s.Next(&row, &have).ok());
  ASSERT_TRUE(have);
  EXPECT_FALSE(row[5].is_null);
  EXPECT_EQ(row[5].text, "{}");
  EXPECT_TRUE(row[4].is_null);
  EXPECT_TRUE(s.Finish().ok());
}

TEST(ClickHouseRowBinary, NullableArrayElementsAndFloat32) {
  auto t = [](const char* s) { return ParseColumnType(s).value(); };
  std::vector<Column> cols = {{"e", t("Array(Nullable(Float64))")}, {"f", t("Array(Float32)")}};
  Writer w;
  w.Varint(3);
  w.out.push_back(0);
  w.F64(2.5);
  w.out.push_back(1);
  w.out.push_back(0);
  w.F64(-1);
  w.Varint(1);
  float f = 0.1f;
  w.out.append(reinterpret_cast<const char*>(&f), 4);
  ByteCursor c(w.out, "t");
  std::vector<Cell> row;
  bool short_read = false;
  ASSERT_TRUE(DecodeRow(cols, Limits{}, &c, &row, &short_read).ok());
  ASSERT_EQ(row[0].values.size(), 3u);
  EXPECT_EQ(row[0].values[0], 2.5);
  EXPECT_TRUE(std::isnan(row[0].values[1]));
  EXPECT_EQ(row[0].values[2], -1);
  EXPECT_EQ(row[0].null_elements, 1u);
  EXPECT_EQ(row[1].values, std::vector<double>{static_cast<double>(0.1f)});
}

TEST(ClickHouseRowBinary, EveryTruncationIsAnErrorAtFinishNeverARow) {
  std::vector<double> special;
  std::string bytes = TwoRows(&special);
  size_t first_row_end = 0;
  {
    ByteCursor c(bytes, "t");
    std::vector<Cell> row;
    bool short_read = false;
    ASSERT_TRUE(DecodeRow(EmbeddingColumns(), Limits{}, &c, &row, &short_read).ok());
    first_row_end = c.position();
  }
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    if (cut == first_row_end) continue;  // a whole first row is a valid response
    RowBinaryStream s(EmbeddingColumns(), Limits{});
    s.Reset("t");
    s.Append(std::string_view(bytes).substr(0, cut));
    std::vector<Cell> row;
    size_t rows = 0;
    for (bool have = true; have;) {
      ASSERT_TRUE(s.Next(&row, &have).ok()) << cut;
      rows += have;
    }
    EXPECT_EQ(rows, cut > first_row_end ? 1u : 0u) << cut;
    Status st = s.Finish();
    ASSERT_FALSE(st.ok()) << cut;
    EXPECT_EQ(st.code(), StatusCode::kCorrupt);
    EXPECT_NE(st.message().find("truncated while reading"), std::string::npos) << st.message();
  }
}

TEST(ClickHouseRowBinary, TruncationMessageNamesOffsetsAndColumn) {
  std::vector<double> special;
  std::string bytes = TwoRows(&special);
  // Row 1 starts at 16+16+1+16+1+1+10+1+1+4+1+1+10 = 79; its embedding elements start at 79+33 = 112.
  RowBinaryStream s(EmbeddingColumns(), Limits{});
  s.Reset("ClickHouse test page 1");
  s.Append(std::string_view(bytes).substr(0, 112 + 11));
  std::vector<Cell> row;
  bool have = false;
  ASSERT_TRUE(s.Next(&row, &have).ok());
  ASSERT_TRUE(have);
  ASSERT_TRUE(s.Next(&row, &have).ok());
  ASSERT_FALSE(have);
  EXPECT_EQ(s.offset(), 79u);
  EXPECT_EQ(s.Finish().message(),
            "ClickHouse test page 1 at offset 112: truncated while reading embedding array elements (need 48 bytes, "
            "11 left) (the response ended inside row 1, which starts at offset 79)");
}

TEST(ClickHouseRowBinary, BadNullFlagIsCorruptAtItsOffset) {
  Writer w;
  w.Uuid(kColl);
  w.Uuid(kRow1);
  w.Embedding({});
  w.out.push_back(2);  // document null flag
  RowBinaryStream s(EmbeddingColumns(), Limits{});
  s.Reset("t");
  s.Append(w.out);
  std::vector<Cell> row;
  bool have = false;
  Status st = s.Next(&row, &have);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_EQ(st.message(), "t at offset 34: document: null flag is 2, expected 0 or 1");
}

TEST(ClickHouseRowBinary, AbsurdArrayLengthFailsAtOnceWithoutWaitingOrAllocating) {
  Writer w;
  w.Uuid(kColl);
  w.Uuid(kRow1);
  w.Varint(1ull << 40);  // and no element bytes follow
  RowBinaryStream s(EmbeddingColumns(), Limits{});
  s.Reset("t");
  s.Append(w.out);
  std::vector<Cell> row;
  bool have = false;
  Status st = s.Next(&row, &have);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_EQ(st.message(), "t at offset 32: embedding: array length 1099511627776 exceeds the limit of 4194304 elements");
  // A smaller limit applies the same way.
  Writer w2;
  w2.Uuid(kColl);
  w2.Uuid(kRow1);
  w2.Embedding({1, 2, 3});
  Limits tight;
  tight.max_array_elements = 2;
  RowBinaryStream s2(EmbeddingColumns(), tight);
  s2.Reset("t");
  s2.Append(w2.out);
  EXPECT_EQ(s2.Next(&row, &have).message(), "t at offset 32: embedding: array length 3 exceeds the limit of 2 elements");
}

TEST(ClickHouseRowBinary, AbsurdStringLengthFailsAtOnce) {
  Writer w;
  w.Uuid(kColl);
  w.Uuid(kRow1);
  w.Embedding({});
  w.out.push_back(0);
  w.Varint(1ull << 50);
  RowBinaryStream s(EmbeddingColumns(), Limits{});
  s.Reset("t");
  s.Append(w.out);
  std::vector<Cell> row;
  bool have = false;
  EXPECT_EQ(s.Next(&row, &have).message(),
            "t at offset 34: document: string length 1125899906842624 exceeds the limit of 268435456 bytes");
}

TEST(ClickHouseRowBinary, VarintOverflowIsCorrupt) {
  Writer w;
  w.Uuid(kColl);
  w.Uuid(kRow1);
  w.out.append(10, static_cast<char>(0xff));
  w.out.push_back(0x7f);
  RowBinaryStream s(EmbeddingColumns(), Limits{});
  s.Reset("t");
  s.Append(w.out);
  std::vector<Cell> row;
  bool have = false;
  Status st = s.Next(&row, &have);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("overflows 64 bits"), std::string::npos) << st.message();
}

TEST(ClickHouseRowBinary, GarbageNeverCrashes) {
  std::vector<double> special;
  std::string good = TwoRows(&special);
  uint64_t state = 12345;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes = good;
    for (int k = 0; k < 3; ++k) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      bytes[(state >> 33) % bytes.size()] = static_cast<char>(state >> 56);
    }
    RowBinaryStream s(EmbeddingColumns(), Limits{});
    s.Reset("t");
    s.Append(bytes);
    std::vector<Cell> row;
    Status st;
    for (bool have = true; have && st.ok();) st = s.Next(&row, &have);
    if (st.ok()) st = s.Finish();
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kCorrupt) << st.message();
    }
  }
}

}  // namespace
}  // namespace cm::clickhouse
