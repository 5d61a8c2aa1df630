#include "core/narrow_to_float.h"

#include <cfloat>
#include <cmath>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace cm {

bool NarrowToFloat(const double* src, size_t n, float* dst) {
  size_t i = 0;
  bool all_fit = true;
#if defined(__AVX512F__)
  // Eight at a time: |x| ≤ FLT_MAX is false for NaN and ±Infinity too (ordered, quiet compare).
  const __m512d limit = _mm512_set1_pd(static_cast<double>(FLT_MAX));
  __mmask8 fit = 0xff;
  for (; i + 8 <= n; i += 8) {
    __m512d x = _mm512_loadu_pd(src + i);
    fit &= _mm512_cmp_pd_mask(_mm512_abs_pd(x), limit, _CMP_LE_OQ);
    // (maskz: GCC 12 warns of an uninitialized value inside the unmasked _mm512_cvtpd_ps.)
    _mm256_storeu_ps(dst + i, _mm512_maskz_cvtpd_ps(0xff, x));
  }
  all_fit = fit == 0xff;
#endif
  for (; i < n; ++i) {
    const double d = src[i];
    const bool fits = std::fabs(d) <= static_cast<double>(FLT_MAX);  // false for NaN and ±Infinity too
    all_fit &= fits;
    dst[i] = fits ? static_cast<float>(d) : 0.0f;
  }
  return all_fit;
}

}  // namespace cm
