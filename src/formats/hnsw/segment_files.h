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

namespace cm {

// hnswlib's saveIndex header, field for field (legacy-formats.md §2.4).
struct HnswHeader {
  uint64_t offset_level0 = 0;
  uint64_t max_elements = 0;
  uint64_t cur_element_count = 0;
  uint64_t size_data_per_element = 0;
  uint64_t label_offset = 0;
  uint64_t offset_data = 0;
  int32_t maxlevel = 0;
  uint32_t enterpoint_node = 0;
  uint64_t max_m = 0;
  uint64_t max_m0 = 0;
  uint64_t m = 0;
  double mult = 0;
  uint64_t ef_construction = 0;
};
inline constexpr size_t kHnswHeaderBytes = 96;

struct SegmentParts {
  HnswHeader header;       // max_elements is written as cur_element_count (Chroma grows it on load)
  const char* level0;      // cur_element_count × size_data_per_element bytes
  const float* lengths;    // cur_element_count norms by internal id (zeros unless cosine)
  // Element i's upper-level link lists (level × (maxM·4 + 4) bytes; empty at level 0).
  std::function<std::string_view(size_t)> links;
};

// Creates the four files in `dir` (which must exist; the files must not). IoError names the file.
Status WriteChromaSegmentFiles(const std::string& dir, const SegmentParts& parts);

}  // namespace cm
