// The vectors and ids of a generated legacy (Chroma 0.3) directory, read whole with this
// project's parquet reader: what the bench's hnswlib-only programs build their graphs from.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cm::bench {

struct LegacyVectors {
  std::vector<float> data;  // rows × dim, in stored order
  std::vector<std::optional<std::string>> ids;
  size_t dim = 0;
  size_t rows() const { return dim ? data.size() / dim : 0; }
};

// Reads DIR/chroma-embeddings.parquet; false (with a message on stderr) when it cannot.
bool LoadLegacyVectors(const std::string& dir, LegacyVectors* out);

}  // namespace cm::bench
