#include "legacy_vectors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <unordered_map>

#include "formats/hnsw/cosine.h"
#include "formats/parquet/parquet_reader.h"

namespace cm::bench {

FixedPointStats NormalizeRows(LegacyVectors* v) {
  FixedPointStats stats(v->dim);
  for (size_t r = 0; r < v->rows(); ++r) {
    float* row = v->data.data() + r * v->dim;
    cm::NormalizeForCosine(row, v->dim, row);
    stats.Add(row);
  }
  return stats;
}

int LoadStudyInput(int argc, char** argv, int extra, const char* usage, StudyInput* out) {
  if (argc < 5 || argc > 6 + extra) {
    std::fprintf(stderr, "usage: %s\n", usage);
    return 2;
  }
  out->seed_from = std::stoi(argv[3]);
  out->seed_to = std::stoi(argv[4]);
  if (argc >= 6) out->threads = std::stoul(argv[5]);
  if (!LoadLegacyVectors(argv[1], &out->vectors)) return 1;
  out->stats = NormalizeRows(&out->vectors);
  out->queries = LoadRecallQueries(argv[2], out->vectors);
  return 0;
}

HnswBuildOptions StudyBuildOptions(const LegacyVectors& v, float scale, uint64_t seed) {
  HnswBuildOptions o;
  o.space = scale > 0 ? Space::kCosine : Space::kIp;  // the rows are unit-normalised already
  o.max_neighbors = 16;
  o.ef_construction = 100;
  o.seed = seed;
  o.fixed_point_scale = scale;
  o.exact_vectors = [&v](const uint64_t* labels, size_t n, float* out) {
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(out + i * v.dim, v.data.data() + (labels[i] - 1) * v.dim, v.dim * sizeof(float));
    }
    return Status::Ok();
  };
  return o;
}

std::vector<size_t> StudyOrder(size_t rows, int seed) {
  std::mt19937_64 rng(1000 + static_cast<uint64_t>(seed));
  std::vector<size_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

bool LoadLegacyVectors(const std::string& dir, LegacyVectors* out) {
  auto reader = cm::parquet::FileReader::Open(dir + "/chroma-embeddings.parquet");
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    return false;
  }
  auto emb = (*reader)->OpenColumn("embedding");
  auto ids = (*reader)->OpenColumn("id");
  cm::parquet::DoubleListBatch batch;
  while (true) {
    batch.Clear();
    if (!(*emb)->ReadDoubleLists(65536, &batch).ok() || !(*ids)->ReadStrings(65536, &out->ids).ok()) return false;
    if (batch.rows() == 0) break;
    for (size_t r = 0; r < batch.rows(); ++r) {
      if (out->dim == 0) out->dim = batch.offsets[r + 1] - batch.offsets[r];
      for (size_t k = batch.offsets[r]; k < batch.offsets[r + 1]; ++k) out->data.push_back(static_cast<float>(batch.values[k]));
    }
  }
  return true;
}

RecallQueries LoadRecallQueries(const std::string& path, const LegacyVectors& v) {
  std::unordered_map<std::string, size_t> row_of;
  for (size_t r = 0; r < v.rows(); ++r) row_of[v.ids[r].value_or("")] = r;
  std::ifstream in(path);
  auto json = nlohmann::json::parse(in);
  RecallQueries q;
  for (const auto& one : json.at("queries")) {
    q.vectors.push_back(one.at("vector").get<std::vector<float>>());
    cm::NormalizeForCosine(q.vectors.back().data(), v.dim, q.vectors.back().data());
    q.exact.emplace_back();
    for (const auto& id : one.at("exact")) q.exact.back().push_back(row_of.at(id.get<std::string>()));
  }
  return q;
}

}  // namespace cm::bench
