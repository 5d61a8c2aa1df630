// The HNSW configuration a modern collection was actually indexed with, recovered from what
// Chroma stored (modern-format.md §5):
//   1. collections.schema_str (1.3+): the "#embedding" key's vector_index config, else the
//      defaults' float_list vector_index config;
//   2. collections.config_json_str: the 1.x form {"vector_index":{"hnsw":{…}}} or the Python
//      0.5/0.6 form {"hnsw_configuration":{…,"M":…}};
//   3. when that is the default (or absent), the VECTOR segment's segment_metadata hnsw:* keys
//      (0.4–0.6 copied the collection's keys there), as Chroma 1.x does.
// collection_metadata hnsw:* keys are not consulted: Chroma does not index by them either.
// Stateless and thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/collection.h"
#include "core/status.h"
#include "core/value.h"

namespace cm {

struct StoredConfig {
  HnswParams params;
  std::string origin;  // "schema_str", "config_json_str", "segment_metadata" or "default"
};

// `segment_metadata` is an object of the VECTOR segment's metadata (or Null). Corrupt names the
// column and what is wrong with its JSON.
Result<StoredConfig> RecoverHnswConfig(const std::optional<std::string>& schema_str,
                                       const std::optional<std::string>& config_json_str,
                                       const Value& segment_metadata);

}  // namespace cm
