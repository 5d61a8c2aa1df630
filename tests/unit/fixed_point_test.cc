// The fixed-point copies a graph may be built on (formats/hnsw/fixed_point.h): the kernels are
// exact, the chosen scale can never overflow them, and collections whose values do not fit 16
// bits closely enough are left to float32.
#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/squared_norms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace cm {
namespace {

int64_t Dot64(const int16_t* a, const int16_t* b, size_t dim) {
  int64_t s = 0;
  for (size_t j = 0; j < dim; ++j) s += int64_t{a[j]} * b[j];
  return s;
}

int64_t L2Sq64(const int16_t* a, const int16_t* b, size_t dim) {
  int64_t s = 0;
  for (size_t j = 0; j < dim; ++j) s += (int64_t{a[j]} - b[j]) * (int64_t{a[j]} - b[j]);
  return s;
}

// Dimensions around the 64-, 32- and 16-wide SIMD steps, so each step and the tail loop are
// covered; values as large as the contract allows (every sum within int32). The paired kernels
// (one row against two) give each sum as the single ones do.
TEST(FixedPoint, KernelsAreExact) {
  std::mt19937 rng(5);
  for (size_t dim : {1, 7, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 96, 111, 127, 384, 1536, 1537}) {
    const int range = std::min(16383, static_cast<int>(std::sqrt(2147483647.0 / (4.0 * static_cast<double>(dim)))));
    std::uniform_int_distribution<int> value(-range, range);
    std::vector<int16_t> a(dim), b(dim), c(dim);
    for (size_t j = 0; j < dim; ++j) {
      a[j] = static_cast<int16_t>(value(rng));
      b[j] = static_cast<int16_t>(value(rng));
      c[j] = static_cast<int16_t>(value(rng));
    }
    EXPECT_EQ(FixedPointDot(a.data(), b.data(), dim), Dot64(a.data(), b.data(), dim)) << "dim " << dim;
    EXPECT_EQ(FixedPointL2Sq(a.data(), b.data(), dim), L2Sq64(a.data(), b.data(), dim)) << "dim " << dim;
    int32_t ab = 0, ac = 0;
    FixedPointDot2(a.data(), b.data(), c.data(), dim, &ab, &ac);
    EXPECT_EQ(ab, Dot64(a.data(), b.data(), dim)) << "dim " << dim;
    EXPECT_EQ(ac, Dot64(a.data(), c.data(), dim)) << "dim " << dim;
    FixedPointL2Sq2(a.data(), b.data(), c.data(), dim, &ab, &ac);
    EXPECT_EQ(ab, L2Sq64(a.data(), b.data(), dim)) << "dim " << dim;
    EXPECT_EQ(ac, L2Sq64(a.data(), c.data(), dim)) << "dim " << dim;
  }
}

// The worst vectors for a scale are the extreme ones: every component at the largest magnitude
// (the norm bound binds), or one component carrying the whole norm (the component bound binds),
// against their own negation. The int32 kernels must equal the int64 sums there.
void CheckNoOverflow(Space space, size_t dim, const std::vector<std::vector<float>>& vectors) {
  FixedPointStats stats(dim);
  for (const auto& v : vectors) stats.Add(v.data());
  std::optional<float> scale = stats.Scale(space);
  ASSERT_TRUE(scale.has_value()) << "dim " << dim;
  for (const auto& v : vectors) {
    std::vector<float> neg(v);
    for (float& x : neg) x = -x;
    std::vector<int16_t> a(dim), b(dim);
    QuantizeFixedPoint(v.data(), dim, *scale, a.data());
    QuantizeFixedPoint(neg.data(), dim, *scale, b.data());
    for (size_t j = 0; j < dim; ++j) {
      ASSERT_LE(std::abs(int{a[j]}), space == Space::kL2 ? 16383 : 32767);
      // The quantised value is the rounded product, not a wrapped one.
      ASSERT_LE(std::fabs(a[j] - v[j] * *scale), 0.5f + 1e-3f);
    }
    if (space == Space::kL2) {
      int64_t want = L2Sq64(a.data(), b.data(), dim);
      ASSERT_LE(want, std::numeric_limits<int32_t>::max());
      EXPECT_EQ(FixedPointL2Sq(a.data(), b.data(), dim), want);
      int32_t ab = 0, aa = 0;
      FixedPointL2Sq2(a.data(), b.data(), a.data(), dim, &ab, &aa);
      EXPECT_EQ(ab, want);
      EXPECT_EQ(aa, 0);
    } else {
      int64_t want = Dot64(a.data(), a.data(), dim);
      ASSERT_LE(want, std::numeric_limits<int32_t>::max());
      EXPECT_EQ(FixedPointDot(a.data(), a.data(), dim), want);
      EXPECT_EQ(FixedPointDot(a.data(), b.data(), dim), -want);
      int32_t aa = 0, ab = 0;
      FixedPointDot2(a.data(), a.data(), b.data(), dim, &aa, &ab);
      EXPECT_EQ(aa, want);
      EXPECT_EQ(ab, -want);
    }
  }
}

TEST(FixedPoint, ScaleNeverOverflows) {
  for (Space space : {Space::kL2, Space::kIp, Space::kCosine}) {
    for (size_t dim : {3, 16, 384, 1536, 4096}) {
      std::mt19937 rng(static_cast<uint32_t>(dim));
      std::normal_distribution<float> noise(0.0f, 1.0f);
      std::vector<std::vector<float>> vectors;
      vectors.emplace_back(dim, 0.7f);               // every component at the largest magnitude
      std::vector<float> spike(dim, 0.0f);
      spike[dim / 2] = 0.7f * std::sqrt(static_cast<float>(dim));  // one component, the same norm
      vectors.push_back(spike);
      for (int i = 0; i < 50; ++i) {
        std::vector<float> v(dim);
        for (float& x : v) x = noise(rng);
        vectors.push_back(v);
      }
      SCOPED_TRACE(testing::Message() << "space " << static_cast<int>(space) << " dim " << dim);
      CheckNoOverflow(space, dim, vectors);
    }
  }
}

TEST(FixedPoint, UnitVectorsGetAFineScale) {
  const size_t dim = 384;
  std::mt19937 rng(9);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  FixedPointStats stats(dim);
  for (int i = 0; i < 1000; ++i) {
    std::vector<float> v(dim);
    double n = 0;
    for (float& x : v) {
      x = noise(rng);
      n += static_cast<double>(x) * x;
    }
    for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
    stats.Add(v.data());
  }
  std::optional<float> scale = stats.Scale(Space::kCosine);
  ASSERT_TRUE(scale.has_value());
  // ‖q‖ ≤ √(2³¹): about 46,000 for unit vectors, whatever their largest component.
  EXPECT_GT(*scale, 40000.0f);
  EXPECT_LT(*scale, 46341.0f);
}

// The copy is each component times the scale rounded as std::lrint rounds it (to the nearest,
// ties to even), whichever path makes it: ties, both signs, the largest magnitudes, every tail.
TEST(FixedPoint, StatsOfRowsAreTheStatsOfEachRow) {
  const size_t dim = 384, rows = 11;  // two groups of four and a tail
  std::mt19937 rng(8);
  std::normal_distribution<float> gauss(0.0f, 0.05f);
  std::vector<float> v(rows * dim);
  for (float& x : v) x = gauss(rng);
  FixedPointStats one(dim), together(dim);
  for (size_t r = 0; r < rows; ++r) one.Add(v.data() + r * dim);
  together.AddRows(v.data(), rows);
  EXPECT_EQ(one.max_abs(), together.max_abs());
  EXPECT_EQ(one.variance(), together.variance());
  for (Space space : {Space::kCosine, Space::kL2}) {
    ASSERT_TRUE(one.Scale(space).has_value());
    EXPECT_EQ(*one.Scale(space), *together.Scale(space));
  }
}

// The statistics against a plain loop over the components (per-component sums in double, the
// largest magnitude), at widths across the sixteen-wide steps and their tails.
TEST(FixedPoint, StatsAreThoseOfAPlainLoop) {
  std::mt19937 rng(12);
  std::normal_distribution<float> gauss(0.0f, 0.2f);
  for (size_t dim : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{384}, size_t{1537}}) {
    const size_t rows = 9;
    std::vector<float> v(rows * dim);
    for (float& x : v) x = gauss(rng);
    v[(rows - 1) * dim + dim - 1] = -3.5f;  // the largest magnitude, in the last row's tail
    FixedPointStats stats(dim);
    stats.AddRows(v.data(), rows);
    std::vector<double> sum(dim, 0.0);
    double sum_sq = 0;
    float max_abs = 0;
    for (size_t r = 0; r < rows; ++r) {
      double norm_sq;
      SquaredNorms<1>(v.data() + r * dim, dim, &norm_sq);
      sum_sq += norm_sq;
      for (size_t j = 0; j < dim; ++j) {
        sum[j] += v[r * dim + j];
        max_abs = std::max(max_abs, std::fabs(v[r * dim + j]));
      }
    }
    double mean_sq = 0;
    for (double s : sum) mean_sq += (s / rows) * (s / rows);
    EXPECT_EQ(stats.max_abs(), static_cast<double>(max_abs)) << dim;
    EXPECT_EQ(stats.max_abs(), 3.5) << dim;
    EXPECT_EQ(stats.variance(), std::max(0.0, sum_sq / rows - mean_sq)) << dim;
  }
}

TEST(FixedPoint, QuantizingRoundsAsLrint) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> any(-1.0f, 1.0f);
  for (size_t dim : {1, 7, 8, 9, 15, 16, 17, 384, 1537}) {
    for (float scale : {32766.0f, 1024.0f, 3.5f}) {
      std::vector<float> v(dim);
      for (size_t j = 0; j < dim; ++j) {
        switch (j % 4) {
          case 0: v[j] = any(rng); break;
          case 1: v[j] = (std::floor(any(rng) * 100.0f) + 0.5f) / scale; break;  // a tie, when exact
          case 2: v[j] = (j % 8 == 2 ? 1.0f : -1.0f); break;                       // ±scale itself
          default: v[j] = -0.5f / scale; break;                                   // -0.5: rounds to -0
        }
      }
      std::vector<int16_t> got(dim);
      QuantizeFixedPoint(v.data(), dim, scale, got.data());
      for (size_t j = 0; j < dim; ++j) {
        ASSERT_EQ(got[j], static_cast<int16_t>(std::lrint(v[j] * scale))) << "dim " << dim << " scale " << scale << " j " << j;
      }
    }
  }
}

TEST(FixedPoint, LeavesUnsuitedCollectionsToFloat32) {
  const size_t dim = 8;
  FixedPointStats none(dim);
  EXPECT_FALSE(none.Scale(Space::kL2).has_value()) << "no vectors";

  FixedPointStats same(dim);
  std::vector<float> v(dim, 0.25f);
  for (int i = 0; i < 10; ++i) same.Add(v.data());
  EXPECT_FALSE(same.Scale(Space::kL2).has_value()) << "no spread: every vector the same";

  FixedPointStats nan(dim);
  nan.Add(v.data());
  v[3] = std::numeric_limits<float>::quiet_NaN();
  nan.Add(v.data());
  EXPECT_FALSE(nan.Scale(Space::kIp).has_value()) << "a NaN component";

  // The same far into a long vector, where the components are checked eight or more at a time.
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    FixedPointStats wide(384);
    std::vector<float> w(384);
    for (size_t j = 0; j < w.size(); ++j) w[j] = 0.01f * static_cast<float>(j % 7) - 0.03f;
    wide.Add(w.data());
    w[299] = bad;
    wide.Add(w.data());
    EXPECT_FALSE(wide.Scale(Space::kCosine).has_value()) << "component 299 of 384 is " << bad;
  }

  // A large common offset and a tiny spread: the step (offset / 16383) dwarfs the differences.
  FixedPointStats offset(dim);
  std::mt19937 rng(1);
  std::normal_distribution<float> tiny(0.0f, 1e-3f);
  for (int i = 0; i < 100; ++i) {
    std::vector<float> w(dim);
    for (float& x : w) x = 1000.0f + tiny(rng);
    offset.Add(w.data());
  }
  EXPECT_FALSE(offset.Scale(Space::kL2).has_value()) << "offset 1000, spread 1e-3";
  EXPECT_GT(offset.variance(), 0.0);
}

}  // namespace
}  // namespace cm
