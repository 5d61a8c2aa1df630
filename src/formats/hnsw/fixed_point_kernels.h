// The integer kernels of the fixed-point graph (fixed_point.h): inline, because the graph's
// insertion (graph_insert.h) calls them some 1,200 times per record and a call through another
// translation unit was a measurable share of the build (docs/performance.md, "Graph insertion").
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace cm {

#if defined(__AVX2__)
// The sum of v's eight int32 lanes.
inline int32_t HorizontalSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_hadd_epi32(s, s);
  s = _mm_hadd_epi32(s, s);
  return _mm_cvtsi128_si32(s);
}
#endif

// Σ a·b, or Σ (a−b)² when kL2, exactly in int32 (the scale keeps every partial sum in range):
// 16 components per AVX2 multiply-add, then a scalar tail.
template <bool kL2>
inline int32_t FixedPointSum(const int16_t* a, const int16_t* b, size_t dim) {
  size_t j = 0;
  int32_t sum = 0;
#if defined(__AVX2__)
  __m256i acc = _mm256_setzero_si256();
  for (; j + 16 <= dim; j += 16) {
    __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + j));
    __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + j));
    if constexpr (kL2) x = y = _mm256_sub_epi16(x, y);
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
  }
  sum = HorizontalSum(acc);
#endif
  for (; j < dim; ++j) {
    int32_t x = a[j], y = b[j];
    if constexpr (kL2) x = y = x - y;
    sum += x * y;
  }
  return sum;
}

inline int32_t FixedPointDot(const int16_t* a, const int16_t* b, size_t dim) { return FixedPointSum<false>(a, b, dim); }
inline int32_t FixedPointL2Sq(const int16_t* a, const int16_t* b, size_t dim) { return FixedPointSum<true>(a, b, dim); }

}  // namespace cm
