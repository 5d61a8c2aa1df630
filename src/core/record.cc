#include "core/record.h"

#include <algorithm>

namespace cm {

const MetadataValue* FindMetadata(const Metadata& metadata, const std::string& key) {
  for (const auto& e : metadata) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

void RecordBatch::Reserve(size_t rows) {
  ids.reserve(rows);
  embeddings.reserve(rows * dim);
  documents.reserve(rows);
  uris.reserve(rows);
  metadatas.reserve(rows);
}

void RecordBatch::Clear() {
  ids.clear();
  embeddings.clear();
  documents.clear();
  uris.clear();
  metadatas.clear();
}

void RecordBatch::Append(std::string id, const float* vec, std::optional<std::string> document,
                         std::optional<std::string> uri, Metadata metadata) {
  ids.push_back(std::move(id));
  embeddings.insert(embeddings.end(), vec, vec + dim);
  documents.push_back(std::move(document));
  uris.push_back(std::move(uri));
  metadatas.push_back(std::move(metadata));
}

void RecordBatch::Replace(size_t row, std::string id, const float* vec,
                          std::optional<std::string> document, std::optional<std::string> uri,
                          Metadata metadata) {
  ids[row] = std::move(id);
  std::copy(vec, vec + dim, mutable_embedding(row));
  documents[row] = std::move(document);
  uris[row] = std::move(uri);
  metadatas[row] = std::move(metadata);
}

}  // namespace cm
