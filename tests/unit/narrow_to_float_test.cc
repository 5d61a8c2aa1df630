// NarrowToFloat against the scalar conversion, at every length across the 8-wide steps and the
// tail, and the values that must make it return false wherever they sit.
#include "core/narrow_to_float.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace cm {
namespace {

TEST(NarrowToFloat, RoundsAsAScalarCastAtEveryLength) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (size_t n = 0; n <= 40; ++n) {
    std::vector<double> src(n);
    for (size_t i = 0; i < n; ++i) src[i] = unit(rng) * std::pow(10.0, static_cast<int>(i % 70) - 35);
    if (n > 3) src[3] = FLT_MAX;              // the largest that fits
    if (n > 5) src[5] = -static_cast<double>(FLT_MAX);
    if (n > 9) src[9] = 5e-324;               // rounds to zero
    if (n > 11) src[11] = 1.0000000596046448;  // halfway between two floats: to even
    std::vector<float> dst(n, -7.0f);
    ASSERT_TRUE(NarrowToFloat(src.data(), n, dst.data())) << n;
    for (size_t i = 0; i < n; ++i) {
      float want = static_cast<float>(src[i]);
      EXPECT_EQ(std::memcmp(&dst[i], &want, sizeof want), 0) << "n " << n << " i " << i << ": " << dst[i] << " vs " << want;
    }
  }
}

TEST(NarrowToFloat, NonFiniteOrTooLargeAnywhereIsFalse) {
  const double bad[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity(), 3.5e38, -1e300, DBL_MAX};
  for (size_t n : {1u, 7u, 8u, 9u, 16u, 21u}) {
    for (size_t at = 0; at < n; ++at) {
      for (double b : bad) {
        std::vector<double> src(n, 0.25);
        src[at] = b;
        std::vector<float> dst(n);
        EXPECT_FALSE(NarrowToFloat(src.data(), n, dst.data())) << "n " << n << " at " << at << " value " << b;
      }
    }
  }
}

}  // namespace
}  // namespace cm
