// Wire encoding for a Chroma server: float32 JSON and base64 round trips, metadata types,
// batch limits, the resume journal and the seen-id index.
#include "sinks/server_batch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>

#include "formats/json/json_reader.h"
#include "pipeline/resume_journal.h"
#include "pipeline/seen_ids.h"
#include "test_env.h"

namespace cm {
namespace {

TEST(ApiFloatJson, EveryFloat32RoundTripsThroughFloatAndDoubleParsers) {
  std::mt19937 rng(5);
  std::vector<float> values = {0.1f, 1.0f, -0.0f, 7.0f, 6.9999995f, 1e-45f, 3.4028235e38f, -1.17549435e-38f, 0.3f};
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isfinite(f)) values.push_back(f);
  }
  for (float f : values) {
    std::string s;
    AppendFloat32Json(&s, f);
    EXPECT_EQ(std::strtof(s.c_str(), nullptr), f) << s;  // an f32 parser (Rust serde)
    EXPECT_EQ(static_cast<float>(std::strtod(s.c_str(), nullptr)), f) << s;  // double then float32 (numpy)
  }
  std::string s;
  AppendFloat32Json(&s, 0.1f);
  EXPECT_EQ(s, "0.1");
}

TEST(ApiBase64, PacksLittleEndianFloat32AsTheSpecShows) {
  // http-api.md §7 row 7: <3f of [7, 8.5, -9.125] and [0.5, 0.25, 0.125].
  float a[] = {7.0f, 8.5f, -9.125f};
  float b[] = {0.5f, 0.25f, 0.125f};
  EXPECT_EQ(Base64Float32(a, 3), "AADgQAAACEEAABLB");
  EXPECT_EQ(Base64Float32(b, 3), "AAAAPwAAgD4AAAA+");
  float c[] = {0.1f, 0.2f, 0.3f};
  EXPECT_EQ(Base64Float32(c, 3), "zczMPc3MTD6amZk+");  // what the JS client sends (§4.5)
  float d[] = {1.0f};
  EXPECT_EQ(Base64Float32(d, 1), "AACAPw==");
}

TEST(ApiEncode, KeepsIntsFloatsBoolsAndNulls) {
  RecordBatch b;
  b.dim = 2;
  float v1[] = {1.0f, 0.5f}, v2[] = {-2.0f, 0.1f};
  b.Append("r1", v1, std::string("doc \"one\""), std::nullopt,
           Metadata{{"i", int64_t{7}}, {"f", 1.0}, {"b", true}, {"s", std::string("x")}});
  b.Append("r2", v2, std::nullopt, std::nullopt, Metadata{});
  EXPECT_EQ(EncodeWriteBody(b, false),
            "{\"ids\":[\"r1\",\"r2\"],\"embeddings\":[[1,0.5],[-2,0.1]],\"documents\":[\"doc \\\"one\\\"\",null],"
            "\"metadatas\":[{\"i\":7,\"f\":1.0,\"b\":true,\"s\":\"x\"},null]}");
  std::string b64 = EncodeWriteBody(b, true);
  EXPECT_NE(b64.find("\"embeddings\":[\"AACAPwAAAD8=\","), std::string::npos) << b64;
  auto parsed = ParseJson(b64);
  ASSERT_TRUE(parsed.ok());
  b.uris[1] = "s3://x";
  std::string with_uri = EncodeWriteBody(b, false);
  EXPECT_NE(with_uri.find(",\"uris\":[null,\"s3://x\"]}"), std::string::npos) << with_uri;
}

TEST(ApiBatching, RowsFollowServerUserAndCloudLimits) {
  ServerInfo info;
  EXPECT_EQ(ComputeBatchLimits(info, 0).max_rows, kDefaultBatchRows);
  info.max_batch_size = 5461;
  EXPECT_EQ(ComputeBatchLimits(info, 0).max_rows, 5461u);
  EXPECT_EQ(ComputeBatchLimits(info, 100).max_rows, 100u);
  EXPECT_EQ(ComputeBatchLimits(info, 100000).max_rows, 5461u);
  info.is_cloud = true;
  EXPECT_EQ(ComputeBatchLimits(info, 0).max_rows, 300u);
  EXPECT_LT(ComputeBatchLimits(info, 0).max_bytes, 40u << 20);
}

TEST(ApiBatching, EstimateBoundsTheEncodedSize) {
  std::mt19937 rng(3);
  for (bool base64 : {false, true}) {
    RecordBatch b;
    b.dim = 64;
    size_t estimate = 0;
    for (int i = 0; i < 50; ++i) {
      std::vector<float> v(64);
      for (float& x : v) x = std::uniform_real_distribution<float>(-1e30f, 1e30f)(rng);
      std::string id = "id-\"\x01-" + std::to_string(i);
      std::optional<std::string> doc = std::string(i, '\n');
      Metadata m{{"k\"ey", std::string(i, '\\')}, {"n", int64_t{-9223372036854775807LL}}, {"d", -1.2345678901234567e-300}};
      estimate += EstimateRecordBytes(id, 64, doc, std::nullopt, m, base64);
      b.Append(id, v.data(), doc, std::nullopt, m);
    }
    EXPECT_LE(EncodeWriteBody(b, base64).size(), estimate + 64) << base64;
  }
}

TEST(ApiVersion, ParsesAndCompares) {
  EXPECT_EQ(ParseVersion("0.4.24"), (std::vector<int>{0, 4, 24}));
  EXPECT_EQ(ParseVersion("1.x"), (std::vector<int>{1, 0, 0}));
  EXPECT_TRUE(VersionAtLeast("0.4.15", 0, 4, 15));
  EXPECT_FALSE(VersionAtLeast("0.4.14", 0, 4, 15));
  EXPECT_TRUE(VersionAtLeast("0.5.0", 0, 4, 15));
  EXPECT_FALSE(VersionAtLeast("0.3.22", 0, 3, 23));
}

TEST(ApiErrors, ServerMessageOfEveryShape) {
  EXPECT_EQ(ServerMessage("{\"error\":\"InvalidArgumentError\",\"message\":\"Empty ID\"}"), "InvalidArgumentError: Empty ID");
  EXPECT_EQ(ServerMessage("{\"detail\":\"Embedding dimension 2 does not match\"}"), "Embedding dimension 2 does not match");
  EXPECT_EQ(ServerMessage("{\"error\":\"ValueError('x')\"}"), "ValueError('x')");
  EXPECT_EQ(ServerMessage("Payload too large\n"), "Payload too large");
  EXPECT_EQ(ServerMessage(""), "(empty body)");
}

TEST(ApiResumeJournal, RecordsSurviveReopenAndTornLinesAreIgnored) {
  std::string dir = test::MakeTempDir("journal");
  {
    auto j = ResumeJournal::Open(dir, "key-1", false);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    ASSERT_TRUE((*j)->RecordCollection("coll \"a\"", "id-1").ok());
    ASSERT_TRUE((*j)->MarkSent(0).ok());
    ASSERT_TRUE((*j)->MarkAcked(0).ok());
    ASSERT_TRUE((*j)->MarkSent(1).ok());
    FILE* f = std::fopen((*j)->path().c_str(), "a");
    std::fputs("A 1", f);  // torn: no newline
    std::fclose(f);
  }
  auto j = ResumeJournal::Open(dir, "key-1", true);
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE((*j)->resumed());
  EXPECT_TRUE((*j)->Acked(0));
  EXPECT_TRUE((*j)->Sent(1));
  EXPECT_FALSE((*j)->Acked(1));
  EXPECT_EQ((*j)->CreatedCollection("coll \"a\"").value_or(""), "id-1");
  auto other = ResumeJournal::Open(dir, "key-2", true);  // another migration: a fresh journal
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE((*other)->resumed());
  ASSERT_TRUE((*j)->Finish().ok());
  auto again = ResumeJournal::Open(dir, "key-1", true);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)->resumed());
}

TEST(ApiSeenIds, FindsEarlierLocationsExactlyAcrossGrowth) {
  auto s = SeenIds::Create();
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE((*s)->Put("c1", "id-" + std::to_string(i), "row " + std::to_string(i)).ok());
  }
  EXPECT_EQ((*s)->size(), 20000u);
  EXPECT_EQ((*s)->Find("c1", "id-12345").value().value_or(""), "row 12345");
  EXPECT_FALSE((*s)->Find("c2", "id-12345").value().has_value());
  EXPECT_FALSE((*s)->Find("c1", "id-20000").value().has_value());
  ASSERT_TRUE((*s)->Put("c1", "id-7", "row 99999").ok());
  EXPECT_EQ((*s)->Find("c1", "id-7").value().value_or(""), "row 99999");
  EXPECT_EQ((*s)->size(), 20000u);
}

}  // namespace
}  // namespace cm
