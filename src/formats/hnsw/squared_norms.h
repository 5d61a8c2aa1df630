// Σ x² of consecutive vectors, in double, each summed in one chain of additions in component
// order. The order fixes the result, so a vector gets the same bits whether it is summed alone
// or beside others; kCount vectors' chains run side by side (one chain alone leaves the core
// waiting on each addition). Shared by the cosine normalisation and the fixed-point statistics.
#pragma once

#include <cstddef>

namespace cm {

// How many vectors the callers' row forms sum side by side.
inline constexpr size_t kNormsTogether = 4;

// sums[k] = Σ x[k · dim + j]², for k < kCount.
template <size_t kCount>
inline void SquaredNorms(const float* x, size_t dim, double* sums) {
  for (size_t k = 0; k < kCount; ++k) sums[k] = 0;
  for (size_t j = 0; j < dim; ++j) {
    for (size_t k = 0; k < kCount; ++k) sums[k] += static_cast<double>(x[k * dim + j]) * x[k * dim + j];
  }
}

}  // namespace cm
