// Writes the HNSW graphs of Chroma 0.3's index/ folder for a generated legacy directory, the
// way Chroma 0.3.24+ did (legacy-formats.md §2): per collection one stock hnswlib file
// index/index_<collection uuid>.bin, built by hnswlib with M 16 and ef_construction 100, labels
// 1..n in row order, cosine vectors normalised as hnswlib's Python binding does (float sum).
// The pickles are written by tests/integration/harness/legacy_index.py from the
// index/labels_<collection uuid>.tsv this writes (label, row uuid).
//
// usage: write_legacy_index LEGACY_DIR THREADS [COLLECTION_UUID=SPACE ...]   (default space l2)
// Real legacy directories already have this folder: tests and benchmarks use it for generated ones.
#include <fmt/format.h>
#include <hnswlib/hnswlib.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "formats/parquet/parquet_reader.h"

namespace {

struct Graph {
  std::string space = "l2";
  std::unique_ptr<hnswlib::SpaceInterface<float>> metric;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
  std::ofstream labels;
  size_t count = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: write_legacy_index LEGACY_DIR THREADS [COLLECTION_UUID=SPACE ...]\n");
    return 2;
  }
  std::string dir = argv[1];
  size_t threads = std::stoul(argv[2]);
  std::map<std::string, std::string> spaces;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    spaces[a.substr(0, a.find('='))] = a.substr(a.find('=') + 1);
  }
  auto reader = cm::parquet::FileReader::Open(dir + "/chroma-embeddings.parquet");
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    return 1;
  }
  auto emb = (*reader)->OpenColumn("embedding");
  auto colls = (*reader)->OpenColumn("collection_uuid");
  auto uuids = (*reader)->OpenColumn("uuid");
  if (!emb.ok() || !colls.ok() || !uuids.ok()) {
    std::fprintf(stderr, "%s: embedding, collection_uuid and uuid columns needed\n", dir.c_str());
    return 1;
  }
  std::filesystem::create_directories(dir + "/index");
  std::map<std::string, Graph> graphs;
  cm::parquet::DoubleListBatch batch;
  std::vector<std::optional<std::string>> coll_values, uuid_values;
  while (true) {
    batch.Clear();
    coll_values.clear();
    uuid_values.clear();
    if (!(*emb)->ReadDoubleLists(8192, &batch).ok() || !(*colls)->ReadStrings(8192, &coll_values).ok() ||
        !(*uuids)->ReadStrings(8192, &uuid_values).ok()) {
      std::fprintf(stderr, "%s: unreadable\n", dir.c_str());
      return 1;
    }
    size_t rows = batch.rows();
    if (rows == 0) break;
    // Per row: its graph, label and float32 vector (normalised for cosine); then insert in parallel.
    std::vector<std::pair<Graph*, size_t>> target(rows);
    std::vector<std::vector<float>> vectors(rows);
    for (size_t r = 0; r < rows; ++r) {
      std::string cuuid = coll_values[r].value_or("");
      Graph& g = graphs[cuuid];
      size_t dim = batch.offsets[r + 1] - batch.offsets[r];
      if (!g.index) {
        if (spaces.count(cuuid)) g.space = spaces[cuuid];
        if (g.space == "l2") g.metric = std::make_unique<hnswlib::L2Space>(dim);
        else g.metric = std::make_unique<hnswlib::InnerProductSpace>(dim);
        g.index = std::make_unique<hnswlib::HierarchicalNSW<float>>(g.metric.get(), 1000, 16, 100, 100);
        g.labels.open(fmt::format("{}/index/labels_{}.tsv", dir, cuuid));
      }
      if (g.count + 1 > g.index->max_elements_) g.index->resizeIndex(std::max<size_t>(2 * g.index->max_elements_, g.count + 8192));
      std::vector<float>& v = vectors[r];
      for (size_t k = batch.offsets[r]; k < batch.offsets[r + 1]; ++k) v.push_back(static_cast<float>(batch.values[k]));
      if (g.space == "cosine") {
        float norm = 0.0f;
        for (float x : v) norm += x * x;
        norm = 1.0f / (std::sqrt(norm) + 1e-30f);
        for (float& x : v) x *= norm;
      }
      target[r] = {&g, ++g.count};
      g.labels << g.count << '\t' << uuid_values[r].value_or("") << '\n';
    }
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t r; (r = next.fetch_add(1)) < rows;) target[r].first->index->addPoint(vectors[r].data(), target[r].second);
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  }
  for (auto& [cuuid, g] : graphs) {
    g.index->saveIndex(fmt::format("{}/index/index_{}.bin", dir, cuuid));
    std::printf("%s: %zu elements (%s)\n", cuuid.c_str(), g.count, g.space.c_str());
  }
  return 0;
}
