// The four files of a Chroma 1.x HNSW vector segment (modern-format.md §3): header.bin (a
// persistence-version int, then hnswlib's stock header), data_level0.bin, length.bin and
// link_lists.bin. Written from whatever holds a graph in hnswlib's memory layout: a graph being
// built (hnsw_builder.cc) or a legacy graph being reused (stock_graph.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "formats/hnsw/hnsw_header.h"
#include "io/direct_write.h"

namespace cm {

struct SegmentParts {
  HnswHeader header;       // version 1 is written; max_elements as cur_element_count (Chroma grows it on load)
  // data_level0.bin's cur_element_count × size_data_per_element bytes, made chunk by chunk (a
  // graph built on fixed-point copies makes its float32 elements as they are written; bytes in
  // memory give FillFromMemory).
  FillBytes level0;
  const float* lengths;    // cur_element_count norms by internal id (zeros unless cosine)
  // Element i's upper-level link lists (level × (maxM·4 + 4) bytes; empty at level 0).
  std::function<std::string_view(size_t)> links;
};

// Creates the four files in `dir` (which must exist; the files must not). IoError names the file.
Status WriteChromaSegmentFiles(const std::string& dir, const SegmentParts& parts);

// hnswlib loads a graph only from a file in its single-file layout: writes `path` from a
// segment's header.bin (its persistence-version int dropped), data_level0.bin's elements
// (`level0`: cur_element_count × size_data_per_element bytes) and link_lists.bin. IoError names
// `path`; Corrupt when header.bin is too short.
Status WriteStockFile(const std::string& path, std::string_view header_bin, std::string_view level0,
                      std::string_view link_lists);

}  // namespace cm
