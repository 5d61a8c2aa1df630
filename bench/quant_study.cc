// Why the graph is built on 16-bit fixed-point copies (formats/hnsw/fixed_point.h) and not 8-bit
// ones: builds each seed twice, in float32 with hnswlib alone (as bench/hnsw_floor does) and on
// quantised copies of the unit-normalised vectors (cosine, M 16, ef_construction 100, a random
// insertion order, the given threads), times both, puts the exact float32 vectors back under the
// quantised build's graph and queries both float32 graphs (ef 100) with bench/recall_study.py's
// queries (or a floor.json's).
//   16  the tool's own path: HnswBuilder with FixedPointStats' scale, its segment written by
//       WriteChromaSegment (the exact vectors asked back by label) and loaded back into hnswlib,
//       as the persist-dir writer and `verify` do;
//   8   int8 at 127 / max |x| with hnswlib alone (the tool has no 8-bit build), optionally
//       COARSEN times coarser, to see how much rounding the graph tolerates (the noise/variance
//       ratio printed is the one FixedPointStats bounds).
//
// usage: quant_study LEGACY_DIR QUERIES.json BITS SEED_FROM SEED_TO [THREADS [COARSEN]]
#include <fmt/format.h>
#include <hnswlib/hnswlib.h>
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "formats/hnsw/cosine.h"
#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/hnsw_builder.h"
#include "formats/hnsw/segment_files.h"
#include "io/fs_util.h"
#include "io/mapped_file.h"
#include "legacy_vectors.h"

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
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_hadd_epi32(s, s);
  s = _mm_hadd_epi32(s, s);
  sum = _mm_cvtsi128_si32(s);
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
double Parallel(size_t rows, size_t threads, Fn fn) {
  auto t0 = Clock::now();
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < rows;) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The int16 build the tool makes: HnswBuilder on FixedPointStats' scale, inserting rows in
// `order` (label = row + 1) from `threads` threads; then its Chroma segment, written into `dir`
// with the exact vectors asked back by label, re-assembled into hnswlib's single-file layout and
// loaded, as `verify` loads a destination's graph. Null (with a message) on any failure.
struct ToolBuild {
  double build_s = 0, write_s = 0;
  std::unique_ptr<cm::HnswIndex> index;
};

std::optional<ToolBuild> BuildWithTool(const cm::bench::LegacyVectors& v, const std::vector<size_t>& order, float scale,
                                       size_t threads, uint64_t seed, const std::string& dir) {
  const size_t dim = v.dim, rows = v.rows();
  cm::HnswBuildOptions o;
  o.space = cm::Space::kCosine;
  o.max_neighbors = 16;
  o.ef_construction = 100;
  o.seed = seed;
  o.fixed_point_scale = scale;
  o.exact_vectors = [&v, dim](const uint64_t* labels, size_t n, float* out) {
    for (size_t i = 0; i < n; ++i) std::memcpy(out + i * dim, v.data.data() + (labels[i] - 1) * dim, dim * sizeof(float));
    return cm::Status::Ok();
  };
  auto builder = cm::HnswBuilder::Create(dim, rows, o);
  if (!builder.ok()) {
    fmt::print(stderr, "{}\n", builder.status().ToString());
    return std::nullopt;
  }
  std::atomic<bool> failed{false};
  ToolBuild b;
  b.build_s = Parallel(rows, threads, [&](size_t i) {
    if (!(*builder)->Add(v.data.data() + order[i] * dim, order[i] + 1).ok()) failed = true;
  });
  if (failed) {
    fmt::print(stderr, "HnswBuilder::Add failed\n");
    return std::nullopt;
  }
  auto t0 = Clock::now();
  auto written = [&]() -> cm::Result<std::unique_ptr<cm::HnswIndex>> {
    CM_RETURN_IF_ERROR(cm::RemoveTree(dir));
    CM_RETURN_IF_ERROR(cm::MakeDir(dir));
    CM_RETURN_IF_ERROR((*builder)->Finish()->WriteChromaSegment(dir));
    CM_ASSIGN_OR_RETURN(cm::MappedFile header, cm::MappedFile::Open(dir + "/header.bin"));
    CM_ASSIGN_OR_RETURN(cm::MappedFile level0, cm::MappedFile::Open(dir + "/data_level0.bin"));
    CM_ASSIGN_OR_RETURN(cm::MappedFile links, cm::MappedFile::Open(dir + "/link_lists.bin"));
    const std::string stock = dir + "/stock.bin";
    CM_RETURN_IF_ERROR(cm::WriteStockFile(stock, header.bytes(), level0.bytes(), links.bytes()));
    return cm::HnswIndex::LoadStockFile(stock, dim, cm::Space::kCosine);
  }();
  b.write_s = std::chrono::duration<double>(Clock::now() - t0).count();
  (void)cm::RemoveTree(dir);
  if (!written.ok()) {
    fmt::print(stderr, "{}\n", written.status().ToString());
    return std::nullopt;
  }
  b.index = std::move(*written);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6 || argc > 8 || (std::string(argv[3]) != "8" && std::string(argv[3]) != "16")) {
    std::fprintf(stderr, "usage: quant_study LEGACY_DIR QUERIES.json 8|16 SEED_FROM SEED_TO [THREADS [COARSEN]]\n");
    return 2;
  }
  const int bits = std::stoi(argv[3]);
  int seed_from = std::stoi(argv[4]), seed_to = std::stoi(argv[5]);
  size_t threads = argc >= 7 ? std::stoul(argv[6]) : 2;
  cm::bench::LegacyVectors v;
  if (!cm::bench::LoadLegacyVectors(argv[1], &v)) return 1;
  size_t dim = v.dim, rows = v.rows();
  for (size_t r = 0; r < rows; ++r) cm::NormalizeForCosine(v.data.data() + r * dim, dim, v.data.data() + r * dim);
  cm::FixedPointStats stats(dim);
  for (size_t r = 0; r < rows; ++r) stats.Add(v.data.data() + r * dim);
  float scale;
  std::vector<int8_t> q8;
  if (bits == 16) {
    std::optional<float> s = stats.Scale(cm::Space::kCosine);
    if (!s) {
      std::fprintf(stderr, "these vectors do not fit 16-bit fixed point closely enough\n");
      return 1;
    }
    scale = *s;
  } else {
    scale = static_cast<float>(127.0 / stats.max_abs()) / (argc == 8 ? std::stof(argv[7]) : 1.0f);
    q8.resize(v.data.size());
    for (size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<int8_t>(std::clamp(std::lrint(v.data[i] * scale), -127L, 127L));
  }
  double noise = static_cast<double>(dim) / (12.0 * scale * scale);
  fmt::print("int{}: max |x| {:.4f}, scale {:.1f}, variance {:.4f}, noise/variance {:.2e}\n", bits, stats.max_abs(), scale,
             stats.variance(), noise / stats.variance());

  const cm::bench::RecallQueries queries = cm::bench::LoadRecallQueries(argv[2], v);
  const std::string segment_dir = fmt::format("{}/quant_study_segment_{}", cm::TempDir(), getpid());

  hnswlib::InnerProductSpace fspace(dim);
  Int8IpSpace space8(dim, scale);
  for (int seed = seed_from; seed <= seed_to; ++seed) {
    std::mt19937_64 rng(1000 + static_cast<uint64_t>(seed));
    std::vector<size_t> order(rows);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);

    hnswlib::HierarchicalNSW<float> fix(&fspace, rows, 16, 100, static_cast<size_t>(seed));
    double tf = Parallel(rows, threads, [&](size_t i) { fix.addPoint(v.data.data() + order[i] * dim, order[i]); });
    double rf = cm::bench::RecallAt10(fix, queries);

    double tq = 0, tc = 0, rq = 0;
    if (bits == 16) {
      std::optional<ToolBuild> b = BuildWithTool(v, order, scale, threads, static_cast<uint64_t>(seed), segment_dir);
      if (!b) return 1;
      tq = b->build_s;
      tc = b->write_s;
      // The tool's labels are rows + 1.
      rq = cm::bench::RecallAt10Of(
          [&](const std::vector<float>& query) {
            std::vector<size_t> rows_found;
            for (const auto& [distance, label] : b->index->Search(query.data(), 10, 100)) rows_found.push_back(label - 1);
            return rows_found;
          },
          queries);
    } else {
      hnswlib::HierarchicalNSW<float> qix(&space8, rows, 16, 100, static_cast<size_t>(seed));
      tq = Parallel(rows, threads, [&](size_t i) { qix.addPoint(q8.data() + order[i] * dim, order[i]); });
      // The same graph over the float vectors.
      auto t0 = Clock::now();
      hnswlib::HierarchicalNSW<float> cix(&fspace, rows, 16, 100, static_cast<size_t>(seed));
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
      tc = std::chrono::duration<double>(Clock::now() - t0).count();
      rq = cm::bench::RecallAt10(cix, queries);
    }
    // int16: the tool's build; "after" is writing its segment and loading it back. int8: the
    // in-memory float32 copy. The speed-up is of the builds alone.
    fmt::print("seed {}: float32 {:.2f} s recall {:.4f} | int{} {:.2f} s (+{:.2f} s after) recall {:.4f} | "
               "speed-up {:.2f}\n", seed, tf, rf, bits, tq, tc, rq, tf / tq);
    std::fflush(stdout);
  }
  return 0;
}
