// FileReader against DuckDB: every file here is written by DuckDB (legacy_write.mjs for the
// Chroma layout, parquet_copy.mjs for other shapes) or is a real legacy fixture, and every cell
// is compared with what DuckDB itself reads from the same file.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <filesystem>
#include <limits>
#include <tuple>

#include "parquet_test_support.h"

namespace cm::parquet {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace cm::parquet::testing;

// Deterministic doubles over many magnitudes, plus the edge cases DuckDB must carry through.
double Value(uint64_t i, int k) {
  uint64_t x = (i * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(k) * 0xBF58476D1CE4E5B9ull);
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  double unit = static_cast<double>(x >> 11) / 9007199254740992.0;  // [0,1) with 53 bits
  double v = (unit - 0.5) * std::pow(10.0, static_cast<int>((i + k) % 13) - 6);
  if ((i + k) % 97 == 0) v = DBL_MAX;
  if ((i + k) % 89 == 0) v = 5e-324;  // smallest subnormal
  if ((i + k) % 83 == 0) v = -1.0 / 3.0;
  return v;
}

json EmbeddingJson(uint64_t i, int dims) {
  if (i % 23 == 5) return nullptr;          // NULL list
  if (i % 19 == 7) return json::array();    // empty list
  json a = json::array();
  for (int k = 0; k < dims; ++k) {
    if (i % 7 == 3 && k == 1) a.push_back(nullptr);           // NULL element
    else if (i % 31 == 2 && k == 0) a.push_back("NaN");
    else if (i % 31 == 2 && k == 2) a.push_back("Infinity");
    else if (i % 37 == 4 && k == 0) a.push_back("-Infinity");
    else a.push_back(Value(i, k));
  }
  return a;
}

json DocumentJson(uint64_t i, size_t long_len) {
  if (i % 5 == 0) return nullptr;
  if (i % 211 == 17) return std::string(long_len, 'x') + "·end";
  if (i % 11 == 1) return "";
  if (i % 3 == 0) return "Grüße, 世界! 🎉 naïve café — ligne " + std::to_string(i) + " «\"quoted\"»\ttab";
  return "document number " + std::to_string(i) + " with some shared words repeated repeated";
}

// Writes the NDJSON inputs of legacy_write.mjs and runs it.
void WriteLegacyDir(const std::string& dir, size_t rows, int dims, size_t long_len, const std::string& options) {
  std::string coll, emb;
  const char* cuuids[] = {"3f2c9d4e-1a2b-4c3d-8e9f-0123456789ab", "7b1e5a60-2c3d-4e5f-9a0b-abcdef012345",
                          "c0ffee00-dead-4bee-8f00-112233445566"};
  coll += json({{"uuid", cuuids[0]}, {"name", "default"}, {"metadata", nullptr}}).dump() + "\n";
  coll += json({{"uuid", cuuids[1]}, {"name", "Ünïcødé 名前"}, {"metadata", "{\"hnsw:space\": \"cosine\"}"}}).dump() + "\n";
  coll += json({{"uuid", cuuids[2]}, {"name", nullptr}, {"metadata", "{}"}}).dump() + "\n";
  for (uint64_t i = 0; i < rows; ++i) {
    json row = {{"collection_uuid", i % 17 == 9 ? json(nullptr) : json(cuuids[i % 3])},
                {"uuid", "uuid-" + std::to_string(i * 7919)},
                {"embedding", EmbeddingJson(i, dims)},
                {"document", DocumentJson(i, long_len)},
                {"id", i % 13 == 6 ? json(nullptr) : json("id-" + std::to_string(i % 400))},
                {"metadata", i % 4 == 0 ? json(nullptr) : json("{\"source\": \"file" + std::to_string(i % 9) + ".pdf\"}")}};
    emb += row.dump() + "\n";
  }
  WriteText(dir + "/c.ndjson", coll);
  WriteText(dir + "/e.ndjson", emb);
  std::string out;
  std::string cmd = "node " + Script("legacy_write.mjs") + " " + Quote(dir) + " " + Quote(dir + "/c.ndjson") + " " +
                    Quote(dir + "/e.ndjson") + " " + options;
  ASSERT_EQ(cm::test::RunCommand(cmd, &out), 0) << cmd;
}

// Reads `file` with each batch size and compares every cell with DuckDB's reading.
void ExpectFileMatchesDuckDb(const std::string& file, std::vector<size_t> batches, size_t min_rows = 1) {
  std::vector<json> dump = DuckDbDump(file);
  ASSERT_GE(dump.size(), min_rows) << file;
  for (size_t batch : batches) {
    SCOPED_TRACE(file + " (batch " + std::to_string(batch) + ")");
    std::vector<Column> cols;
    Status st = ReadWholeFile(file, batch, &cols);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_FALSE(cols.empty());
    size_t cells = ExpectSameAsDuckDb(file, cols, dump);
    EXPECT_EQ(cells, dump.size() * cols.size());
  }
}

class ParquetLegacyMatrix : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ParquetLegacyMatrix, MatchesDuckDb) {
  CM_REQUIRE_DUCKDB();
  const auto& [codec, version] = GetParam();
  std::string dir = cm::test::MakeTempDir("pq-" + codec + "-" + version);
  WriteLegacyDir(dir, 5000, 6, 70000,
                 "--compression " + codec + " --parquet-version " + version + " --row-group-size 2048");
  for (const char* name : {"chroma-embeddings.parquet", "chroma-collections.parquet"}) {
    std::string file = dir + "/" + name;
    ExpectFileMatchesDuckDb(file, {1000});
  }
  // What the files really contain, from their page headers.
  PageCensus c = CensusOf(dir + "/chroma-embeddings.parquet");
  EXPECT_GE(c.row_groups, 2u);
  EXPECT_GT(c.dictionary_pages, 0u);
  EXPECT_TRUE(Has(c.data_encodings, kPlainDictionary) || Has(c.data_encodings, kRleDictionary));
  // DuckDB (1.5) writes DATA_PAGE (v1) headers for both format versions; V2 changes the
  // encodings. DATA_PAGE_V2 headers are covered by parquet_handmade_test.cc.
  EXPECT_GT(c.v1_pages, 0u);
  if (version == "v1") {
    EXPECT_TRUE(Has(c.data_encodings, kPlain));
  } else {
    EXPECT_TRUE(Has(c.data_encodings, kDeltaLengthByteArray));
    EXPECT_TRUE(Has(c.data_encodings, kByteStreamSplit));
  }
  ASSERT_EQ(c.codecs.size(), 1u);
  int32_t want = codec == "snappy" ? kSnappy : codec == "zstd" ? kZstd : codec == "gzip" ? kGzip
               : codec == "brotli" ? kBrotli : codec == "uncompressed" ? kUncompressed : -1;
  if (codec == "lz4") {
    EXPECT_TRUE(c.codecs[0] == kLz4 || c.codecs[0] == kLz4Raw) << c.codecs[0];
  } else {
    EXPECT_EQ(c.codecs[0], want);
  }
}

INSTANTIATE_TEST_SUITE_P(ParquetCodecs, ParquetLegacyMatrix,
                         ::testing::Combine(::testing::Values("snappy", "zstd", "gzip", "uncompressed", "lz4", "brotli"),
                                            ::testing::Values("v1", "v2")),
                         [](const auto& p) { return std::get<0>(p.param) + "_" + std::get<1>(p.param); });

// DuckDB starts a new data page only every 100 MB, so several pages per chunk are covered by
// parquet_handmade_test.cc; here: large pages (1536-dim embeddings) read in any batch size.
TEST(ParquetReaderTest, LargePagesAnyBatchSize) {
  CM_REQUIRE_DUCKDB();
  for (const char* version : {"v1", "v2"}) {
    std::string dir = cm::test::MakeTempDir(std::string("pq-pages-") + version);
    WriteLegacyDir(dir, 1500, 1536, 300000, std::string("--parquet-version ") + version);
    std::string file = dir + "/chroma-embeddings.parquet";
    ExpectFileMatchesDuckDb(file, {1, 3, 4096});
  }
}

TEST(ParquetReaderTest, NumericShapesAndEncodings) {
  CM_REQUIRE_DUCKDB();
  const std::string query =
      "SELECT i::INTEGER AS i32, (i::BIGINT - 2500) * 3037000493 AS i64,"
      " CASE WHEN i % 9 = 0 THEN NULL ELSE [i::FLOAT / 7, NULL, 'NaN'::FLOAT, (-i)::FLOAT * 1e30]::FLOAT[] END AS f32s,"
      " CASE WHEN i % 3 = 0 THEN NULL WHEN i % 5 = 0 THEN []::BIGINT[] ELSE [i, -i, 9223372036854775807]::BIGINT[] END AS i64s,"
      " CASE WHEN i % 4 = 0 THEN NULL ELSE [i % 100, NULL]::INTEGER[] END AS i32s,"
      " (i % 7)::DOUBLE / 3 AS dict_double,"
      " CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN 'Infinity'::DOUBLE ELSE sqrt(i) END AS flat_double,"
      " CASE WHEN i % 8 = 0 THEN NULL ELSE 'name-' || (i * 31 % 1000)::VARCHAR || '-ü' END AS text,"
      " [sin(i), cos(i), 0.1 * i]::DOUBLE[] AS embedding"
      " FROM range(7000) t(i)";
  for (const char* options : {"PARQUET_VERSION V1, ROW_GROUP_SIZE 3000, COMPRESSION SNAPPY",
                              "PARQUET_VERSION V2, ROW_GROUP_SIZE 3000, COMPRESSION ZSTD",
                              "PARQUET_VERSION V2, ROW_GROUP_SIZE 100000, COMPRESSION UNCOMPRESSED"}) {
    SCOPED_TRACE(options);
    std::string file = cm::test::MakeTempDir("pq-numeric") + "/numeric.parquet";
    DuckDbCopy(file, query, options);
    ExpectFileMatchesDuckDb(file, {777});
    auto reader = FileReader::Open(file);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    const auto& fields = (*reader)->fields();
    ASSERT_EQ(fields.size(), 9u);
    EXPECT_EQ(fields[0].leaf_type, PhysicalType::kInt32);
    EXPECT_FALSE(fields[0].is_list);
    EXPECT_EQ(fields[2].leaf_type, PhysicalType::kFloat);
    EXPECT_TRUE(fields[2].is_list);
    EXPECT_EQ(fields[2].max_definition_level, 3);
    EXPECT_EQ(fields[2].max_repetition_level, 1);
    PageCensus c = CensusOf(file);
    if (std::string(options).find("V2") != std::string::npos) {
      EXPECT_TRUE(Has(c.data_encodings, kDeltaBinaryPacked));
      EXPECT_TRUE(Has(c.data_encodings, kByteStreamSplit));
    }
  }
}

TEST(ParquetReaderTest, ZeroRowFiles) {
  CM_REQUIRE_DUCKDB();
  std::string dir = cm::test::MakeTempDir("pq-empty");
  WriteText(dir + "/empty.ndjson", "");
  std::string cmd = "node " + Script("legacy_write.mjs") + " " + Quote(dir) + " " + Quote(dir + "/empty.ndjson") +
                    " " + Quote(dir + "/empty.ndjson");
  ASSERT_EQ(cm::test::RunCommand(cmd), 0) << cmd;
  for (const char* name : {"chroma-embeddings.parquet", "chroma-collections.parquet"}) {
    auto reader = FileReader::Open(dir + "/" + name);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->num_rows(), 0u);
    std::vector<Column> cols;
    Status st = ReadWholeFile(dir + "/" + name, 100, &cols);
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (const Column& c : cols) EXPECT_EQ(c.strings.size() + c.lists.rows(), 0u);
  }
}

TEST(ParquetReaderTest, LegacyFixturesMatchDuckDb) {
  CM_REQUIRE_DUCKDB();
  std::string fixtures = cm::test::FixturesDir();
  if (fixtures.empty() || !fs::exists(fs::path(fixtures) / "legacy")) {
    GTEST_SKIP() << "shared fixtures not found (expected ../shared/fixtures/legacy next to the repository)";
  }
  size_t files = 0;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(fs::path(fixtures) / "legacy")) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    for (const char* name : {"chroma-collections.parquet", "chroma-embeddings.parquet"}) {
      fs::path file = dir / name;
      if (!fs::exists(file)) continue;
      ++files;
      ExpectFileMatchesDuckDb(file.string(), {500}, 0);
      auto reader = FileReader::Open(file.string());
      ASSERT_TRUE(reader.ok()) << reader.status().ToString();
      if (std::string(name) == "chroma-embeddings.parquet") {
        const auto& f = (*reader)->fields();
        ASSERT_EQ(f.size(), 6u) << file;
        EXPECT_EQ(f[2].name, "embedding");
        EXPECT_TRUE(f[2].is_list);
        EXPECT_EQ(f[2].leaf_type, PhysicalType::kDouble);
      }
    }
  }
  EXPECT_GT(files, 0u);
}

TEST(ParquetReaderTest, MissingFileIsNotFound) {
  auto missing = FileReader::Open("/nonexistent/dir/chroma-embeddings.parquet");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/dir/chroma-embeddings.parquet"), std::string::npos);
}

TEST(ParquetReaderTest, ColumnKindErrors) {
  CM_REQUIRE_DUCKDB();
  std::string dir = cm::test::MakeTempDir("pq-kinds");
  WriteLegacyDir(dir, 10, 3, 10, "");
  std::string file = dir + "/chroma-embeddings.parquet";
  auto reader = FileReader::Open(file);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->created_by().substr(0, 6), "DuckDB");
  auto nope = (*reader)->OpenColumn("embeddings");
  ASSERT_FALSE(nope.ok());
  EXPECT_EQ(nope.status().code(), StatusCode::kNotFound);
  EXPECT_NE(nope.status().message().find("collection_uuid, uuid, embedding, document, id, metadata"), std::string::npos)
      << nope.status().message();
  auto emb = (*reader)->OpenColumn("embedding");
  ASSERT_TRUE(emb.ok());
  std::vector<std::optional<std::string>> strings;
  Status st = (*emb)->ReadStrings(5, &strings);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  auto doc = (*reader)->OpenColumn("document");
  ASSERT_TRUE(doc.ok());
  DoubleListBatch batch;
  st = (*doc)->ReadDoubleLists(5, &batch);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  // Streams of one file may be read in any interleaving and batch sizes.
  auto ids = (*reader)->OpenColumn("id");
  ASSERT_TRUE(ids.ok());
  ASSERT_TRUE((*ids)->ReadStrings(4, &strings).ok());
  ASSERT_TRUE((*emb)->ReadDoubleLists(7, &batch).ok());
  ASSERT_TRUE((*ids)->ReadStrings(100, &strings).ok());
  ASSERT_TRUE((*emb)->ReadDoubleLists(100, &batch).ok());
  EXPECT_EQ(strings.size(), 10u);
  EXPECT_EQ(batch.rows(), 10u);
  EXPECT_EQ(batch.offsets.size(), 11u);
  EXPECT_EQ((*emb)->rows_read(), 10u);
  ASSERT_TRUE((*emb)->ReadDoubleLists(100, &batch).ok());
  EXPECT_EQ(batch.rows(), 10u);
}

}  // namespace
}  // namespace cm::parquet
