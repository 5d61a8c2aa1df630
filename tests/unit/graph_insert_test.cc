// GraphInserter (graph_insert.h) against hnswlib's own addPoint: with one thread the same graph
// byte for byte, in every space and arithmetic; with two threads a graph as good.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "formats/hnsw/cosine.h"
#include "formats/hnsw/hnsw_builder.h"
#include "hnsw_test_support.h"
#include "test_env.h"

namespace cm {
namespace {

constexpr size_t kDim = 16;

std::vector<float> Uniform(size_t n, uint32_t seed, size_t dim = kDim) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n * dim);
  for (float& x : v) x = u(rng);
  return v;
}

HnswBuildOptions Options(const std::vector<float>& vecs, Space space, bool fixed_point, bool hnswlib, size_t dim = kDim) {
  HnswBuildOptions o = fixed_point ? test::FixedPointOptions(vecs, dim, space) : HnswBuildOptions{};
  o.space = space;
  o.hnswlib_insertion = hnswlib;
  return o;
}

// The four segment files of `vecs` built one way, concatenated.
std::string Segment(const std::vector<float>& vecs, const HnswBuildOptions& o, size_t threads, size_t dim = kDim) {
  auto index = test::BuildIndex(vecs.data(), vecs.size() / dim, dim, o, threads);
  if (!index) return {};
  std::string dir = test::MakeTempDir("graph-insert");
  Status s = index->WriteChromaSegment(dir);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::string all;
  for (const char* f : {"header.bin", "data_level0.bin", "length.bin", "link_lists.bin"}) {
    all += test::ReadFileOrDie(dir + "/" + f);
  }
  return all;
}

// (At `dim` 16 the fixed-point kernels take only their 16-wide step; 112 takes the 64-, 32- and
// 16-wide ones, in the layer search's paired form too.)
void ExpectSameGraph(Space space, bool fixed_point, size_t dim = kDim) {
  const auto vecs = Uniform(4000, 11, dim);
  const std::string ours = Segment(vecs, Options(vecs, space, fixed_point, false, dim), 1, dim);
  const std::string theirs = Segment(vecs, Options(vecs, space, fixed_point, true, dim), 1, dim);
  ASSERT_FALSE(ours.empty());
  ASSERT_EQ(ours.size(), theirs.size());
  const auto diff = std::mismatch(ours.begin(), ours.end(), theirs.begin());
  EXPECT_TRUE(diff.first == ours.end()) << "first difference at byte " << (diff.first - ours.begin());
}

TEST(GraphInsert, SameGraphAsHnswlibL2) { ExpectSameGraph(Space::kL2, false); }
TEST(GraphInsert, SameGraphAsHnswlibIp) { ExpectSameGraph(Space::kIp, false); }
TEST(GraphInsert, SameGraphAsHnswlibCosine) { ExpectSameGraph(Space::kCosine, false); }
TEST(GraphInsert, SameGraphAsHnswlibFixedPointL2) { ExpectSameGraph(Space::kL2, true); }
TEST(GraphInsert, SameGraphAsHnswlibFixedPointCosine) { ExpectSameGraph(Space::kCosine, true); }
TEST(GraphInsert, SameGraphAsHnswlibFixedPointL2Wide) { ExpectSameGraph(Space::kL2, true, 112); }
TEST(GraphInsert, SameGraphAsHnswlibFixedPointCosineWide) { ExpectSameGraph(Space::kCosine, true, 112); }

// The writer's spilled cosine path hands the builder vectors it has normalised already, with
// their norms (HnswBuildOptions::unit_norms): the same segment, byte for byte, as the raw ones.
void ExpectSameSegmentFromUnitVectors(bool fixed_point, size_t dim, size_t rows) {
  const auto vecs = Uniform(rows, 15, dim);
  std::vector<float> unit(rows * dim), norms(rows);
  // (One by one: the same floats as the writer's NormalizeRowsForCosine, cosine_test.cc.)
  for (size_t r = 0; r < rows; ++r) norms[r] = NormalizeForCosine(vecs.data() + r * dim, dim, unit.data() + r * dim);
  const HnswBuildOptions raw = Options(vecs, Space::kCosine, fixed_point, false, dim);
  HnswBuildOptions given = raw;
  given.unit_norms = &norms;
  if (fixed_point) {
    given.exact_vectors = [&unit, dim](const uint64_t* labels, size_t k, float* out) {
      for (size_t i = 0; i < k; ++i) std::copy_n(unit.data() + (labels[i] - 1) * dim, dim, out + i * dim);
      return Status::Ok();
    };
  }
  const std::string want = Segment(vecs, raw, 1, dim);
  const std::string got = Segment(unit, given, 1, dim);
  ASSERT_FALSE(want.empty());
  ASSERT_EQ(got.size(), want.size());
  const auto diff = std::mismatch(got.begin(), got.end(), want.begin());
  EXPECT_TRUE(diff.first == got.end()) << "first difference at byte " << (diff.first - got.begin());
}

TEST(GraphInsert, UnitVectorsGiveTheSameSegment) { ExpectSameSegmentFromUnitVectors(false, 115, 3000); }
TEST(GraphInsert, UnitVectorsGiveTheSameFixedPointSegment) { ExpectSameSegmentFromUnitVectors(true, 115, 3000); }

// recall@10 at ef 64 over 200 of the rows as queries, against the exact L2 neighbours.
double Recall(const std::vector<float>& vecs, const HnswBuildOptions& o, size_t threads) {
  const size_t n = vecs.size() / kDim;
  auto index = test::BuildIndex(vecs.data(), n, kDim, o, threads);
  if (!index) return 0;
  size_t hits = 0;
  for (size_t q = 0; q < 200; ++q) {
    const float* query = vecs.data() + q * 53 % n * kDim;
    std::vector<std::pair<float, uint64_t>> exact;
    for (size_t i = 0; i < n; ++i) {
      float d = 0;
      for (size_t j = 0; j < kDim; ++j) d += (vecs[i * kDim + j] - query[j]) * (vecs[i * kDim + j] - query[j]);
      exact.emplace_back(d, i + 1);
    }
    std::partial_sort(exact.begin(), exact.begin() + 10, exact.end());
    std::set<uint64_t> truth;
    for (size_t k = 0; k < 10; ++k) truth.insert(exact[k].second);
    for (const auto& [d, label] : index->Search(query, 10, 64)) hits += truth.count(label);
  }
  return static_cast<double>(hits) / 2000.0;
}

TEST(GraphInsert, TwoThreadsBuildAGraphAsGoodAsHnswlibs) {
  const auto vecs = Uniform(6000, 12);
  const double ours = Recall(vecs, Options(vecs, Space::kL2, false, false), 2);
  const double theirs = Recall(vecs, Options(vecs, Space::kL2, false, true), 2);
  EXPECT_GE(ours, 0.9);
  EXPECT_GE(ours, theirs - 0.02) << "hnswlib's " << theirs;
}

// A graph whose vectors are kept apart from hnswlib's block (the fixed-point build) is searched
// by the inserter: the same answers as hnswlib's searchKnn gives over the same graph, which
// hnswlib's own insertion makes with one thread (SameGraphAsHnswlib*).
TEST(GraphInsert, SearchesAsHnswlibSearches) {
  const auto vecs = Uniform(3000, 14);
  const size_t n = vecs.size() / kDim;
  for (Space space : {Space::kL2, Space::kCosine}) {
    auto ours = test::BuildIndex(vecs.data(), n, kDim, Options(vecs, space, true, false), 1);
    auto theirs = test::BuildIndex(vecs.data(), n, kDim, Options(vecs, space, true, true), 1);
    ASSERT_TRUE(ours && theirs);
    const auto queries = Uniform(100, 15);
    size_t found = 0;
    for (size_t q = 0; q < 100; ++q) {
      // In the index's space: unit length for cosine.
      const std::vector<float> query = test::AsStored(queries.data() + q * kDim, kDim, space);
      for (size_t ef : {size_t{10}, size_t{64}}) {
        const auto a = ours->Search(query.data(), 10, ef);
        const auto b = theirs->Search(query.data(), 10, ef);
        EXPECT_EQ(a, b) << "query " << q << ", ef " << ef;
        found += a.size();
      }
    }
    EXPECT_EQ(found, 2000u);
  }
}

// The tool grows the graph (HnswBuilder::Reserve) when a source has more records than it
// announced; the inserter's per-element locks, and the fixed-point build's rows, must grow with it.
void InsertIntoAGrownGraph(bool fixed_point) {
  const auto vecs = Uniform(6000, 13);
  const size_t n = vecs.size() / kDim;
  auto builder = HnswBuilder::Create(kDim, 1000, Options(vecs, Space::kL2, fixed_point, false));
  ASSERT_TRUE(builder.ok()) << builder.status().ToString();
  for (size_t from : {size_t{0}, size_t{1000}}) {
    const size_t to = from ? n : 1000;
    if (from) {
      ASSERT_TRUE((*builder)->Reserve(n).ok());
    }
    ASSERT_TRUE(test::AddRows(builder->get(), vecs.data(), kDim, from, to, 2));
  }
  auto index = (*builder)->Finish();
  ASSERT_EQ(index->size(), n);
  size_t found = 0;
  for (size_t r = 0; r < n; r += 97) {
    const auto hits = index->Search(vecs.data() + r * kDim, 1, 64);
    found += !hits.empty() && hits[0].second == r + 1;
  }
  EXPECT_GE(found, (n + 96) / 97 * 95 / 100) << "records found as their own nearest neighbour";
}

TEST(GraphInsert, TwoThreadsInsertIntoAGrownGraph) { InsertIntoAGrownGraph(false); }
TEST(GraphInsert, TwoThreadsInsertIntoAGrownFixedPointGraph) { InsertIntoAGrownGraph(true); }

TEST(GraphInsert, ALabelGivenTwiceIsAnError) {
  HnswBuildOptions o;
  auto b = HnswBuilder::Create(2, 4, o);
  ASSERT_TRUE(b.ok());
  const float v[2] = {1, 2};
  ASSERT_TRUE((*b)->Add(v, 1).ok());
  Status s = (*b)->Add(v, 1);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("label 1 inserted twice"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace cm
