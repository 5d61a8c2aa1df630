// Corruption suite for the parquet reader: every truncation, byte flips across the whole file,
// bad magic, absurd footer and page lengths. Each must end in a Status (never a crash, hang or
// absurd allocation); errors name the file and, for Corrupt, an offset.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <filesystem>

#include "parquet_test_support.h"

namespace cm::parquet {
namespace {

using namespace cm::parquet::testing;

// A small legacy persist directory written by DuckDB (dictionary + plain pages, a list column).
std::string SmallFile(const std::string& tag, const std::string& options) {
  std::string dir = cm::test::MakeTempDir(tag);
  std::string coll = R"({"uuid":"c1","name":"n","metadata":null})" "\n";
  std::string emb;
  for (int i = 0; i < 12; ++i) {
    emb += nlohmann::json({{"collection_uuid", "c1"}, {"uuid", "u" + std::to_string(i)},
                           {"embedding", i % 5 == 4 ? nlohmann::json(nullptr)
                                                    : nlohmann::json::array({i * 0.5, nullptr, "NaN"})},
                           {"document", i % 3 == 0 ? nlohmann::json(nullptr) : nlohmann::json("doc é " + std::to_string(i))},
                           {"id", "id" + std::to_string(i % 4)},
                           {"metadata", "{}"}}).dump() + "\n";
  }
  WriteText(dir + "/c.ndjson", coll);
  WriteText(dir + "/e.ndjson", emb);
  std::string cmd = "node " + Script("legacy_write.mjs") + " " + Quote(dir) + " " + Quote(dir + "/c.ndjson") + " " +
                    Quote(dir + "/e.ndjson") + " " + options;
  EXPECT_EQ(cm::test::RunCommand(cmd), 0) << cmd;
  return dir + "/chroma-embeddings.parquet";
}

Status ReadAll(const std::string& path) {
  std::vector<Column> cols;
  return ReadWholeFile(path, 5, &cols);
}

void ExpectNamesFileAndOffset(const Status& st, const std::string& path) {
  EXPECT_NE(st.message().find(path), std::string::npos) << st.ToString();
  if (st.code() == StatusCode::kCorrupt) {
    EXPECT_NE(st.message().find(" at offset "), std::string::npos) << st.ToString();
  }
}

class ParquetCorruption : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (cm::test::NodeModulesDir().empty()) {
      if (cm::test::EnginesRequired()) FAIL() << "DuckDB is not installed but CM_REQUIRE_ENGINES=1";
      GTEST_SKIP() << "DuckDB (@duckdb/node-api) is not installed under .engines/; corruption suite skipped";
    }
    original_ = SmallFile("pq-corrupt", GetParam());
    bytes_ = cm::test::ReadFileOrDie(original_);
    ASSERT_TRUE(ReadAll(original_).ok()) << ReadAll(original_).ToString();
    scratch_ = cm::test::MakeTempDir("pq-corrupt-case") + "/case.parquet";
  }
  Status Try(const std::string& bytes) {
    WriteText(scratch_, bytes);
    return ReadAll(scratch_);
  }
  std::string original_, bytes_, scratch_;
};

TEST_P(ParquetCorruption, EveryTruncationFails) {
  for (size_t len = 0; len < bytes_.size(); ++len) {
    Status st = Try(bytes_.substr(0, len));
    ASSERT_FALSE(st.ok()) << "truncated to " << len << " bytes";
    EXPECT_EQ(st.code(), StatusCode::kCorrupt) << st.ToString();
    ExpectNamesFileAndOffset(st, scratch_);
  }
}

TEST_P(ParquetCorruption, ByteFlipsNeverCrash) {
  size_t failures = 0;
  for (size_t pos = 0; pos < bytes_.size(); ++pos) {
    for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x80}, uint8_t{0x10}}) {
      std::string b = bytes_;
      b[pos] = static_cast<char>(b[pos] ^ mask);
      Status st = Try(b);
      if (!st.ok()) {
        ++failures;
        ExpectNamesFileAndOffset(st, scratch_);
      }
    }
  }
  EXPECT_GT(failures, bytes_.size());  // most flips must be detected
  // No flip may make the reader allocate absurdly: the peak of this process (DuckDB runs in a
  // child) stays far below what a trusted length of ~2^31 would cost. AddressSanitizer keeps
  // up to 256 MiB of freed blocks in quarantine and adds its shadow memory: the gzip case
  // peaked at 512.02 MiB under it (CI, 2026-11-28), so there the bound is 1 GiB, still half of
  // such an allocation.
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kMaxRssKiB = 1024 * 1024;
#else
  constexpr long kMaxRssKiB = 512 * 1024;
#endif
  struct rusage usage {};
  ASSERT_EQ(getrusage(RUSAGE_SELF, &usage), 0);
  EXPECT_LT(usage.ru_maxrss, kMaxRssKiB) << "peak RSS " << usage.ru_maxrss << " KiB";
}

TEST_P(ParquetCorruption, BadMagicAndFooterLengths) {
  std::string b = bytes_;
  b[0] = 'X';
  Status st = Try(b);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find(scratch_ + " at offset 0: not a parquet file: expected magic \"PAR1\""),
            std::string::npos) << st.ToString();

  b = bytes_;
  b.replace(b.size() - 4, 4, "PARE");
  st = Try(b);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.ToString();

  b = bytes_;
  b.replace(b.size() - 4, 4, "PAR0");
  st = Try(b);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("at offset " + std::to_string(b.size() - 4) + ": expected trailing magic"),
            std::string::npos) << st.ToString();

  for (uint32_t len : {0xffffffffu, static_cast<uint32_t>(b.size() - 11), static_cast<uint32_t>(b.size() - 12), 0u, 1u,
                       2u}) {
    b = bytes_;
    std::memcpy(b.data() + b.size() - 8, &len, 4);
    st = Try(b);
    EXPECT_EQ(st.code(), StatusCode::kCorrupt) << "footer length " << len << ": " << st.ToString();
    ExpectNamesFileAndOffset(st, scratch_);
  }
  b = bytes_;
  uint32_t len = 0xffffffffu;
  std::memcpy(b.data() + b.size() - 8, &len, 4);
  st = Try(b);
  EXPECT_NE(st.message().find("footer length 4294967295 exceeds"), std::string::npos) << st.ToString();

  st = Try("PAR1PAR1");
  EXPECT_NE(st.message().find("at offset 0: not a parquet file: 8 bytes"), std::string::npos) << st.ToString();
}

// Replaces the varint at `pos` (of the first page header) with a 5-byte varint of 2^31 - 1.
std::string WithHugeVarint(const std::string& bytes, size_t pos) {
  size_t end = pos;
  while (static_cast<uint8_t>(bytes[end]) & 0x80) ++end;
  std::string huge = "\xfe\xff\xff\xff\x0f";  // zigzag(2147483647)
  return bytes.substr(0, pos) + huge + bytes.substr(end + 1);
}

size_t SkipVarint(const std::string& b, size_t pos) {
  while (static_cast<uint8_t>(b[pos]) & 0x80) ++pos;
  return pos + 1;
}

TEST_P(ParquetCorruption, AbsurdPageSizes) {
  // The first page header starts at offset 4: fields 1 (type), 2 (uncompressed), 3 (compressed).
  ASSERT_EQ(bytes_[4], '\x15');
  size_t uncompressed_pos = SkipVarint(bytes_, 5) + 1;
  ASSERT_EQ(bytes_[uncompressed_pos - 1], '\x15');
  size_t compressed_pos = SkipVarint(bytes_, uncompressed_pos) + 1;
  ASSERT_EQ(bytes_[compressed_pos - 1], '\x15');

  Status st = Try(WithHugeVarint(bytes_, compressed_pos));
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find(scratch_ + " at offset 4: page header: compressed_page_size 2147483647 exceeds the "
                                         "column chunk"), std::string::npos) << st.ToString();

  st = Try(WithHugeVarint(bytes_, uncompressed_pos));
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find(scratch_ + " at offset 4: page header: uncompressed_page_size 2147483647 is not within"),
            std::string::npos) << st.ToString();
}

INSTANTIATE_TEST_SUITE_P(ParquetCorrupt, ParquetCorruption,
                         ::testing::Values("--compression snappy", "--compression zstd --parquet-version v2",
                                           "--compression uncompressed", "--compression gzip"),
                         [](const auto& p) {
                           std::string s = p.param;
                           std::string out;
                           for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return out;
                         });

}  // namespace
}  // namespace cm::parquet
