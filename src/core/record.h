// The record model every source produces and every sink consumes.
//
// A modern Chroma record is an id, a float32 embedding of the collection's dimension, an
// optional document, an optional URI and flat metadata whose values are bool, int64, double or
// string (MetadataValue). Metadata keeps source key order (a vector, not a map): the order is
// what users see when they read records back.
//
// RecordBatch is columnar: one contiguous float32 matrix (rows × dim) plus parallel columns.
// Batches are plain values, moved between pipeline stages, never shared while mutated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace cm {

using MetadataValue = std::variant<bool, int64_t, double, std::string>;

struct MetadataEntry {
  std::string key;
  MetadataValue value;
  bool operator==(const MetadataEntry&) const = default;
};

using Metadata = std::vector<MetadataEntry>;

const MetadataValue* FindMetadata(const Metadata& metadata, const std::string& key);

struct RecordBatch {
  size_t dim = 0;
  std::vector<std::string> ids;
  std::vector<float> embeddings;  // ids.size() * dim, row-major
  std::vector<std::optional<std::string>> documents;
  std::vector<std::optional<std::string>> uris;
  std::vector<Metadata> metadatas;  // empty Metadata = no metadata

  size_t size() const { return ids.size(); }
  const float* embedding(size_t row) const { return embeddings.data() + row * dim; }
  float* mutable_embedding(size_t row) { return embeddings.data() + row * dim; }
  void Reserve(size_t rows);
  void Clear();
  // Appends one record; `vec` must hold dim floats.
  void Append(std::string id, const float* vec, std::optional<std::string> document,
              std::optional<std::string> uri, Metadata metadata);
  // Replaces row `row` with a record (used by the duplicate-id policy).
  void Replace(size_t row, std::string id, const float* vec, std::optional<std::string> document,
               std::optional<std::string> uri, Metadata metadata);
};

}  // namespace cm
