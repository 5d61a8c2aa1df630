// GraphInserter (formats/hnsw/graph_insert.h) against hnswlib's own addPoint, the graph alone:
// for each seed, the same records in the tool's order (SpatialOrder over the seed's random
// permutation, two parts per thread, 64 records a turn) are inserted into an int16 fixed-point
// graph (cosine, M 16, ef_construction 100, the tool's HnswBuilder) both ways, the two in turn
// (which goes first alternates by seed), and each graph is queried (ef 100, on its int16 copies)
// with bench/recall_study.py's queries (or a floor.json's). docs/performance.md, "Graph insertion".
//
// usage: insert_study LEGACY_DIR QUERIES.json SEED_FROM SEED_TO [THREADS]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/hnsw_builder.h"
#include "legacy_vectors.h"
#include "parallel_for.h"
#include "sinks/spatial_order.h"

namespace {

using Clock = std::chrono::steady_clock;

// Labels (rows + 1) in the tool's spatial order for `seed`.
std::vector<uint32_t> ToolOrder(const cm::bench::LegacyVectors& v, int seed, size_t threads) {
  std::vector<uint32_t> order;
  for (size_t row : cm::bench::StudyOrder(v.rows(), seed)) order.push_back(static_cast<uint32_t>(row + 1));
  cm::SpatialOrder spatial(v.dim, static_cast<uint64_t>(seed), v.rows());
  for (size_t row = 0; row < v.rows(); ++row) spatial.Add(row + 1, v.data.data() + row * v.dim);
  spatial.Arrange(&order, cm::SpatialOrder::HeadOf(order.size()), 2 * threads, 64);
  return order;
}

struct Build {
  double seconds = 0;
  double recall = 0;
};

std::optional<Build> BuildGraph(const cm::bench::StudyInput& in, const std::vector<uint32_t>& order, float scale,
                                bool hnswlib, int seed) {
  const cm::bench::LegacyVectors& v = in.vectors;
  const size_t dim = v.dim;
  cm::HnswBuildOptions o = cm::bench::StudyBuildOptions(v, scale, static_cast<uint64_t>(seed));
  o.hnswlib_insertion = hnswlib;
  auto builder = cm::HnswBuilder::Create(dim, v.rows(), o);
  if (!builder.ok()) {
    fmt::print(stderr, "{}\n", builder.status().ToString());
    return std::nullopt;
  }
  std::atomic<bool> failed{false};
  const auto t0 = Clock::now();
  // In turns of 64, as the tool's IndexFeeder hands chunks to its graph threads.
  const size_t turns = (order.size() + 63) / 64;
  cm::bench::ParallelFor(turns, in.threads, [&](size_t t) {
    for (size_t i = t * 64; i < std::min(order.size(), t * 64 + 64); ++i) {
      if (!(*builder)->Add(v.data.data() + (order[i] - 1) * dim, order[i]).ok()) failed = true;
    }
  });
  Build b;
  b.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failed) {
    fmt::print(stderr, "HnswBuilder::Add failed\n");
    return std::nullopt;
  }
  std::unique_ptr<cm::HnswIndex> index = (*builder)->Finish();
  b.recall = cm::bench::RecallAt10Of(
      [&](const std::vector<float>& query) {
        std::vector<size_t> rows;
        for (const auto& [distance, label] : index->Search(query.data(), 10, 100)) rows.push_back(label - 1);
        return rows;
      },
      in.queries);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  cm::bench::StudyInput in;
  const char* usage = "insert_study LEGACY_DIR QUERIES.json SEED_FROM SEED_TO [THREADS]";
  if (int rc = cm::bench::LoadStudyInput(argc, argv, 0, usage, &in)) return rc;
  std::optional<float> scale = in.stats.Scale(cm::Space::kCosine);
  if (!scale) {
    std::fprintf(stderr, "these vectors do not fit 16-bit fixed point closely enough\n");
    return 1;
  }
  for (int seed = in.seed_from; seed <= in.seed_to; ++seed) {
    const std::vector<uint32_t> order = ToolOrder(in.vectors, seed, in.threads);
    std::optional<Build> ours, theirs;
    for (int turn = 0; turn < 2; ++turn) {
      const bool hnswlib = (turn == 0) == (seed % 2 == 0);
      std::optional<Build>& b = hnswlib ? theirs : ours;
      b = BuildGraph(in, order, *scale, hnswlib, seed);
      if (!b) return 1;
    }
    fmt::print("seed {}: hnswlib addPoint {:.2f} s recall {:.4f} | GraphInserter {:.2f} s recall {:.4f} | "
               "speed-up {:.2f}\n", seed, theirs->seconds, theirs->recall, ours->seconds, ours->recall,
               theirs->seconds / ours->seconds);
    std::fflush(stdout);
  }
  return 0;
}
