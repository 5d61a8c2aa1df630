// Parquet decoding pieces on hand-built bytes: RLE/bit-packed hybrid, BIT_PACKED levels, the
// delta encodings (checked against a small reference encoder written from the spec), dictionary
// index bounds and the Thrift depth and length limits.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "formats/parquet/encodings.h"
#include "formats/parquet/file_metadata.h"
#include "formats/parquet/rle.h"

namespace cm::parquet {
namespace {

ByteCursor Cur(const std::string& s) { return ByteCursor(s, "test.parquet", 1000); }

void Varint(uint64_t v, std::string* out) {
  while (v >= 0x80) { out->push_back(static_cast<char>((v & 0x7f) | 0x80)); v >>= 7; }
  out->push_back(static_cast<char>(v));
}
void ZigZag(int64_t v, std::string* out) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out); }

// Reference DELTA_BINARY_PACKED encoder: blocks of 128 values, 4 miniblocks of 32.
std::string EncodeDeltaBinaryPacked(const std::vector<int64_t>& v) {
  std::string out;
  Varint(128, &out);
  Varint(4, &out);
  Varint(v.size(), &out);
  ZigZag(v.empty() ? 0 : v[0], &out);
  std::vector<uint64_t> deltas;
  for (size_t i = 1; i < v.size(); ++i) deltas.push_back(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(v[i - 1]));
  for (size_t b = 0; b < deltas.size(); b += 128) {
    size_t e = std::min(deltas.size(), b + 128);
    int64_t min = std::numeric_limits<int64_t>::max();
    for (size_t i = b; i < e; ++i) min = std::min(min, static_cast<int64_t>(deltas[i]));
    ZigZag(min, &out);
    std::vector<int> widths(4, 0);
    for (size_t m = 0; m < 4; ++m) {
      for (size_t i = b + m * 32; i < std::min(e, b + m * 32 + 32); ++i) {
        widths[m] = std::max(widths[m], BitWidth(deltas[i] - static_cast<uint64_t>(min)));
      }
    }
    for (int w : widths) out.push_back(static_cast<char>(w));
    for (size_t m = 0; m < 4 && b + m * 32 < e; ++m) {
      std::string bits(static_cast<size_t>(widths[m]) * 4, '\0');
      for (size_t k = 0; k < 32 && b + m * 32 + k < e; ++k) {
        uint64_t rel = deltas[b + m * 32 + k] - static_cast<uint64_t>(min);
        for (int bit = 0; bit < widths[m]; ++bit) {
          if ((rel >> bit) & 1) {
            size_t pos = k * widths[m] + bit;
            bits[pos / 8] = static_cast<char>(bits[pos / 8] | (1 << (pos % 8)));
          }
        }
      }
      out += bits;
    }
  }
  return out;
}

std::string EncodeDeltaLength(const std::vector<std::string>& v) {
  std::vector<int64_t> lens;
  std::string bytes;
  for (const auto& s : v) { lens.push_back(static_cast<int64_t>(s.size())); bytes += s; }
  return EncodeDeltaBinaryPacked(lens) + bytes;
}

TEST(ParquetEncodingsTest, RleBitPackedHybrid) {
  // RLE run: 100 x 1 (bit width 1); then one bit-packed group 0b10110010 (LSB first).
  std::string data = "\xc8\x01\x01\x03\xb2";
  RleBitPackedDecoder d(Cur(data), 1);
  std::vector<uint32_t> out(108);
  ASSERT_TRUE(d.Get(out.size(), out.data()).ok());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(out[i], 1u);
  std::vector<uint32_t> tail(out.begin() + 100, out.end());
  EXPECT_EQ(tail, (std::vector<uint32_t>{0, 1, 0, 0, 1, 1, 0, 1}));
  uint32_t more;
  Status st = d.Get(1, &more);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("test.parquet at offset 1005"), std::string::npos) << st.ToString();
}

// Random hybrid streams (bit-packed runs and RLE runs) of every width from 1 to 16, written from
// the spec bit by bit, read back in random piece sizes (so that reads start inside a group of
// eight) into 32-bit and 16-bit values.
TEST(ParquetEncodingsTest, RleBitPackedHybridRandomRoundTrip) {
  std::mt19937 rng(7);
  for (int bw = 1; bw <= 16; ++bw) {
    std::string data;
    std::vector<uint32_t> expected;
    for (int run = 0; run < 40; ++run) {
      if (rng() % 3 == 0) {
        uint32_t v = rng() & ((1u << bw) - 1);
        uint32_t count = 1 + rng() % 50;
        Varint(uint64_t{count} << 1, &data);
        for (int b = 0; b < (bw + 7) / 8; ++b) data.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
        expected.insert(expected.end(), count, v);
      } else {
        uint32_t groups = 1 + rng() % 6;
        Varint((uint64_t{groups} << 1) | 1, &data);
        std::string bits(static_cast<size_t>(groups) * bw, '\0');
        for (size_t k = 0; k < groups * 8; ++k) {
          uint32_t v = rng() & ((1u << bw) - 1);
          expected.push_back(v);
          for (int b = 0; b < bw; ++b) {
            size_t pos = k * bw + b;
            if ((v >> b) & 1) bits[pos / 8] = static_cast<char>(bits[pos / 8] | (1 << (pos % 8)));
          }
        }
        data += bits;
      }
    }
    RleBitPackedDecoder wide(Cur(data), bw), narrow(Cur(data), bw);
    std::vector<uint32_t> got32(expected.size());
    std::vector<uint16_t> got16(expected.size());
    for (size_t at = 0; at < expected.size();) {
      size_t n = std::min<size_t>(expected.size() - at, 1 + rng() % 29);
      ASSERT_TRUE(wide.Get(n, got32.data() + at).ok()) << "width " << bw;
      ASSERT_TRUE(narrow.Get(n, got16.data() + at).ok()) << "width " << bw;
      at += n;
    }
    EXPECT_EQ(got32, expected) << "width " << bw;
    EXPECT_EQ(std::vector<uint32_t>(got16.begin(), got16.end()), expected) << "width " << bw;
    uint16_t more;
    EXPECT_EQ(narrow.Get(1, &more).code(), StatusCode::kCorrupt) << "width " << bw;
  }
}

TEST(ParquetEncodingsTest, BitPackedLevelsAreMsbFirst) {
  std::string page = "\xb1";  // 1,0,1,1,0,0,0,1
  ByteCursor c = Cur(page);
  LevelDecoder d;
  ASSERT_TRUE(d.InitV1(kBitPacked, 1, 8, &c).ok());
  uint16_t out[8];
  ASSERT_TRUE(d.Get(8, out).ok());
  EXPECT_EQ(std::vector<uint16_t>(out, out + 8), (std::vector<uint16_t>{1, 0, 1, 1, 0, 0, 0, 1}));
  EXPECT_TRUE(c.empty());
}

TEST(ParquetEncodingsTest, LevelAboveMaximumIsCorrupt) {
  std::string page("\x02\x00\x00\x00\x02\x03", 6);  // RLE: 1 x level 3, max level 2
  ByteCursor c = Cur(page);
  LevelDecoder d;
  ASSERT_TRUE(d.InitV1(kRle, 2, 1, &c).ok());
  uint16_t out;
  Status st = d.Get(1, &out);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("level 3 exceeds the column's maximum 2"), std::string::npos) << st.ToString();
}

TEST(ParquetEncodingsTest, DeltaBinaryPackedRoundTrips) {
  std::mt19937_64 rng(42);
  std::vector<std::vector<int64_t>> cases = {
      {}, {7}, {7, 5, 3, 1, 2, 3, 4, 5}, {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0, -1}};
  std::vector<int64_t> big;
  for (int i = 0; i < 1000; ++i) big.push_back(static_cast<int64_t>(rng()) >> (i % 60));
  cases.push_back(big);
  for (const auto& values : cases) {
    std::string data = EncodeDeltaBinaryPacked(values) + "TAIL";
    DeltaBinaryPackedReader r(Cur(data));
    ASSERT_TRUE(r.Init().ok());
    ASSERT_EQ(r.total(), values.size());
    for (int64_t want : values) {
      int64_t got;
      ASSERT_TRUE(r.Next(&got).ok());
      ASSERT_EQ(got, want);
    }
    EXPECT_EQ(r.cursor().remaining(), 4u);  // stops exactly at the end of the encoded data
    int64_t extra;
    EXPECT_EQ(r.Next(&extra).code(), StatusCode::kCorrupt);
  }
  // Through the double decoder, INT32 wraps modulo 2^32.
  std::vector<int64_t> ints = {2147483647, -2147483648LL, 5, -5};
  const std::string encoded = EncodeDeltaBinaryPacked(ints);  // cursors borrow their bytes
  auto dec = MakeDoubleDecoder(kDeltaBinaryPacked, PhysicalType::kInt32, Cur(encoded), nullptr);
  ASSERT_TRUE(dec.ok());
  double out[4];
  ASSERT_TRUE((*dec)->Next(4, out).ok());
  EXPECT_EQ(std::vector<double>(out, out + 4), (std::vector<double>{2147483647.0, -2147483648.0, 5.0, -5.0}));
}

TEST(ParquetEncodingsTest, DeltaBinaryPackedTruncatedAndBadHeaders) {
  std::vector<int64_t> values;
  for (int i = 0; i < 300; ++i) values.push_back(i * i * 977);
  std::string data = EncodeDeltaBinaryPacked(values);
  // A cut inside the header or the values needed is Corrupt; a cut that only removes the
  // padding of the last miniblock is tolerated (some writers do not pad) and decodes exactly.
  size_t tolerated = 0;
  for (size_t len = 0; len < data.size(); ++len) {
    const std::string prefix = data.substr(0, len);
    DeltaBinaryPackedReader r(Cur(prefix));
    Status st = r.Init();
    bool exact = st.ok();
    for (size_t i = 0; st.ok() && i < values.size(); ++i) {
      int64_t got = 0;
      st = r.Next(&got);
      exact = exact && st.ok() && got == values[i];
    }
    if (st.ok()) {
      EXPECT_TRUE(exact) << len;
      ++tolerated;
    } else {
      EXPECT_EQ(st.code(), StatusCode::kCorrupt) << len;
    }
  }
  EXPECT_LE(tolerated, 256u);  // at most one miniblock of 32 values x 64 bits
  std::string bad;
  Varint(100, &bad);  // block size not a multiple of the miniblock count * 8
  Varint(3, &bad);
  Varint(1, &bad);
  ZigZag(0, &bad);
  DeltaBinaryPackedReader r(Cur(bad));
  EXPECT_EQ(r.Init().code(), StatusCode::kCorrupt);
}

TEST(ParquetEncodingsTest, DeltaLengthAndDeltaByteArray) {
  std::vector<std::string> words = {"axis", "axle", "babble", "babyhood", "", "ü", "üb"};
  const std::string encoded = EncodeDeltaLength(words);  // cursors borrow their bytes
  auto dl = MakeStringDecoder(kDeltaLengthByteArray, Cur(encoded), nullptr);
  ASSERT_TRUE(dl.ok());
  for (const auto& w : words) {
    std::string s;
    ASSERT_TRUE((*dl)->Next(&s).ok());
    EXPECT_EQ(s, w);
  }
  // DELTA_BYTE_ARRAY: prefix lengths, then the suffixes as DELTA_LENGTH_BYTE_ARRAY.
  std::vector<int64_t> prefixes;
  std::vector<std::string> suffixes;
  std::string prev;
  for (const auto& w : words) {
    size_t p = 0;
    while (p < prev.size() && p < w.size() && prev[p] == w[p]) ++p;
    prefixes.push_back(static_cast<int64_t>(p));
    suffixes.push_back(w.substr(p));
    prev = w;
  }
  std::string data = EncodeDeltaBinaryPacked(prefixes) + EncodeDeltaLength(suffixes);
  auto dba = MakeStringDecoder(kDeltaByteArray, Cur(data), nullptr);
  ASSERT_TRUE(dba.ok());
  for (const auto& w : words) {
    std::string s;
    ASSERT_TRUE((*dba)->Next(&s).ok());
    EXPECT_EQ(s, w);
  }
  std::string s;
  EXPECT_EQ((*dba)->Next(&s).code(), StatusCode::kCorrupt);
  // A prefix longer than the previous value is corrupt.
  std::string bad = EncodeDeltaBinaryPacked({3}) + EncodeDeltaLength({"x"});
  auto d2 = MakeStringDecoder(kDeltaByteArray, Cur(bad), nullptr);
  ASSERT_TRUE(d2.ok());
  Status st = (*d2)->Next(&s);
  EXPECT_NE(st.message().find("prefix length 3 exceeds the previous value's 0 bytes"), std::string::npos)
      << st.ToString();
}

TEST(ParquetEncodingsTest, ByteStreamSplit) {
  std::vector<double> values = {1.5, -0.0, 1e300, 5e-324};
  std::string data(values.size() * 8, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    unsigned char b[8];
    std::memcpy(b, &values[i], 8);
    for (size_t k = 0; k < 8; ++k) data[k * values.size() + i] = static_cast<char>(b[k]);
  }
  auto dec = MakeDoubleDecoder(kByteStreamSplit, PhysicalType::kDouble, Cur(data), nullptr);
  ASSERT_TRUE(dec.ok());
  double out[4];
  ASSERT_TRUE((*dec)->Next(2, out).ok());
  ASSERT_TRUE((*dec)->Next(2, out + 2).ok());
  EXPECT_EQ(std::memcmp(out, values.data(), sizeof(out)), 0);
  EXPECT_EQ((*dec)->Next(1, out).code(), StatusCode::kCorrupt);
}

TEST(ParquetEncodingsTest, DictionaryIndexOutOfRange) {
  std::vector<double> dict = {1.0, 2.0};
  std::string data = "\x02\x02\x03";  // bit width 2; RLE run of 1 x index 3
  auto dec = MakeDoubleDecoder(kRleDictionary, PhysicalType::kDouble, Cur(data), &dict);
  ASSERT_TRUE(dec.ok());
  double out;
  Status st = (*dec)->Next(1, &out);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("dictionary index 3 is out of range (the dictionary has 2 entries)"), std::string::npos)
      << st.ToString();
  auto none = MakeDoubleDecoder(kRleDictionary, PhysicalType::kDouble, Cur(data), nullptr);
  EXPECT_EQ(none.status().code(), StatusCode::kCorrupt);
  auto unsupported = MakeDoubleDecoder(kDeltaByteArray, PhysicalType::kDouble, Cur(data), nullptr);
  EXPECT_EQ(unsupported.status().code(), StatusCode::kUnsupported);
  // Dictionary pages: a count that cannot fit the page is refused before allocating.
  std::vector<std::string_view> strings;
  EXPECT_EQ(DecodeStringDictionary(Cur("abcd"), 1u << 30, &strings).code(), StatusCode::kCorrupt);
  std::vector<double> doubles;
  EXPECT_EQ(DecodeDoubleDictionary(PhysicalType::kDouble, Cur("abcdefgh"), 2, &doubles).code(), StatusCode::kCorrupt);
}

TEST(ParquetEncodingsTest, ThriftDepthAndLengthLimits) {
  // PageHeader with an unknown field 9 holding structs nested 1000 deep.
  std::string deep = "\x9c";
  for (int i = 0; i < 1000; ++i) deep += "\x1c";
  PageHeader h;
  ByteCursor c = Cur(deep);
  Status st = DecodePageHeader(&c, &h);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("nesting deeper than 32 levels"), std::string::npos) << st.ToString();
  // FileMetaData whose schema list claims 2^40 elements.
  std::string list = "\x15\x02\x19\xfc";
  Varint(uint64_t{1} << 40, &list);
  FileMetaData m;
  c = Cur(list);
  st = DecodeFileMetaData(&c, &m);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("elements cannot fit"), std::string::npos) << st.ToString();
  // A binary whose length exceeds the input.
  std::string bin = "\x68";  // field 6 (created_by), binary
  Varint(1000, &bin);
  c = Cur(bin);
  st = DecodeFileMetaData(&c, &m);
  EXPECT_NE(st.message().find("length 1000 exceeds the 0 bytes left"), std::string::npos) << st.ToString();
  // Missing required fields.
  std::string empty(1, '\0');
  c = Cur(empty);
  st = DecodePageHeader(&c, &h);
  EXPECT_NE(st.message().find("PageHeader lacks required field type"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace cm::parquet
