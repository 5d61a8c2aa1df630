#include "sinks/spatial_order.h"

#include <algorithm>
#include <array>
#include <random>

namespace cm {

SpatialOrder::SpatialOrder(size_t dim, uint64_t seed, size_t expected) : dim_(dim), directions_(dim * kDirections) {
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15);  // not the permutation's stream
  std::normal_distribution<float> gauss;
  for (float& x : directions_) x = gauss(rng);
  projections_.reserve(expected * kDirections);
}

void SpatialOrder::AddRows(const uint64_t* labels, const float* vectors, size_t rows) {
  // G vectors' projections, each summed over the dimensions in order.
  auto project = [&]<size_t G>(size_t r) {
    std::array<std::array<float, kDirections>, G> p{};
    const float* x = vectors + r * dim_;
    for (size_t d = 0; d < dim_; ++d) {
      const float* dir = &directions_[d * kDirections];
      for (size_t g = 0; g < G; ++g) {
        for (size_t k = 0; k < kDirections; ++k) p[g][k] += x[g * dim_ + d] * dir[k];
      }
    }
    for (size_t g = 0; g < G; ++g) {
      const size_t at = (labels[r + g] - 1) * kDirections;
      if (projections_.size() < at + kDirections) projections_.resize(at + kDirections);  // grows geometrically
      std::copy(p[g].begin(), p[g].end(), projections_.begin() + static_cast<ptrdiff_t>(at));
    }
  };
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) project.operator()<4>(r);
  for (; r < rows; ++r) project.operator()<1>(r);
}

void SpatialOrder::Arrange(std::vector<uint32_t>* order, size_t head, size_t streams, size_t run) const {
  const size_t n = order->size();
  if (head >= n || projections_.size() < n * kDirections) return;
  streams = std::max<size_t>(streams, 1);
  run = std::max<size_t>(run, 1);
  // The median of each direction's projections.
  std::array<float, kDirections> median{};
  std::vector<float> column(n);
  for (size_t k = 0; k < kDirections; ++k) {
    for (size_t i = 0; i < n; ++i) column[i] = projections_[i * kDirections + k];
    std::nth_element(column.begin(), column.begin() + static_cast<ptrdiff_t>(n / 2), column.end());
    median[k] = column[n / 2];
  }
  std::vector<uint16_t> keys(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = 0;
    for (size_t k = 0; k < kDirections; ++k) bits = bits << 1 | (projections_[i * kDirections + k] > median[k] ? 1u : 0u);
    keys[i] = static_cast<uint16_t>(bits);
  }
  auto key = [&](uint32_t label) { return keys[label - 1]; };

  std::vector<uint32_t> count((size_t{1} << kDirections) + 1);
  std::vector<uint32_t> sorted;
  for (size_t begin = head; begin < n;) {
    const size_t end = std::min(n, std::max(begin + 1, 2 * begin));
    // The round sorted by key: a counting sort, stable and linear.
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = begin; i < end; ++i) ++count[key((*order)[i]) + 1];
    for (size_t b = 1; b < count.size(); ++b) count[b] += count[b - 1];
    sorted.resize(end - begin);
    for (size_t i = begin; i < end; ++i) sorted[count[key((*order)[i])]++] = (*order)[i];
    // Woven back: part s is sorted[s × part, (s + 1) × part).
    const size_t len = sorted.size(), part = (len + streams - 1) / streams;
    auto out = order->begin() + static_cast<ptrdiff_t>(begin);
    for (size_t offset = 0; offset < part; offset += run) {
      for (size_t s = 0; s < streams; ++s) {
        const size_t from = s * part + offset, to = std::min({from + run, (s + 1) * part, len});
        for (size_t i = from; i < to; ++i) *out++ = sorted[i];
      }
    }
    begin = end;
  }
}

}  // namespace cm
