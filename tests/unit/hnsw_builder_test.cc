// The Chroma segment files are checked structurally and then loaded back with hnswlib itself
// (stock single-file layout = header without the version int + level 0 + link lists), which
// proves offsets, sizes and links are consistent.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <optional>
#include <set>

#include "formats/hnsw/cosine.h"
#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/hnsw_builder.h"
#include "hnsw_test_support.h"
#include "test_env.h"

namespace cm {
namespace {

std::vector<float> Clustered(size_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::uniform_real_distribution<float> center(-1.0f, 1.0f);
  std::vector<std::vector<float>> centers(20, std::vector<float>(dim));
  for (auto& c : centers) for (auto& x : c) x = center(rng);
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < dim; ++j) v[i * dim + j] = centers[i % 20][j] + noise(rng);
  return v;
}

std::string Read(const std::string& path) { return test::ReadFileOrDie(path); }

void CheckSegment(Space space, bool fixed_point = false, size_t dim = 24) {
  const size_t n = 3000;
  auto vecs = Clustered(n, dim, 7);
  HnswBuildOptions o;
  o.space = space;
  if (fixed_point) o = test::FixedPointOptions(vecs, dim, space);
  auto index = test::BuildIndex(vecs.data(), n, dim, o);
  ASSERT_TRUE(index);
  std::string dir = test::MakeTempDir("hnsw");
  ASSERT_TRUE(index->WriteChromaSegment(dir).ok());

  std::string header = Read(dir + "/header.bin");
  ASSERT_EQ(header.size(), 100u);
  int32_t version;
  std::memcpy(&version, header.data(), 4);
  EXPECT_EQ(version, 1);
  uint64_t cur, sdpe, label_offset, offset_data, max_elements;
  std::memcpy(&max_elements, header.data() + 12, 8);
  std::memcpy(&cur, header.data() + 20, 8);
  std::memcpy(&sdpe, header.data() + 28, 8);
  std::memcpy(&label_offset, header.data() + 36, 8);
  std::memcpy(&offset_data, header.data() + 44, 8);
  EXPECT_EQ(cur, n);
  EXPECT_EQ(max_elements, n);
  EXPECT_EQ(offset_data, 32u * 4 + 4);
  EXPECT_EQ(label_offset, offset_data + dim * 4);
  EXPECT_EQ(sdpe, label_offset + 8);
  std::string level0 = Read(dir + "/data_level0.bin");
  ASSERT_EQ(level0.size(), n * sdpe);
  std::string lengths = Read(dir + "/length.bin");
  ASSERT_EQ(lengths.size(), n * 4);
  std::string links = Read(dir + "/link_lists.bin");

  // Labels 1..n, each once; for cosine the stored vector is unit length and length.bin holds
  // the original norm of the row with that label, at the element's internal id.
  std::set<uint64_t> labels;
  for (size_t i = 0; i < n; ++i) {
    uint64_t label;
    std::memcpy(&label, level0.data() + i * sdpe + label_offset, 8);
    labels.insert(label);
    const float* stored = reinterpret_cast<const float*>(level0.data() + i * sdpe + offset_data);
    const float* orig = vecs.data() + (label - 1) * dim;
    float len;
    std::memcpy(&len, lengths.data() + i * 4, 4);
    // Exactly the float32 vector, whatever the graph was built with.
    std::vector<float> want = test::AsStored(orig, dim, space);
    ASSERT_EQ(std::memcmp(stored, want.data(), dim * 4), 0) << "element " << i;
    for (size_t j = 0; j < dim; ++j) {
      float expect = space == Space::kCosine ? stored[j] * len : stored[j];
      EXPECT_NEAR(expect, orig[j], 1e-5f) << "element " << i << " dim " << j;
    }
  }
  EXPECT_EQ(labels.size(), n);
  EXPECT_EQ(*labels.begin(), 1u);
  EXPECT_EQ(*labels.rbegin(), n);

  // Rebuild the stock single-file layout and let hnswlib load and search it.
  std::string stock = header.substr(4) + level0 + links;
  std::ofstream(dir + "/stock.bin", std::ios::binary) << stock;
  auto loaded = HnswIndex::LoadStockFile(dir + "/stock.bin", dim, space);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  size_t hits = 0, total = 0;
  for (size_t q = 0; q < 50; ++q) {
    std::vector<float> query(vecs.begin() + static_cast<long>(q * 37 * dim), vecs.begin() + static_cast<long>((q * 37 + 1) * dim));
    if (space == Space::kCosine) {
      float s = 0;
      for (float x : query) s += x * x;
      for (float& x : query) x /= std::sqrt(s);
    }
    // Exact top-10 by the same distance.
    std::vector<std::pair<float, uint64_t>> exact;
    for (size_t i = 0; i < n; ++i) {
      const float* v = vecs.data() + i * dim;
      float d = 0;
      if (space == Space::kL2) {
        for (size_t j = 0; j < dim; ++j) d += (v[j] - query[j]) * (v[j] - query[j]);
      } else {
        float dot = 0, nn = 0;
        for (size_t j = 0; j < dim; ++j) { dot += v[j] * query[j]; nn += v[j] * v[j]; }
        d = space == Space::kCosine ? 1 - dot / std::sqrt(nn) : 1 - dot;
      }
      exact.emplace_back(d, i + 1);
    }
    std::partial_sort(exact.begin(), exact.begin() + 10, exact.end());
    std::set<uint64_t> truth;
    for (int k = 0; k < 10; ++k) truth.insert(exact[k].second);
    for (const auto& [dist, label] : (*loaded)->Search(query.data(), 10, 100)) hits += truth.count(label);
    total += 10;
  }
  EXPECT_GE(static_cast<double>(hits) / static_cast<double>(total), 0.95);
}

TEST(HnswBuilder, L2SegmentLoadsAndSearches) { CheckSegment(Space::kL2); }
TEST(HnswBuilder, CosineSegmentKeepsNormsAtInternalIds) { CheckSegment(Space::kCosine); }
TEST(HnswBuilder, IpSegmentLoadsAndSearches) { CheckSegment(Space::kIp); }
// Built on int16 copies: the same files, the exact float32 vectors, and the graph searches as
// well once hnswlib loads it with its float spaces.
TEST(HnswBuilder, FixedPointL2SegmentHoldsExactVectors) { CheckSegment(Space::kL2, true); }
TEST(HnswBuilder, FixedPointCosineSegmentHoldsExactVectors) { CheckSegment(Space::kCosine, true); }
TEST(HnswBuilder, FixedPointIpSegmentHoldsExactVectors) { CheckSegment(Space::kIp, true); }

// An odd dimension: the int16 copy is padded to an even number of slots, so that hnswlib's
// elements stay 4-byte aligned (the sanitizer build checks every link-count load).
TEST(HnswBuilder, FixedPointOddDimension) { CheckSegment(Space::kL2, true, 13); }

TEST(HnswBuilder, FixedPointNeedsTheExactVectors) {
  HnswBuildOptions o;
  o.fixed_point_scale = 100;
  auto r = HnswBuilder::Create(4, 8, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exact vectors"), std::string::npos) << r.status().message();
}

// A failure to read the exact vectors back fails the write and leaves no data_level0.bin.
TEST(HnswBuilder, FixedPointWriteFailsWhenTheVectorsCannotBeRead) {
  const size_t n = 2000, dim = 300;  // data_level0.bin over 1 MiB: the O_DIRECT path
  auto vecs = Clustered(n, dim, 3);
  HnswBuildOptions o = test::FixedPointOptions(vecs, dim, Space::kL2);
  auto index = test::BuildIndex(vecs.data(), n, dim, o);
  ASSERT_TRUE(index);
  // Replace the reader after the build: the index keeps its own copy, so build another one.
  HnswBuildOptions failing = o;
  failing.exact_vectors = [](const uint64_t* labels, size_t, float*) {
    return Status::IoError(fmt::format("spill: cannot read label {}", labels[0]));
  };
  auto broken = test::BuildIndex(vecs.data(), n, dim, failing);
  ASSERT_TRUE(broken);
  std::string dir = test::MakeTempDir("hnsw-fixed-fail");
  Status s = broken->WriteChromaSegment(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("spill: cannot read label"), std::string::npos) << s.message();
  EXPECT_FALSE(std::ifstream(dir + "/data_level0.bin").good());
  std::string ok_dir = test::MakeTempDir("hnsw-fixed-ok");
  EXPECT_TRUE(index->WriteChromaSegment(ok_dir).ok());
}

TEST(HnswBuilder, RejectsNoDimension) {
  auto r = HnswBuilder::Create(0, 8, HnswBuildOptions{});
  EXPECT_FALSE(r.ok());
}

TEST(HnswBuilder, WriteFailsCleanlyWhenFilesExist) {
  std::vector<float> v = {1, 2, 3, 4};
  auto index = test::BuildIndex(v.data(), 1, 4, HnswBuildOptions{});
  ASSERT_TRUE(index);
  std::string dir = test::MakeTempDir("hnsw-exists");
  ASSERT_TRUE(index->WriteChromaSegment(dir).ok());
  Status again = index->WriteChromaSegment(dir);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("header.bin: cannot create"), std::string::npos) << again.message();
}

}  // namespace
}  // namespace cm
