// What building the graph on 8-bit copies would give, and why the tool does not
// (docs/performance.md, "Fixed-point construction"): builds each seed's random order twice with hnswlib alone (cosine,
// M 16, ef_construction 100, the given threads), in float32 as bench/hnsw_floor does and on int8
// copies of the unit-normalised vectors at 127 / max |x| (optionally COARSEN times coarser, to see
// how much rounding the graph tolerates; the noise/variance ratio printed is the one
// FixedPointStats bounds at 16 bits), times both, puts the exact float32 vectors back under the
// int8 build's graph and queries both float32 graphs (ef 100) with bench/recall_study.py's queries
// (or a floor.json's). The tool's own 16-bit build is bench/quant_study's.
//
// usage: int8_study LEGACY_DIR QUERIES.json SEED_FROM SEED_TO [THREADS [COARSEN]]
#include <fmt/format.h>
#include <hnswlib/hnswlib.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "formats/hnsw/fixed_point.h"
#include "legacy_vectors.h"
#include "parallel_for.h"

namespace {

struct QuantParam {
  size_t dim;
  float inv_scale_sq;
};

float Int8IpDistance(const void* a, const void* b, const void* param) {
  const auto* p = static_cast<const QuantParam*>(param);
  const auto* x = static_cast<const int8_t*>(a);
  const auto* y = static_cast<const int8_t*>(b);
  size_t d = p->dim, i = 0;
  int32_t sum = 0;
#if defined(__AVX2__)
  __m256i acc = _mm256_setzero_si256();
  for (; i + 16 <= d; i += 16) {
    __m256i xa = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    __m256i yb = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(xa, yb));
  }
  sum = cm::HorizontalSum(acc);
#endif
  for (; i < d; ++i) sum += int32_t{x[i]} * int32_t{y[i]};
  return 1.0f - static_cast<float>(sum) * p->inv_scale_sq;
}

class Int8IpSpace final : public hnswlib::SpaceInterface<float> {
 public:
  Int8IpSpace(size_t dim, float scale) : param_{dim, 1.0f / (scale * scale)} {}
  size_t get_data_size() override { return param_.dim; }
  hnswlib::DISTFUNC<float> get_dist_func() override { return Int8IpDistance; }
  void* get_dist_func_param() override { return &param_; }

 private:
  QuantParam param_;
};

using Clock = std::chrono::steady_clock;

template <class Fn>
double Timed(Fn fn) {
  auto t0 = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  cm::bench::StudyInput in;
  const char* usage = "int8_study LEGACY_DIR QUERIES.json SEED_FROM SEED_TO [THREADS [COARSEN]]";
  if (int rc = cm::bench::LoadStudyInput(argc, argv, 1, usage, &in)) return rc;
  const cm::bench::LegacyVectors& v = in.vectors;
  const cm::FixedPointStats& stats = in.stats;
  const cm::bench::RecallQueries& queries = in.queries;
  const size_t dim = v.dim, rows = v.rows(), threads = in.threads;
  const float scale = static_cast<float>(127.0 / stats.max_abs()) / (argc == 7 ? std::stof(argv[6]) : 1.0f);
  std::vector<int8_t> q8(v.data.size());
  for (size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<int8_t>(std::clamp(std::lrint(v.data[i] * scale), -127L, 127L));
  double noise = static_cast<double>(dim) / (12.0 * scale * scale);
  fmt::print("int8: max |x| {:.4f}, scale {:.1f}, variance {:.4f}, noise/variance {:.2e}\n", stats.max_abs(), scale,
             stats.variance(), noise / stats.variance());

  hnswlib::InnerProductSpace fspace(dim);
  Int8IpSpace space8(dim, scale);
  for (int seed = in.seed_from; seed <= in.seed_to; ++seed) {
    const std::vector<size_t> order = cm::bench::StudyOrder(rows, seed);

    hnswlib::HierarchicalNSW<float> fix(&fspace, rows, 16, 100, static_cast<size_t>(seed));
    double tf = Timed([&] {
      cm::bench::ParallelFor(rows, threads, [&](size_t i) { fix.addPoint(v.data.data() + order[i] * dim, order[i]); });
    });
    double rf = cm::bench::RecallAt10(fix, queries);

    hnswlib::HierarchicalNSW<float> qix(&space8, rows, 16, 100, static_cast<size_t>(seed));
    double tq = Timed([&] {
      cm::bench::ParallelFor(rows, threads, [&](size_t i) { qix.addPoint(q8.data() + order[i] * dim, order[i]); });
    });
    // The same graph over the float vectors.
    hnswlib::HierarchicalNSW<float> cix(&fspace, rows, 16, 100, static_cast<size_t>(seed));
    double tc = Timed([&] {
      size_t n = qix.cur_element_count;
      for (size_t i = 0; i < n; ++i) {
        char* src = qix.data_level0_memory_ + i * qix.size_data_per_element_;
        char* dst = cix.data_level0_memory_ + i * cix.size_data_per_element_;
        std::memcpy(dst, src, qix.size_links_level0_);
        hnswlib::labeltype label;
        std::memcpy(&label, src + qix.label_offset_, sizeof label);
        std::memcpy(dst + cix.offsetData_, v.data.data() + label * dim, dim * sizeof(float));
        std::memcpy(dst + cix.label_offset_, &label, sizeof label);
        cix.label_lookup_[label] = static_cast<hnswlib::tableint>(i);
        cix.element_levels_[i] = qix.element_levels_[i];
        if (qix.element_levels_[i] > 0) {
          size_t sz = qix.size_links_per_element_ * static_cast<size_t>(qix.element_levels_[i]);
          cix.linkLists_[i] = static_cast<char*>(std::malloc(sz));
          std::memcpy(cix.linkLists_[i], qix.linkLists_[i], sz);
        }
      }
      cix.cur_element_count = n;
      cix.maxlevel_ = qix.maxlevel_;
      cix.enterpoint_node_ = qix.enterpoint_node_;
    });
    double rq = cm::bench::RecallAt10(cix, queries);
    // "after" is the in-memory float32 copy; the speed-up is of the builds alone.
    fmt::print("seed {}: float32 {:.2f} s recall {:.4f} | int8 {:.2f} s (+{:.2f} s after) recall {:.4f} | "
               "speed-up {:.2f}\n", seed, tf, rf, tq, tc, rq, tf / tq);
    std::fflush(stdout);
  }
  return 0;
}
