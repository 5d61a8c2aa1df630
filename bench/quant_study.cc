// Why the graph is built on 16-bit fixed-point copies (formats/hnsw/fixed_point.h): builds each
// seed's random order twice through the tool's HnswBuilder (cosine, M 16, ef_construction 100,
// the given threads): in float32 (hnswlib's inner-product space over the unit-normalised vectors,
// as bench/hnsw_floor builds) and on int16 copies at FixedPointStats' scale, as the persist-dir
// writer does. The int16 build's segment is written by WriteChromaSegment (the exact vectors
// asked back by label) and loaded back into hnswlib, as `verify` loads it; both graphs, each over
// the exact float32 vectors, are queried (ef 100) with bench/recall_study.py's queries (or a
// floor.json's). 8 bits: bench/int8_study.
//
// usage: quant_study LEGACY_DIR QUERIES.json SEED_FROM SEED_TO [THREADS]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/hnsw_builder.h"
#include "formats/hnsw/segment_files.h"
#include "io/fs_util.h"
#include "io/mapped_file.h"
#include "legacy_vectors.h"
#include "parallel_for.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Build {
  double build_s = 0, after_s = 0;
  std::unique_ptr<cm::HnswIndex> index;
};

// Inserts the rows in `order` (label = row + 1) from `threads` threads. With a scale, the graph
// is built on int16 copies and then written as a Chroma segment into `dir` and loaded back (the
// time it takes is after_s); without, it is hnswlib's float32 build, searched as built.
std::optional<Build> BuildGraph(const cm::bench::LegacyVectors& v, const std::vector<size_t>& order, float scale,
                                size_t threads, uint64_t seed, const std::string& dir) {
  const size_t dim = v.dim, rows = v.rows();
  auto builder = cm::HnswBuilder::Create(dim, rows, cm::bench::StudyBuildOptions(v, scale, seed));
  if (!builder.ok()) {
    fmt::print(stderr, "{}\n", builder.status().ToString());
    return std::nullopt;
  }
  std::atomic<bool> failed{false};
  Build b;
  auto t0 = Clock::now();
  cm::bench::ParallelFor(rows, threads, [&](size_t i) {
    if (!(*builder)->Add(v.data.data() + order[i] * dim, order[i] + 1).ok()) failed = true;
  });
  b.build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failed) {
    fmt::print(stderr, "HnswBuilder::Add failed\n");
    return std::nullopt;
  }
  if (scale == 0) {
    b.index = (*builder)->Finish();
    return b;
  }
  t0 = Clock::now();
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
  b.after_s = std::chrono::duration<double>(Clock::now() - t0).count();
  (void)cm::RemoveTree(dir);
  if (!written.ok()) {
    fmt::print(stderr, "{}\n", written.status().ToString());
    return std::nullopt;
  }
  b.index = std::move(*written);
  return b;
}

double Recall(const cm::HnswIndex& index, const cm::bench::RecallQueries& queries) {
  // The labels are rows + 1.
  return cm::bench::RecallAt10Of(
      [&](const std::vector<float>& query) {
        std::vector<size_t> rows_found;
        for (const auto& [distance, label] : index.Search(query.data(), 10, 100)) rows_found.push_back(label - 1);
        return rows_found;
      },
      queries);
}

}  // namespace

int main(int argc, char** argv) {
  cm::bench::StudyInput in;
  const char* usage = "quant_study LEGACY_DIR QUERIES.json SEED_FROM SEED_TO [THREADS]";
  if (int rc = cm::bench::LoadStudyInput(argc, argv, 0, usage, &in)) return rc;
  const cm::bench::LegacyVectors& v = in.vectors;
  const cm::FixedPointStats& stats = in.stats;
  const cm::bench::RecallQueries& queries = in.queries;
  const size_t dim = v.dim, rows = v.rows(), threads = in.threads;
  std::optional<float> scale = stats.Scale(cm::Space::kCosine);
  if (!scale) {
    std::fprintf(stderr, "these vectors do not fit 16-bit fixed point closely enough\n");
    return 1;
  }
  double noise = static_cast<double>(dim) / (12.0 * *scale * *scale);
  fmt::print("int16: max |x| {:.4f}, scale {:.1f}, variance {:.4f}, noise/variance {:.2e}\n", stats.max_abs(), *scale,
             stats.variance(), noise / stats.variance());

  const std::string segment_dir = fmt::format("{}/quant_study_segment_{}", cm::TempDir(), getpid());
  for (int seed = in.seed_from; seed <= in.seed_to; ++seed) {
    const std::vector<size_t> order = cm::bench::StudyOrder(rows, seed);
    std::optional<Build> f = BuildGraph(v, order, 0, threads, static_cast<uint64_t>(seed), segment_dir);
    if (!f) return 1;
    double rf = Recall(*f->index, queries);
    f.reset();
    std::optional<Build> q = BuildGraph(v, order, *scale, threads, static_cast<uint64_t>(seed), segment_dir);
    if (!q) return 1;
    // "after" is writing the int16 build's segment and loading it back; the speed-up is of the
    // builds alone.
    fmt::print("seed {}: float32 {:.2f} s recall {:.4f} | int16 {:.2f} s (+{:.2f} s after) recall {:.4f} | "
               "speed-up {:.2f}\n", seed, f->build_s, rf, q->build_s, q->after_s, Recall(*q->index, queries),
               f->build_s / q->build_s);
    std::fflush(stdout);
  }
  return 0;
}
