// How much the order in which records enter an HNSW graph, and hnswlib's level seed, move its
// recall@10: builds the graph of a generated legacy directory with hnswlib alone (cosine, M 16,
// ef_construction 100, the given threads) once per seed, inserting the records in one of these
// orders, and queries each build with bench/recall_study.py's queries (ef 100):
//   stored           the order the directory stores them in (this tool's order);
//   request-shuffle  stored order, shuffled inside windows of 5,461 (Chroma 1.0.19's ingest: each
//                    /add request of max_batch_size records goes into the graph in hash-map order);
//   run-shuffle      runs of 64 stored records, the runs in a random order over the whole collection;
//   shuffle          a random order over the whole collection;
//   golden           stored position (offset + i * a) mod n, a the integer nearest n / phi that is
//                    coprime to n, offset random: every prefix is spread evenly over the stored
//                    order, and a source stored round-robin over P topics (P dividing n) still
//                    cycles through all P in every P insertions;
//   bitrev           stored position bit-reversed (k xor a random mask), positions >= n skipped:
//                    every prefix of 2^j insertions is one residue class modulo 2^(bits - j).
// A "grouped+" prefix first sorts the records by topic (bench_data.mjs stores them round-robin over
// 100 topics: record i is in topic i mod 100), as a source written topic by topic, or document by
// document, stores them.
//
// usage: order_study LEGACY_DIR QUERIES.json ORDER SEED_FROM SEED_TO [THREADS]
#include <fmt/format.h>
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "formats/hnsw/cosine.h"
#include "legacy_vectors.h"
#include "parallel_for.h"

namespace {

constexpr size_t kRequestRows = 5461;  // Chroma 1.0.19's max_batch_size
constexpr size_t kRunRows = 64;

// The insertion order of `rows` stored rows, or empty for an unknown name.
std::vector<size_t> Order(std::string name, size_t rows, std::mt19937_64& rng) {
  std::vector<size_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  if (name.rfind("grouped+", 0) == 0) {
    std::stable_sort(order.begin(), order.end(), [](size_t a, size_t b) { return a % 100 < b % 100; });
    name = name.substr(8);
  }
  if (name == "stored") return order;
  if (name == "request-shuffle") {
    for (size_t b = 0; b < rows; b += kRequestRows) {
      std::shuffle(order.begin() + static_cast<long>(b), order.begin() + static_cast<long>(std::min(rows, b + kRequestRows)), rng);
    }
    return order;
  }
  if (name == "run-shuffle") {
    std::vector<size_t> runs((rows + kRunRows - 1) / kRunRows);
    std::iota(runs.begin(), runs.end(), 0);
    std::shuffle(runs.begin(), runs.end(), rng);
    std::vector<size_t> out;
    for (size_t r : runs) {
      for (size_t i = r * kRunRows; i < std::min(rows, (r + 1) * kRunRows); ++i) out.push_back(order[i]);
    }
    return out;
  }
  if (name == "shuffle") {
    std::shuffle(order.begin(), order.end(), rng);
    return order;
  }
  if (name == "golden") {
    size_t a = static_cast<size_t>(static_cast<double>(rows) / 1.618033988749895 + 0.5);
    while (std::gcd(a, rows) != 1) ++a;
    size_t offset = rng() % rows;
    std::vector<size_t> out(rows);
    for (size_t i = 0; i < rows; ++i) out[i] = order[(offset + i * a) % rows];
    return out;
  }
  if (name == "bitrev") {
    int bits = 0;
    while ((size_t{1} << bits) < rows) ++bits;
    size_t mask = bits == 0 ? 0 : rng() & ((size_t{1} << bits) - 1);
    std::vector<size_t> out;
    out.reserve(rows);
    for (size_t k = 0; k < (size_t{1} << bits); ++k) {
      size_t x = k ^ mask, p = 0;
      for (int b = 0; b < bits; ++b) p |= ((x >> b) & 1) << (bits - 1 - b);
      if (p < rows) out.push_back(order[p]);
    }
    return out;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: order_study LEGACY_DIR QUERIES.json ORDER SEED_FROM SEED_TO [THREADS]\n");
    return 2;
  }
  std::string order_name = argv[3];
  int seed_from = std::stoi(argv[4]), seed_to = std::stoi(argv[5]);
  size_t threads = argc == 7 ? std::stoul(argv[6]) : std::max(1u, std::thread::hardware_concurrency());
  cm::bench::LegacyVectors v;
  if (!cm::bench::LoadLegacyVectors(argv[1], &v)) return 1;
  size_t dim = v.dim, rows = v.rows();
  for (size_t r = 0; r < rows; ++r) cm::NormalizeForCosine(v.data.data() + r * dim, dim, v.data.data() + r * dim);

  const cm::bench::RecallQueries queries = cm::bench::LoadRecallQueries(argv[2], v);

  hnswlib::InnerProductSpace space(dim);
  for (int seed = seed_from; seed <= seed_to; ++seed) {
    std::mt19937_64 rng(1000 + static_cast<uint64_t>(seed));
    std::vector<size_t> order = Order(order_name, rows, rng);
    if (order.empty()) {
      std::fprintf(stderr, "unknown order %s\n", order_name.c_str());
      return 2;
    }
    hnswlib::HierarchicalNSW<float> index(&space, rows, 16, 100, static_cast<size_t>(seed));
    cm::bench::ParallelFor(rows, threads, [&](size_t i) { index.addPoint(v.data.data() + order[i] * dim, order[i]); });
    fmt::print("{} seed {}: recall@10 {:.4f}\n", order_name, seed, cm::bench::RecallAt10(index, queries));
    std::fflush(stdout);
  }
  return 0;
}
