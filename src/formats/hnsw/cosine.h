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

}  // namespace cm
