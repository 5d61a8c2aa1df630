// index_metadata.pickle: the id <-> label map of a Chroma HNSW segment.
//
// Written as Chroma 1.x (Rust, serde-pickle) writes it: pickle protocol 3, a plain dict with
// keys dimensionality, total_elements_added, max_seq_id (None), id_to_label, label_to_id and
// id_to_seq_id ({}). Python's pickle reads it too. Dicts are emitted in batches of 1000 items
// per SETITEMS, as CPython does. Labels are 1-based; total_elements_added = the largest label,
// since Chroma assigns the next label as total_elements_added + 1. Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

struct IndexMetadata {
  int64_t dimensionality = 0;
  uint32_t total_elements_added = 0;
  std::vector<std::pair<std::string, uint32_t>> id_to_label;  // one entry per live record
};

std::string EncodeIndexMetadataPickle(const IndexMetadata& m);

}  // namespace cm
