// Reading index_metadata.pickle, the id <-> label map of a Chroma HNSW segment, in both forms
// Chroma has written (modern-format.md §3.7):
//   * Rust 1.x (serde-pickle): protocol 3, a plain dict;
//   * Python 0.4–0.6: a chromadb...local_persistent_hnsw.PersistentData instance (NEWOBJ +
//     BUILD with the state dict), protocol 4/5.
// Required: total_elements_added, id_to_label, label_to_id (id_to_seq_id is required by Rust
// but not needed to read, so its absence is tolerated). Optional: dimensionality, max_seq_id.
// Labels are positive integers < 2^64; ids are str. Where a key repeats, the last one wins.
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

namespace cm {

struct ParsedIndexMetadata {
  bool class_form = false;  // a PersistentData instance rather than a plain dict
  std::optional<int64_t> dimensionality;
  uint64_t total_elements_added = 0;
  std::optional<uint64_t> max_seq_id;  // 0.4–0.5.5 kept the VECTOR segment's position here
  std::unordered_map<uint64_t, std::string> label_to_id;
  size_t id_to_label_size = 0;
};

// `source` names the file in errors. Corrupt names the key and what was found.
Result<ParsedIndexMetadata> ReadIndexMetadataPickle(std::string_view bytes, std::string_view source);

}  // namespace cm
