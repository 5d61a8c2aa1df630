// Cosine space as Chroma stores it: the graph holds unit vectors (inner product space) and
// length.bin keeps each vector's original L2 norm. One normalisation for every writer, so a
// built graph and a reused one store bit-identical vectors.
#pragma once

#include <cmath>
#include <cstddef>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "formats/hnsw/squared_norms.h"

namespace cm {

// v / (‖v‖ + 1e-30) into `out` (Chroma's hnswlib fork's rule), given ‖v‖² (SquaredNorms);
// returns ‖v‖. `out` may be `v`.
inline float ScaleToUnit(const float* v, size_t dim, double norm_sq, float* out) {
  const float norm = static_cast<float>(std::sqrt(norm_sq));
  const float inv = 1.0f / (norm + 1e-30f);
  size_t j = 0;
#if defined(__AVX512F__)
  const __m512 by = _mm512_set1_ps(inv);
  for (; j + 16 <= dim; j += 16) _mm512_storeu_ps(out + j, _mm512_mul_ps(_mm512_loadu_ps(v + j), by));
#endif
  for (; j < dim; ++j) out[j] = v[j] * inv;
  return norm;
}

// Writes v / (‖v‖ + 1e-30) into `out` (Chroma's hnswlib fork's rule) and returns ‖v‖.
// `out` may be `v`.
inline float NormalizeForCosine(const float* v, size_t dim, float* out) {
  double norm_sq;
  SquaredNorms<1>(v, dim, &norm_sq);
  return ScaleToUnit(v, dim, norm_sq, out);
}

// NormalizeForCosine of `rows` consecutive vectors (rows × dim) into `out` (which may be `v`),
// their norms into `norms`: the same floats bit for bit, kNormsTogether vectors' sums taken
// side by side (squared_norms.h).
inline void NormalizeRowsForCosine(const float* v, size_t rows, size_t dim, float* out, float* norms) {
  size_t r = 0;
  for (; r + kNormsTogether <= rows; r += kNormsTogether) {
    double norm_sq[kNormsTogether];
    SquaredNorms<kNormsTogether>(v + r * dim, dim, norm_sq);
    for (size_t k = 0; k < kNormsTogether; ++k) {
      norms[r + k] = ScaleToUnit(v + (r + k) * dim, dim, norm_sq[k], out + (r + k) * dim);
    }
  }
  for (; r < rows; ++r) norms[r] = NormalizeForCosine(v + r * dim, dim, out + r * dim);
}

}  // namespace cm
