// NormalizeRowsForCosine (formats/hnsw/cosine.h): the floats NormalizeForCosine gives, bit for bit.
#include "formats/hnsw/cosine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace cm {
namespace {

TEST(Cosine, RowsNormalizeAsOneAtATime) {
  std::mt19937 rng(5);
  std::normal_distribution<float> gauss(0.0f, 0.3f);
  for (size_t dim : {size_t{3}, size_t{384}, size_t{1536}}) {
    for (size_t rows : {size_t{1}, size_t{4}, size_t{11}}) {  // a group of four, and tails
      std::vector<float> v(rows * dim);
      for (float& x : v) x = gauss(rng);
      v[0] = 1e30f;  // a sum far from the others
      std::vector<float> one(rows * dim), together(rows * dim), one_norms(rows), together_norms(rows);
      for (size_t r = 0; r < rows; ++r) one_norms[r] = NormalizeForCosine(v.data() + r * dim, dim, one.data() + r * dim);
      NormalizeRowsForCosine(v.data(), rows, dim, together.data(), together_norms.data());
      EXPECT_EQ(std::memcmp(one.data(), together.data(), one.size() * sizeof(float)), 0) << dim << " × " << rows;
      EXPECT_EQ(std::memcmp(one_norms.data(), together_norms.data(), rows * sizeof(float)), 0) << dim << " × " << rows;
      // In place, as the caller may ask.
      NormalizeRowsForCosine(v.data(), rows, dim, v.data(), together_norms.data());
      EXPECT_EQ(std::memcmp(one.data(), v.data(), one.size() * sizeof(float)), 0) << dim << " × " << rows << " in place";
    }
  }
}

// Each component times 1 / (‖v‖ + 1e-30), as one scalar multiplication gives it, whatever the
// width the scaling takes the components at (sixteen at a time, then a tail).
TEST(Cosine, ScalesEachComponentAsAScalarMultiply) {
  std::mt19937 rng(9);
  std::normal_distribution<float> gauss(0.0f, 0.3f);
  for (size_t dim : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{384}, size_t{1537}}) {
    std::vector<float> v(dim), out(dim);
    for (float& x : v) x = gauss(rng);
    double norm_sq = 0;
    for (float x : v) norm_sq += static_cast<double>(x) * x;
    const float norm = ScaleToUnit(v.data(), dim, norm_sq, out.data());
    EXPECT_EQ(norm, static_cast<float>(std::sqrt(norm_sq)));
    const float inv = 1.0f / (norm + 1e-30f);
    for (size_t j = 0; j < dim; ++j) {
      const float want = v[j] * inv;
      ASSERT_EQ(std::memcmp(&out[j], &want, sizeof want), 0) << "dim " << dim << " component " << j;
    }
  }
}

}  // namespace
}  // namespace cm
