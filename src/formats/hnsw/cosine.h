// Cosine space as Chroma stores it: the graph holds unit vectors (inner product space) and
// length.bin keeps each vector's original L2 norm. One normalisation for every writer, so a
// built graph and a reused one store bit-identical vectors.
#pragma once

#include <cmath>
#include <cstddef>

namespace cm {

// Writes v / (‖v‖ + 1e-30) into `out` (Chroma's hnswlib fork's rule) and returns ‖v‖.
// `out` may be `v`.
inline float NormalizeForCosine(const float* v, size_t dim, float* out) {
  double sum = 0;
  for (size_t j = 0; j < dim; ++j) sum += static_cast<double>(v[j]) * v[j];
  float norm = static_cast<float>(std::sqrt(sum));
  float inv = 1.0f / (norm + 1e-30f);
  for (size_t j = 0; j < dim; ++j) out[j] = v[j] * inv;
  return norm;
}

// NormalizeForCosine of `rows` consecutive vectors (rows × dim) into `out` (which may be `v`),
// their norms into `norms`: the same floats bit for bit, four vectors' sums taken together.
// Each sum is a chain of dependent additions in a fixed order (the order fixes the result), so
// one vector alone leaves the core waiting on each addition; four chains side by side do not.
inline void NormalizeRowsForCosine(const float* v, size_t rows, size_t dim, float* out, float* norms) {
  constexpr size_t kTogether = 4;
  size_t r = 0;
  for (; r + kTogether <= rows; r += kTogether) {
    const float* x = v + r * dim;
    double sum[kTogether] = {};
    for (size_t j = 0; j < dim; ++j) {
      for (size_t k = 0; k < kTogether; ++k) sum[k] += static_cast<double>(x[k * dim + j]) * x[k * dim + j];
    }
    for (size_t k = 0; k < kTogether; ++k) {
      const float norm = static_cast<float>(std::sqrt(sum[k]));
      const float inv = 1.0f / (norm + 1e-30f);
      float* o = out + (r + k) * dim;
      for (size_t j = 0; j < dim; ++j) o[j] = x[k * dim + j] * inv;
      norms[r + k] = norm;
    }
  }
  for (; r < rows; ++r) norms[r] = NormalizeForCosine(v + r * dim, dim, out + r * dim);
}

}  // namespace cm
