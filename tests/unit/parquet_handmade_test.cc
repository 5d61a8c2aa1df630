// Shapes DuckDB reads but does not write: DATA_PAGE_V2 pages (DuckDB 1.5 writes only v1 data
// pages, even with PARQUET_VERSION V2), the legacy 2-level list forms, FLOAT elements and many
// small pages per column chunk. A minimal writer below produces such files; DuckDB is the
// oracle for what they contain, and FileReader must read the same cells.
#include <gtest/gtest.h>
#include <snappy-c.h>
#include <zstd.h>

#include <cmath>
#include <functional>
#include <limits>

#include "formats/parquet/rle.h"
#include "parquet_test_support.h"

namespace cm::parquet {
namespace {

using namespace cm::parquet::testing;

// Thrift compact-protocol writer, just enough for a footer and page headers.
class ThriftOut {
 public:
  std::string bytes;
  void Varint(uint64_t v) {
    while (v >= 0x80) { bytes.push_back(static_cast<char>((v & 0x7f) | 0x80)); v >>= 7; }
    bytes.push_back(static_cast<char>(v));
  }
  void ZigZag(int64_t v) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Field(int16_t id, uint8_t type) {
    int delta = id - last_.back();
    if (delta > 0 && delta <= 15) bytes.push_back(static_cast<char>((delta << 4) | type));
    else { bytes.push_back(static_cast<char>(type)); ZigZag(id); }
    last_.back() = id;
  }
  void I32(int16_t id, int32_t v) { Field(id, 5); ZigZag(v); }
  void I64(int16_t id, int64_t v) { Field(id, 6); ZigZag(v); }
  void Bool(int16_t id, bool v) { Field(id, v ? 1 : 2); }
  void Binary(int16_t id, const std::string& s) { Field(id, 8); Varint(s.size()); bytes += s; }
  void BeginStruct(int16_t id) { Field(id, 12); last_.push_back(0); }
  void BeginListElemStruct() { last_.push_back(0); }
  void EndStruct() { bytes.push_back(0); last_.pop_back(); }
  void ListHeader(int16_t id, uint8_t elem, size_t n) {
    Field(id, 9);
    if (n < 15) bytes.push_back(static_cast<char>((n << 4) | elem));
    else { bytes.push_back(static_cast<char>(0xf0 | elem)); Varint(n); }
  }
 private:
  std::vector<int16_t> last_{0};
};

enum class Shape { kFlatString, kFlatDouble, kList3, kList2, kBareRepeated };

struct Spec {
  std::string name;
  Shape shape;
  PhysicalType type;            // leaf type
  bool element_optional = true; // for kList3
};

// One row: NULL, or a list of optional numbers / a string.
struct Cell {
  bool null = false;
  std::vector<std::optional<double>> numbers;
  std::string text;
};

struct LevelsAndValues {
  std::vector<uint16_t> rep, def;
  std::string values;  // PLAIN
  int32_t nulls = 0;
};

int MaxDef(const Spec& s) {
  switch (s.shape) {
    case Shape::kFlatString:
    case Shape::kFlatDouble: return 1;
    case Shape::kList3: return s.element_optional ? 3 : 2;
    case Shape::kList2: return 2;
    case Shape::kBareRepeated: return 1;
  }
  return 0;
}
int MaxRep(const Spec& s) { return s.shape == Shape::kFlatString || s.shape == Shape::kFlatDouble ? 0 : 1; }

void AppendPlain(PhysicalType t, double v, std::string* out) {
  char buf[8];
  switch (t) {
    case PhysicalType::kFloat: { float f = static_cast<float>(v); std::memcpy(buf, &f, 4); out->append(buf, 4); break; }
    case PhysicalType::kInt64: { int64_t i = static_cast<int64_t>(v); std::memcpy(buf, &i, 8); out->append(buf, 8); break; }
    case PhysicalType::kInt32: { int32_t i = static_cast<int32_t>(v); std::memcpy(buf, &i, 4); out->append(buf, 4); break; }
    default: std::memcpy(buf, &v, 8); out->append(buf, 8);
  }
}

LevelsAndValues Shred(const Spec& s, const std::vector<Cell>& rows) {
  LevelsAndValues lv;
  int max_def = MaxDef(s);
  for (const Cell& c : rows) {
    if (s.shape == Shape::kFlatString || s.shape == Shape::kFlatDouble) {
      lv.rep.push_back(0);
      lv.def.push_back(c.null ? 0 : 1);
      if (c.null) { ++lv.nulls; continue; }
      if (s.shape == Shape::kFlatString) {
        uint32_t n = static_cast<uint32_t>(c.text.size());
        lv.values.append(reinterpret_cast<const char*>(&n), 4);
        lv.values += c.text;
      } else {
        AppendPlain(s.type, *c.numbers.at(0), &lv.values);
      }
      continue;
    }
    int list_def = s.shape == Shape::kBareRepeated ? 0 : 1;  // level of a present (maybe empty) list
    if (c.null || c.numbers.empty()) {
      lv.rep.push_back(0);
      lv.def.push_back(static_cast<uint16_t>(c.null ? 0 : list_def));
      ++lv.nulls;
      continue;
    }
    for (size_t k = 0; k < c.numbers.size(); ++k) {
      lv.rep.push_back(k == 0 ? 0 : 1);
      if (c.numbers[k]) {
        lv.def.push_back(static_cast<uint16_t>(max_def));
        AppendPlain(s.type, *c.numbers[k], &lv.values);
      } else {
        lv.def.push_back(static_cast<uint16_t>(max_def - 1));
        ++lv.nulls;
      }
    }
  }
  return lv;
}

// RLE runs only (valid hybrid encoding).
std::string Rle(const std::vector<uint16_t>& levels, int max_level) {
  ThriftOut o;
  int bytes = (BitWidth(static_cast<uint64_t>(max_level)) + 7) / 8;
  for (size_t i = 0; i < levels.size();) {
    size_t j = i;
    while (j < levels.size() && levels[j] == levels[i]) ++j;
    o.Varint((j - i) << 1);
    for (int b = 0; b < bytes; ++b) o.bytes.push_back(static_cast<char>(levels[i] >> (8 * b)));
    i = j;
  }
  return o.bytes;
}

std::string Compress(int32_t codec, const std::string& in) {
  if (codec == kZstd) {
    std::string out(ZSTD_compressBound(in.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
    out.resize(n);
    return out;
  }
  if (codec == kSnappy) {
    size_t n = snappy_max_compressed_length(in.size());
    std::string out(n, '\0');
    snappy_compress(in.data(), in.size(), out.data(), &n);
    out.resize(n);
    return out;
  }
  return in;
}

struct ChunkMeta {
  int64_t start = 0, compressed = 0, uncompressed = 0, num_values = 0;
};

// Writes a file: `rows[c][r]` for column c, row groups of `group_rows`, pages of `page_rows`.
std::string WriteFile(const std::vector<Spec>& specs, const std::vector<std::vector<Cell>>& rows, size_t group_rows,
                      size_t page_rows, bool v2, int32_t codec) {
  std::string file = "PAR1";
  size_t total = rows[0].size();
  std::vector<std::vector<ChunkMeta>> metas;
  std::vector<size_t> group_sizes;
  for (size_t g0 = 0; g0 < total; g0 += group_rows) {
    size_t g1 = std::min(total, g0 + group_rows);
    group_sizes.push_back(g1 - g0);
    metas.emplace_back();
    for (size_t c = 0; c < specs.size(); ++c) {
      ChunkMeta m;
      m.start = static_cast<int64_t>(file.size());
      for (size_t p0 = g0; p0 < g1; p0 += page_rows) {
        size_t p1 = std::min(g1, p0 + page_rows);
        std::vector<Cell> page(rows[c].begin() + p0, rows[c].begin() + p1);
        LevelsAndValues lv = Shred(specs[c], page);
        int max_def = MaxDef(specs[c]), max_rep = MaxRep(specs[c]);
        std::string rep = max_rep > 0 ? Rle(lv.rep, max_rep) : "";
        std::string def = max_def > 0 ? Rle(lv.def, max_def) : "";
        ThriftOut h;
        std::string body;
        size_t uncompressed;
        if (v2) {
          std::string values = Compress(codec, lv.values);
          body = rep + def + values;
          uncompressed = rep.size() + def.size() + lv.values.size();
          h.I32(1, kDataPageV2);
          h.I32(2, static_cast<int32_t>(uncompressed));
          h.I32(3, static_cast<int32_t>(body.size()));
          h.BeginStruct(8);
          h.I32(1, static_cast<int32_t>(lv.def.size()));
          h.I32(2, lv.nulls);
          h.I32(3, static_cast<int32_t>(p1 - p0));
          h.I32(4, kPlain);
          h.I32(5, static_cast<int32_t>(def.size()));
          h.I32(6, static_cast<int32_t>(rep.size()));
          h.Bool(7, codec != kUncompressed);
          h.EndStruct();
        } else {
          std::string raw;
          auto prefixed = [&](const std::string& levels) {
            uint32_t n = static_cast<uint32_t>(levels.size());
            raw.append(reinterpret_cast<const char*>(&n), 4);
            raw += levels;
          };
          if (max_rep > 0) prefixed(rep);
          if (max_def > 0) prefixed(def);
          raw += lv.values;
          body = Compress(codec, raw);
          uncompressed = raw.size();
          h.I32(1, kDataPage);
          h.I32(2, static_cast<int32_t>(uncompressed));
          h.I32(3, static_cast<int32_t>(body.size()));
          h.BeginStruct(5);
          h.I32(1, static_cast<int32_t>(lv.def.size()));
          h.I32(2, kPlain);
          h.I32(3, kRle);
          h.I32(4, kRle);
          h.EndStruct();
        }
        h.bytes.push_back(0);  // end of PageHeader
        file += h.bytes + body;
        m.compressed += static_cast<int64_t>(h.bytes.size() + body.size());
        m.uncompressed += static_cast<int64_t>(h.bytes.size() + uncompressed);
        m.num_values += static_cast<int64_t>(lv.def.size());
      }
      metas.back().push_back(m);
    }
  }
  ThriftOut f;
  f.I32(1, 1);
  // Schema.
  std::vector<std::function<void(ThriftOut&)>> elems;
  auto elem = [&](const std::string& name, std::optional<int32_t> type, std::optional<int32_t> rep, int children,
                  std::optional<int32_t> converted) {
    elems.push_back([=](ThriftOut& o) {
      o.BeginListElemStruct();
      if (type) o.I32(1, *type);
      if (rep) o.I32(3, *rep);
      o.Binary(4, name);
      if (children > 0) o.I32(5, children);
      if (converted) o.I32(6, *converted);
      o.EndStruct();
    });
  };
  elem("schema", std::nullopt, kRequired, static_cast<int>(specs.size()), std::nullopt);
  for (const Spec& s : specs) {
    int32_t t = static_cast<int32_t>(s.type);
    switch (s.shape) {
      case Shape::kFlatString: elem(s.name, t, kOptional, 0, kConvertedUtf8); break;
      case Shape::kFlatDouble: elem(s.name, t, kOptional, 0, std::nullopt); break;
      case Shape::kList3:
        elem(s.name, std::nullopt, kOptional, 1, kConvertedList);
        elem("list", std::nullopt, kRepeated, 1, std::nullopt);
        elem("element", t, s.element_optional ? kOptional : kRequired, 0, std::nullopt);
        break;
      case Shape::kList2:
        elem(s.name, std::nullopt, kOptional, 1, kConvertedList);
        elem("array", t, kRepeated, 0, std::nullopt);
        break;
      case Shape::kBareRepeated: elem(s.name, t, kRepeated, 0, std::nullopt); break;
    }
  }
  f.ListHeader(2, 12, elems.size());
  for (auto& e : elems) e(f);
  f.I64(3, static_cast<int64_t>(total));
  f.ListHeader(4, 12, metas.size());
  for (size_t g = 0; g < metas.size(); ++g) {
    f.BeginListElemStruct();
    f.ListHeader(1, 12, specs.size());
    int64_t bytes = 0;
    for (size_t c = 0; c < specs.size(); ++c) {
      const ChunkMeta& m = metas[g][c];
      bytes += m.uncompressed;
      f.BeginListElemStruct();
      f.I64(2, m.start);
      f.BeginStruct(3);
      f.I32(1, static_cast<int32_t>(specs[c].type));
      f.ListHeader(2, 5, 2);
      f.ZigZag(kPlain);
      f.ZigZag(kRle);
      std::vector<std::string> path{specs[c].name};
      if (specs[c].shape == Shape::kList3) path = {specs[c].name, "list", "element"};
      if (specs[c].shape == Shape::kList2) path = {specs[c].name, "array"};
      f.ListHeader(3, 8, path.size());
      for (const std::string& p : path) { f.Varint(p.size()); f.bytes += p; }
      f.I32(4, codec);
      f.I64(5, m.num_values);
      f.I64(6, m.uncompressed);
      f.I64(7, m.compressed);
      f.I64(9, m.start);
      f.EndStruct();
      f.EndStruct();
    }
    f.I64(2, bytes);
    f.I64(3, static_cast<int64_t>(group_sizes[g]));
    f.EndStruct();
  }
  f.Binary(6, "chroma-migrate test writer");
  f.bytes.push_back(0);
  uint32_t len = static_cast<uint32_t>(f.bytes.size());
  file += f.bytes;
  file.append(reinterpret_cast<const char*>(&len), 4);
  file += "PAR1";
  return file;
}

std::vector<std::vector<Cell>> MakeRows(const std::vector<Spec>& specs, size_t n) {
  std::vector<std::vector<Cell>> cols(specs.size());
  for (size_t c = 0; c < specs.size(); ++c) {
    const Spec& s = specs[c];
    for (size_t i = 0; i < n; ++i) {
      Cell cell;
      bool can_null = s.shape != Shape::kBareRepeated;
      if (can_null && (i + c) % 11 == 0) { cell.null = true; cols[c].push_back(cell); continue; }
      if (s.shape == Shape::kFlatString) {
        cell.text = i % 50 == 3 ? std::string(20000 + i, 'z') : "text ✓ " + std::to_string(i * i);
      } else if (s.shape == Shape::kFlatDouble) {
        cell.numbers = {i % 17 == 1 ? std::numeric_limits<double>::quiet_NaN() : std::sqrt(static_cast<double>(i)) * 1e-3};
      } else {
        size_t len = (i * 7 + c) % 9 == 0 ? 0 : 1 + (i % 5);
        for (size_t k = 0; k < len; ++k) {
          bool elem_null = s.shape == Shape::kList3 && s.element_optional && (i + k) % 13 == 4;
          double v = s.type == PhysicalType::kInt64 ? static_cast<double>(static_cast<int64_t>(i * 1000003) - 77777 * k)
                                                    : std::sin(static_cast<double>(i * 10 + k)) * std::pow(2.0, static_cast<int>(k * 20) - 30);
          if (s.type == PhysicalType::kFloat) v = static_cast<double>(static_cast<float>(v));
          if ((i + k) % 29 == 5) v = s.type == PhysicalType::kInt64 ? v : -std::numeric_limits<double>::infinity();
          cell.numbers.push_back(elem_null ? std::nullopt : std::optional<double>(v));
        }
      }
      cols[c].push_back(cell);
    }
  }
  return cols;
}

class ParquetHandmade : public ::testing::TestWithParam<std::tuple<bool, int32_t>> {};

TEST_P(ParquetHandmade, PagesAndListFormsMatchDuckDb) {
  CM_REQUIRE_DUCKDB();
  const auto& [v2, codec] = GetParam();
  std::vector<Spec> specs = {
      {"id", Shape::kFlatString, PhysicalType::kByteArray},
      {"emb3", Shape::kList3, PhysicalType::kDouble},
      {"emb2", Shape::kList2, PhysicalType::kFloat},
      {"ints", Shape::kList3, PhysicalType::kInt64, false},
      {"flat", Shape::kFlatDouble, PhysicalType::kDouble},
  };
  auto rows = MakeRows(specs, 1000);
  std::string dir = cm::test::MakeTempDir("pq-handmade");
  std::string file = dir + "/handmade.parquet";
  WriteText(file, WriteFile(specs, rows, 600, 37, v2, codec));
  PageCensus census = CensusOf(file);
  EXPECT_EQ(v2 ? census.v2_pages : census.v1_pages, 5u * (17 + 11));
  EXPECT_GT(census.max_data_pages_per_chunk, 10u);
  std::vector<Column> cols;
  Status st = ReadWholeFile(file, 64, &cols);
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::vector<nlohmann::json> dump = DuckDbDump(file);
  ASSERT_EQ(dump.size(), 1000u);
  EXPECT_EQ(ExpectSameAsDuckDb(file, cols, dump), 1000u * specs.size());
  EXPECT_TRUE(cols[2].info.is_list);
  EXPECT_EQ(cols[2].info.max_definition_level, 2);
}

TEST(ParquetHandmadeTest, BareRepeatedLeafIsANonNullList) {
  // `repeated double x` at the top level: a list that is never NULL (empty instead).
  std::vector<Spec> specs = {{"x", Shape::kBareRepeated, PhysicalType::kDouble}};
  auto rows = MakeRows(specs, 300);
  std::string file = cm::test::MakeTempDir("pq-bare") + "/bare.parquet";
  WriteText(file, WriteFile(specs, rows, 200, 50, false, kUncompressed));
  std::vector<Column> cols;
  Status st = ReadWholeFile(file, 33, &cols);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(cols.size(), 1u);
  const DoubleListBatch& b = cols[0].lists;
  ASSERT_EQ(b.rows(), 300u);
  for (size_t r = 0; r < 300; ++r) {
    EXPECT_EQ(b.row_is_null[r], 0);
    ASSERT_EQ(b.offsets[r + 1] - b.offsets[r], rows[0][r].numbers.size()) << r;
    for (size_t k = 0; k < rows[0][r].numbers.size(); ++k) {
      EXPECT_EQ(Bits(b.values[b.offsets[r] + k]), Bits(*rows[0][r].numbers[k]));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ParquetPages, ParquetHandmade,
                         ::testing::Combine(::testing::Bool(), ::testing::Values(kUncompressed, kSnappy, kZstd)),
                         [](const auto& p) {
                           return std::string(std::get<0>(p.param) ? "v2" : "v1") + "_" +
                                  CodecName(std::get<1>(p.param));
                         });

}  // namespace
}  // namespace cm::parquet
