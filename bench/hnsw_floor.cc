// The floor for the persist-dir path: build the same HNSW graph with hnswlib alone, on the same
// vectors and threads, with nothing else (no SQLite, no files). Also computes exact top-k
// neighbours for a query set so bench/run_bench.py can measure recall of any index.
//
// usage: hnsw_floor LEGACY_DIR SPACE THREADS QUERIES OUT.json [--queries-only]
// Reading the parquet (our reader) is not timed; only the graph build is. --queries-only skips
// the graph (a recall study wants only the queries and their exact neighbours): no build time,
// no floor recall in OUT.json.
#include <fmt/format.h>
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "legacy_vectors.h"
#include "parallel_for.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const bool queries_only = argc == 7 && std::string(argv[6]) == "--queries-only";
  if (argc != 6 && !queries_only) {
    std::fprintf(stderr, "usage: hnsw_floor LEGACY_DIR SPACE THREADS QUERIES OUT.json [--queries-only]\n");
    return 2;
  }
  std::string dir = argv[1], space = argv[2];
  size_t threads = std::stoul(argv[3]), queries = std::stoul(argv[4]);
  cm::bench::LegacyVectors loaded;
  if (!cm::bench::LoadLegacyVectors(dir, &loaded)) return 1;
  const std::vector<float>& data = loaded.data;
  const auto& id_values = loaded.ids;
  size_t dim = loaded.dim;
  size_t rows = data.size() / dim;
  std::vector<float> norms(rows, 1.0f);
  if (space == "cosine") {
    for (size_t r = 0; r < rows; ++r) {
      double s = 0;
      for (size_t j = 0; j < dim; ++j) s += static_cast<double>(data[r * dim + j]) * data[r * dim + j];
      norms[r] = static_cast<float>(std::sqrt(s));
    }
  }
  std::unique_ptr<hnswlib::SpaceInterface<float>> sp;
  if (space == "l2") sp = std::make_unique<hnswlib::L2Space>(dim);
  else sp = std::make_unique<hnswlib::InnerProductSpace>(dim);

  auto t0 = std::chrono::steady_clock::now();
  hnswlib::HierarchicalNSW<float> index(sp.get(), queries_only ? 1 : rows, 16, 100, 100);
  cm::bench::ParallelFor(queries_only ? 0 : rows, threads, [&](size_t r) {
    thread_local std::vector<float> buf;
    const float* v = data.data() + r * dim;
    if (space == "cosine") {
      buf.resize(dim);
      for (size_t j = 0; j < dim; ++j) buf[j] = v[j] / (norms[r] + 1e-30f);
      v = buf.data();
    }
    index.addPoint(v, r + 1);
  });
  double build = Seconds(t0);

  // Query set: stored vectors plus small noise (drawn in query order, so a set is the same
  // whatever the threads); exact top-10 by brute force, the queries spread over the threads,
  // each distance hnswlib's own (its SIMD kernels) as the floor's graph compares them.
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  std::vector<std::vector<float>> query_vectors(queries);
  for (size_t q = 0; q < queries; ++q) {
    size_t base = (q * 7919) % rows;
    query_vectors[q].assign(data.begin() + static_cast<long>(base * dim), data.begin() + static_cast<long>((base + 1) * dim));
    for (float& x : query_vectors[q]) x += noise(rng);
  }
  hnswlib::DISTFUNC<float> dist = sp->get_dist_func();
  void* dist_param = sp->get_dist_func_param();
  std::vector<std::vector<size_t>> exact(queries), found(queries);
  index.setEf(100);
  cm::bench::ParallelFor(queries, threads, [&](size_t q) {
    const std::vector<float>& query = query_vectors[q];
    float qn = 0;
    for (float x : query) qn += x * x;
    qn = std::sqrt(qn);
    std::vector<std::pair<float, size_t>> d(rows);
    for (size_t r = 0; r < rows; ++r) {
      float acc = dist(data.data() + r * dim, query.data(), dist_param);  // L2²; or 1 − dot
      if (space == "cosine") acc = 1 - (1 - acc) / (norms[r] * qn + 1e-30f);
      d[r] = {acc, r};
    }
    std::partial_sort(d.begin(), d.begin() + 10, d.end());
    for (int k = 0; k < 10; ++k) exact[q].push_back(d[k].second);
    if (queries_only) return;
    std::vector<float> nq = query;
    if (space == "cosine") for (float& x : nq) x /= qn;
    auto res = index.searchKnn(nq.data(), 10);
    while (!res.empty()) { found[q].push_back(res.top().second - 1); res.pop(); }
  });
  std::string out = fmt::format("{{\"records\":{},\"dim\":{},\"threads\":{},\"build_seconds\":{:.4f},\"queries\":[", rows, dim,
                                threads, build);
  size_t hits = 0;
  for (size_t q = 0; q < queries; ++q) {
    for (size_t e : exact[q]) hits += std::count(found[q].begin(), found[q].end(), e);
    out += fmt::format("{}{{\"vector\":[", q ? "," : "");
    for (size_t j = 0; j < dim; ++j) out += fmt::format("{}{}", j ? "," : "", query_vectors[q][j]);
    out += "],\"exact\":[";
    for (int k = 0; k < 10; ++k) out += fmt::format("{}\"{}\"", k ? "," : "", id_values[exact[q][k]].value_or(""));
    out += "]}";
  }
  if (queries_only) {
    out += "]}\n";
  } else {
    out += fmt::format("],\"floor_recall\":{:.4f}}}\n", queries ? static_cast<double>(hits) / static_cast<double>(queries * 10) : 0.0);
  }
  std::ofstream(argv[5]) << out;
  if (queries_only) {
    std::printf("hnsw_floor: %zu queries' exact neighbours among %zu x %zu\n", queries, rows, dim);
  } else {
    std::printf("hnswlib floor: %zu x %zu built in %.3f s on %zu threads\n", rows, dim, build, threads);
  }
  return 0;
}
