#include "formats/hnsw/fixed_point.h"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "formats/hnsw/squared_norms.h"

namespace cm {
namespace {

// Every int32 sum the kernels form (a lane's partial sum included) is a sum over some of the
// components, so by Cauchy–Schwarz |Σ a·b| ≤ ‖a‖‖b‖ and Σ (a−b)² ≤ (‖a‖+‖b‖)². A rounded copy
// has ‖q‖ ≤ scale·‖x‖ + ½√dim; these must stay below kSumLimit. Components stay within
// kComponentLimit (L2: half, so that a difference fits int16 too).
constexpr double kSumLimit = 2147483647.0 * 0.999;
constexpr double kComponentLimit = 32766.0;

}  // namespace

void FixedPointStats::AddRows(const float* v, size_t rows) {
  // Each squared norm in one chain of double additions, in order (what the scale is computed
  // from stays the same bit for bit), kNormsTogether side by side (squared_norms.h).
  size_t r = 0;
  for (; r + kNormsTogether <= rows; r += kNormsTogether) {
    double norm_sq[kNormsTogether];
    SquaredNorms<kNormsTogether>(v + r * dim_, dim_, norm_sq);
    for (size_t k = 0; k < kNormsTogether; ++k) AddOne(v + (r + k) * dim_, norm_sq[k]);
  }
  for (; r < rows; ++r) {
    double norm_sq;
    SquaredNorms<1>(v + r * dim_, dim_, &norm_sq);
    AddOne(v + r * dim_, norm_sq);
  }
}

void FixedPointStats::AddOne(const float* v, double norm_sq) {
  // A component is finite when its magnitude is at most FLT_MAX (false for NaN and ±inf). The
  // sums are per component and a maximum does not depend on order, so sixteen at a time give
  // the same numbers (the maximum only matters when every component is finite).
  float max_abs = 0;
  bool finite = true;
  double* sum = sum_.data();
  size_t j = 0;
#if defined(__AVX512F__)
  const __m512 limit = _mm512_set1_ps(std::numeric_limits<float>::max());
  __m512 top = _mm512_setzero_ps();
  __mmask16 fits = 0xffff;
  for (; j + 16 <= dim_; j += 16) {
    const __m512 x = _mm512_loadu_ps(v + j);
    const __m512 a = _mm512_abs_ps(x);
    fits &= _mm512_cmp_ps_mask(a, limit, _CMP_LE_OQ);
    // (maskz forms: GCC 12 warns of uninitialized values inside the unmasked max and cvtps.)
    top = _mm512_maskz_max_ps(0xffff, top, a);
    const __m256 low = _mm256_loadu_ps(v + j), high = _mm256_loadu_ps(v + j + 8);
    _mm512_storeu_pd(sum + j, _mm512_add_pd(_mm512_loadu_pd(sum + j), _mm512_maskz_cvtps_pd(0xff, low)));
    _mm512_storeu_pd(sum + j + 8, _mm512_add_pd(_mm512_loadu_pd(sum + j + 8), _mm512_maskz_cvtps_pd(0xff, high)));
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, top);
  for (float lane : lanes) max_abs = std::max(max_abs, lane);
  finite = fits == 0xffff;
#endif
  for (; j < dim_; ++j) {
    const float a = std::fabs(v[j]);
    finite &= a <= std::numeric_limits<float>::max();
    max_abs = std::max(max_abs, a);
    sum[j] += v[j];
  }
  finite_ = finite_ && finite;
  max_abs_ = std::max(max_abs_, static_cast<double>(max_abs));
  max_norm_sq_ = std::max(max_norm_sq_, norm_sq);
  sum_sq_ += norm_sq;
  ++count_;
}

double FixedPointStats::variance() const {
  if (count_ == 0) return 0;
  double n = static_cast<double>(count_), mean_sq = 0;
  for (double s : sum_) mean_sq += (s / n) * (s / n);
  return std::max(0.0, sum_sq_ / n - mean_sq);
}

std::optional<float> FixedPointStats::Scale(Space space) const {
  if (count_ == 0 || !finite_ || max_abs_ == 0) return std::nullopt;
  const bool l2 = space == Space::kL2;
  const double max_norm = std::sqrt(max_norm_sq_);
  const double half_sqrt_dim = 0.5 * std::sqrt(static_cast<double>(dim_));
  // ‖q‖ ≤ norm_limit: ‖a‖‖b‖ ≤ kSumLimit, or (‖a‖+‖b‖)² ≤ kSumLimit for L2.
  const double norm_limit = l2 ? std::sqrt(kSumLimit) / 2 : std::sqrt(kSumLimit);
  double scale = std::min((l2 ? kComponentLimit / 2 : kComponentLimit) / max_abs_, (norm_limit - half_sqrt_dim) / max_norm);
  if (!(scale > 0)) return std::nullopt;
  double variance = this->variance();
  double noise = static_cast<double>(dim_) / (12 * scale * scale);
  if (!(variance > 0) || noise > kMaxNoiseRatio * variance) return std::nullopt;
  // Rounding to float must not raise it past the bounds.
  return std::nextafter(static_cast<float>(scale), 0.0f);
}

void QuantizeFixedPoint(const float* v, size_t dim, float scale, int16_t* out) {
  size_t j = 0;
#if defined(__AVX2__)
  // Eight at a time: the float product rounded to the nearest integer, ties to even (the
  // default rounding mode, as std::lrint), narrowed to int16 (the scale keeps it in range).
  const __m256 s = _mm256_set1_ps(scale);
  for (; j + 8 <= dim; j += 8) {
    __m256i rounded = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + j), s));
    __m128i narrowed = _mm_packs_epi32(_mm256_castsi256_si128(rounded), _mm256_extracti128_si256(rounded, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j), narrowed);
  }
#endif
  for (; j < dim; ++j) out[j] = static_cast<int16_t>(std::lrint(v[j] * scale));
}

}  // namespace cm
