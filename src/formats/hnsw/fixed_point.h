// Fixed-point copies of a collection's vectors for building its HNSW graph faster.
//
// hnswlib spends most of a build reading vectors it compares with the one being inserted. A
// graph built on 16-bit fixed-point copies (x · scale, rounded) reads half the bytes of float32
// and compares them with integer multiply-adds; the segment written afterwards holds the exact
// float32 vectors again (HnswBuilder), so only the choice of neighbours can differ, and then
// only between candidates whose distances differ by less than the rounding (docs/performance.md,
// "Fixed-point construction"). Measured with bench/quant_study: the same recall@10 as a float32 build.
//
// The scale is chosen from the whole collection (FixedPointStats, fed before the build starts):
//   * every component fits in int16 (L2: half of it, so a difference does too);
//   * every sum the kernels accumulate in int32 stays below 2^31 (by Cauchy–Schwarz from the
//     largest norm), so nothing overflows whatever the vectors;
//   * the rounding noise (dim / (12 · scale²), uniform rounding) is at most kMaxNoiseRatio of the
//     vectors' total variance; a collection spread too little for that is built in float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/collection.h"
#include "formats/hnsw/fixed_point_kernels.h"

namespace cm {

inline constexpr double kMaxNoiseRatio = 1e-5;

// Accumulates the statistics that choose the scale. Vectors are given as the graph stores them
// (unit-normalised for cosine). One thread.
class FixedPointStats {
 public:
  explicit FixedPointStats(size_t dim) : dim_(dim), sum_(dim, 0.0) {}
  void Add(const float* v) { AddRows(v, 1); }
  // Add of `rows` consecutive vectors (rows × dim), in order: the same statistics bit for bit,
  // with four vectors' norms summed side by side (each a chain of dependent additions).
  void AddRows(const float* v, size_t rows);
  // The scale for `space`, or nullopt when the vectors need float32 (none given, a non-finite
  // component, no spread, or too little spread for the rounding: see above).
  std::optional<float> Scale(Space space) const;

  double max_abs() const { return max_abs_; }
  // Total variance: mean squared distance from the mean vector.
  double variance() const;

 private:
  // The per-vector part of AddRows, given its squared norm.
  void AddOne(const float* v, double norm_sq);

  size_t dim_;
  size_t count_ = 0;
  bool finite_ = true;
  double max_abs_ = 0, max_norm_sq_ = 0, sum_sq_ = 0;
  std::vector<double> sum_;
};

// round(v · scale) into `out` (the scale guarantees the range).
void QuantizeFixedPoint(const float* v, size_t dim, float scale, int16_t* out);
// FixedPointDot and FixedPointL2Sq, Σ a·b and Σ (a−b)² over the copies: fixed_point_kernels.h.

}  // namespace cm
