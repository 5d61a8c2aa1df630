// The vectors and ids of a generated legacy (Chroma 0.3) directory, read whole with this
// project's parquet reader: what the bench's hnswlib-only programs build their graphs from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/hnsw_builder.h"

namespace cm::bench {

struct LegacyVectors {
  std::vector<float> data;  // rows × dim, in stored order
  std::vector<std::optional<std::string>> ids;
  size_t dim = 0;
  size_t rows() const { return dim ? data.size() / dim : 0; }
};

// Reads DIR/chroma-embeddings.parquet; false (with a message on stderr) when it cannot.
bool LoadLegacyVectors(const std::string& dir, LegacyVectors* out);

// Every row scaled to unit length in place (the cosine space), and the FixedPointStats of the
// result, from which the quantisation studies take their scales.
FixedPointStats NormalizeRows(LegacyVectors* v);

// How the studies build through the tool's HnswBuilder (M 16, ef_construction 100, `seed`) over
// `v`'s unit-normalised rows: on int16 copies at `scale` in the cosine space, the exact vectors
// given back from `v` (which must outlive the build); with no scale, hnswlib's float32
// inner-product space, as bench/hnsw_floor builds.
HnswBuildOptions StudyBuildOptions(const LegacyVectors& v, float scale, uint64_t seed);

// The random insertion order a study gives `seed`: the rows shuffled by mt19937_64(1000 + seed).
std::vector<size_t> StudyOrder(size_t rows, int seed);

// bench/recall_study.py's queries (or a floor.json's): unit-normalised query vectors and the
// stored rows of each one's exact ten nearest.
struct RecallQueries {
  std::vector<std::vector<float>> vectors;
  std::vector<std::vector<size_t>> exact;
};
RecallQueries LoadRecallQueries(const std::string& path, const LegacyVectors& v);

// What the quantisation studies (quant_study, int8_study) start from, given on their command line
// as LEGACY_DIR QUERIES.json SEED_FROM SEED_TO [THREADS] and up to `extra` more arguments: the
// vectors unit-normalised, their FixedPointStats and the recall queries.
struct StudyInput {
  LegacyVectors vectors;
  FixedPointStats stats{0};
  RecallQueries queries;
  int seed_from = 0, seed_to = 0;
  size_t threads = 2;
};
// 0 with `*out` filled; otherwise the exit code (2 with `usage` on stderr for a wrong argument
// count, 1 after a message when the data cannot be read).
int LoadStudyInput(int argc, char** argv, int extra, const char* usage, StudyInput* out);

// recall@10 over `q` of `search`, which gives the stored rows it finds for a query vector.
template <class Search>
double RecallAt10Of(Search search, const RecallQueries& q) {
  size_t hits = 0;
  for (size_t i = 0; i < q.vectors.size(); ++i) {
    for (size_t row : search(q.vectors[i])) {
      for (size_t e : q.exact[i]) hits += e == row;
    }
  }
  return static_cast<double>(hits) / static_cast<double>(q.vectors.size() * 10);
}

// recall@10 over `q` of an hnswlib index whose labels are stored rows, searched at ef 100.
template <class HnswIndex>
double RecallAt10(HnswIndex& index, const RecallQueries& q) {
  index.setEf(100);
  return RecallAt10Of(
      [&index](const std::vector<float>& query) {
        std::vector<size_t> rows;
        for (auto res = index.searchKnn(query.data(), 10); !res.empty(); res.pop()) rows.push_back(res.top().second);
        return rows;
      },
      q);
}

}  // namespace cm::bench
