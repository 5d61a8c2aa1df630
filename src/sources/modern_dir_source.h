// ModernDirSource: a Chroma 0.4.0–1.x persist directory (chroma.sqlite3 + HNSW segment
// folders; modern-format.md §8), opened strictly read-only. Records come from the metadata
// tables and vectors from the HNSW segment files, with the embeddings_queue replayed on top.
#pragma once

#include <memory>
#include <string>

#include "core/endpoint.h"
#include "sources/source.h"

namespace cm {

bool LooksLikeModernDir(const std::string& dir);

class ModernDirSource : public Source {
 public:
  static Result<std::unique_ptr<Source>> Open(const std::string& dir, const EndpointOptions& options);
};

}  // namespace cm
