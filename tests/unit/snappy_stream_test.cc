// SnappyStream against the snappy library: the same bytes whatever the read sizes, a stream
// that reaches back further than the ring (decoded through the whole-block fall-back), and
// invalid streams reported as Corrupt. Large DuckDB pages going through it are covered by
// parquet_reader_test.cc (LargePagesAnyBatchSize).
#include <gtest/gtest.h>
#include <snappy.h>

#include <random>
#include <string>

#include "formats/parquet/snappy_stream.h"

namespace cm::parquet {
namespace {

std::string Sample(size_t n) {
  std::mt19937 rng(11);
  std::string s;
  while (s.size() < n) {
    if (rng() % 3 == 0) {
      for (int i = 0; i < 700; ++i) s.push_back(static_cast<char>(rng()));
    } else {
      s += "embedding-" + std::to_string(rng() % 50) + std::string(rng() % 90, 'x');
    }
  }
  s.resize(n);
  return s;
}

Status DecodeAll(const std::string& compressed, std::string* out, const std::vector<size_t>& reads) {
  SnappyStream s(reinterpret_cast<const uint8_t*>(compressed.data()), compressed.size(), "test.parquet", 100);
  CM_RETURN_IF_ERROR(s.Init());
  out->assign(s.total(), '\0');
  size_t at = 0, k = 0;
  while (at < out->size()) {
    size_t n = std::min(reads[k++ % reads.size()], out->size() - at);
    CM_RETURN_IF_ERROR(s.Read(reinterpret_cast<uint8_t*>(out->data() + at), n));
    at += n;
  }
  return Status::Ok();
}

TEST(SnappyStream, SameBytesAsTheLibraryWhateverTheReadSizes) {
  std::string data = Sample(5'300'000);
  std::string compressed;
  snappy::Compress(data.data(), data.size(), &compressed);
  ASSERT_LT(compressed.size(), data.size());
  for (const auto& reads : std::vector<std::vector<size_t>>{{1, 7, 4096}, {300000}, {8 << 20}, {65536, 3}}) {
    std::string got;
    Status st = DecodeAll(compressed, &got, reads);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(got == data);
  }
}

std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
  return s;
}

TEST(SnappyStream, ACopyReachingBeyondTheRingFallsBackToTheWholeBlock) {
  // A 1.5 MiB literal, then a copy of 10 bytes from 1.4 MiB back: valid snappy, but further
  // back than the 1 MiB ring keeps.
  std::string lit = Sample(1'500'000);
  const uint32_t offset = 1'400'000, len = 10;
  std::string c = Varint(lit.size() + len);
  c.push_back(static_cast<char>(0xFC));  // literal, 4 length bytes follow
  uint32_t l = static_cast<uint32_t>(lit.size() - 1);
  for (int k = 0; k < 4; ++k) c.push_back(static_cast<char>(l >> (8 * k)));
  c += lit;
  c.push_back(static_cast<char>(((len - 1) << 2) | 3));  // copy with a 4-byte offset
  for (int k = 0; k < 4; ++k) c.push_back(static_cast<char>(offset >> (8 * k)));
  std::string want;
  ASSERT_TRUE(snappy::Uncompress(c.data(), c.size(), &want));  // the library accepts it
  std::string got;
  Status st = DecodeAll(c, &got, {4096});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(got == want);
}

TEST(SnappyStream, InvalidStreamsAreCorrupt) {
  std::string data = Sample(2'000'000);
  std::string compressed;
  snappy::Compress(data.data(), data.size(), &compressed);
  std::string got;
  Status truncated = DecodeAll(compressed.substr(0, compressed.size() / 2), &got, {65536});
  EXPECT_EQ(truncated.code(), StatusCode::kCorrupt) << truncated.ToString();
  EXPECT_NE(truncated.message().find("test.parquet at offset 100"), std::string::npos) << truncated.message();
  Status trailing = DecodeAll(compressed + "xyz", &got, {65536});
  EXPECT_EQ(trailing.code(), StatusCode::kCorrupt) << trailing.ToString();
  std::string zero_offset = Varint(8) + std::string("\x0c" "abcd", 5) + std::string("\x0e\x00\x00", 3);  // copy, offset 0
  Status bad = DecodeAll(zero_offset, &got, {8});
  EXPECT_EQ(bad.code(), StatusCode::kCorrupt) << bad.ToString();
  Status no_preamble = DecodeAll(std::string("\xff\xff\xff\xff\xff\xff", 6), &got, {8});
  EXPECT_EQ(no_preamble.code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace cm::parquet
