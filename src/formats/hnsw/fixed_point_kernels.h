// The integer kernels of the fixed-point graph (fixed_point.h): inline, because the graph's
// insertion (graph_insert.h) calls them some 1,200 times per record and a call through another
// translation unit was a measurable share of the build (docs/performance.md, "Graph insertion").
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__AVX2__) || defined(__AVX512BW__)
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

#if defined(__AVX512BW__)
// The sum of v's sixteen int32 lanes. (Through memory: GCC 12 warns of an uninitialized value
// inside its own _mm512_reduce_add_epi32 and 256-bit extract.)
inline int32_t HorizontalSum(__m512i v) {
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, v);
  int32_t sum = 0;
  for (int32_t lane : lanes) sum += lane;
  return sum;
}

// Adds a·b (or (a−b)², kL2) for 32 components, pairwise, into acc's int32 lanes.
template <bool kL2>
inline __m512i MultiplyAdd32(__m512i acc, const int16_t* a, const int16_t* b) {
  __m512i x = _mm512_loadu_si512(a), y = _mm512_loadu_si512(b);
  if constexpr (kL2) x = y = _mm512_sub_epi16(x, y);
  return _mm512_add_epi32(acc, _mm512_madd_epi16(x, y));
}
#endif

// Σ a·b, or Σ (a−b)² when kL2, over components [j, dim): 16 per AVX2 multiply-add, then one
// by one. The tail of the kernels below.
template <bool kL2>
inline int32_t FixedPointTail(const int16_t* a, const int16_t* b, size_t j, size_t dim) {
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

// Σ a·b, or Σ (a−b)² when kL2, exactly in int32 (the scale keeps every partial sum in range, a
// lane's included, so the grouping does not change the sum): 32 components per AVX-512
// multiply-add, in two sums side by side, where the CPU has it; then FixedPointTail. The
// graph's rows start on cache lines (vector_rows.h), so each 512-bit load of a row reads one
// line: 1.1–1.3× the AVX2 kernel's build (docs/performance.md, "Graph insertion"), where with
// hnswlib's unaligned layout it had measured no better.
template <bool kL2>
inline int32_t FixedPointSum(const int16_t* a, const int16_t* b, size_t dim) {
  size_t j = 0;
  int32_t sum = 0;
#if defined(__AVX512BW__)
  __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
  for (; j + 64 <= dim; j += 64) {
    acc0 = MultiplyAdd32<kL2>(acc0, a + j, b + j);
    acc1 = MultiplyAdd32<kL2>(acc1, a + j + 32, b + j + 32);
  }
  if (j + 32 <= dim) acc0 = MultiplyAdd32<kL2>(acc0, a + j, b + j), j += 32;
  sum = HorizontalSum(_mm512_add_epi32(acc0, acc1));
#endif
  return sum + FixedPointTail<kL2>(a, b, j, dim);
}

// FixedPointSum of q with a and with b at once, the two rows read side by side: a layer
// search's neighbours come from memory, and two streams keep more of their lines in flight
// than one (docs/performance.md, "Graph insertion"). The same sums, exactly.
template <bool kL2>
inline void FixedPointSum2(const int16_t* q, const int16_t* a, const int16_t* b, size_t dim, int32_t* qa,
                           int32_t* qb) {
  size_t j = 0;
  int32_t sa = 0, sb = 0;
#if defined(__AVX512BW__)
  __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
  __m512i b0 = _mm512_setzero_si512(), b1 = _mm512_setzero_si512();
  for (; j + 64 <= dim; j += 64) {
    a0 = MultiplyAdd32<kL2>(a0, q + j, a + j);
    b0 = MultiplyAdd32<kL2>(b0, q + j, b + j);
    a1 = MultiplyAdd32<kL2>(a1, q + j + 32, a + j + 32);
    b1 = MultiplyAdd32<kL2>(b1, q + j + 32, b + j + 32);
  }
  if (j + 32 <= dim) {
    a0 = MultiplyAdd32<kL2>(a0, q + j, a + j);
    b0 = MultiplyAdd32<kL2>(b0, q + j, b + j);
    j += 32;
  }
  sa = HorizontalSum(_mm512_add_epi32(a0, a1));
  sb = HorizontalSum(_mm512_add_epi32(b0, b1));
#endif
  *qa = sa + FixedPointTail<kL2>(q, a, j, dim);
  *qb = sb + FixedPointTail<kL2>(q, b, j, dim);
}

inline int32_t FixedPointDot(const int16_t* a, const int16_t* b, size_t dim) { return FixedPointSum<false>(a, b, dim); }
inline int32_t FixedPointL2Sq(const int16_t* a, const int16_t* b, size_t dim) { return FixedPointSum<true>(a, b, dim); }
inline void FixedPointDot2(const int16_t* q, const int16_t* a, const int16_t* b, size_t dim, int32_t* qa, int32_t* qb) {
  FixedPointSum2<false>(q, a, b, dim, qa, qb);
}
inline void FixedPointL2Sq2(const int16_t* q, const int16_t* a, const int16_t* b, size_t dim, int32_t* qa, int32_t* qb) {
  FixedPointSum2<true>(q, a, b, dim, qa, qb);
}

}  // namespace cm
