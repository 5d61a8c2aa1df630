// hnswlib's index header (legacy-formats.md §2.4): the first 96 bytes of a stock saveIndex file,
// and, after an int32 persistence version, a Chroma segment's header.bin (modern-format.md §3).
// Parsed with bounds-checked code and validated field by field (every offset agreeing with the
// others) before anything is sized from it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace cm {

inline constexpr size_t kHnswHeaderSize = 100;       // header.bin: int32 version + the stock header
inline constexpr size_t kHnswStockHeaderSize = 96;  // hnswlib saveIndex
inline constexpr size_t kHnswMaxDimension = 1u << 16;
inline constexpr uint64_t kHnswMaxM0 = 1u << 12;

struct HnswHeader {
  int32_t version = 0;
  uint64_t offset_level0 = 0;
  uint64_t max_elements = 0;
  uint64_t cur_element_count = 0;
  uint64_t size_data_per_element = 0;
  uint64_t label_offset = 0;
  uint64_t offset_data = 0;
  int32_t maxlevel = -1;
  uint32_t enterpoint_node = 0;
  uint64_t maxM = 0;
  uint64_t maxM0 = 0;
  uint64_t M = 0;
  double mult = 0;
  uint64_t ef_construction = 0;

  size_t dim() const { return static_cast<size_t>((label_offset - offset_data) / 4); }
  uint64_t size_links_per_element() const { return maxM * 4 + 4; }
};

// Parses and validates a Chroma segment's header.bin (version 1). `source` names the file in errors.
Result<HnswHeader> ParseHnswHeader(std::string_view bytes, std::string_view source);
// Reads and validates DIR/header.bin, for every reader of a segment folder: NotFound when it is
// missing. `raw`, when given, receives the file's 100 bytes.
Result<HnswHeader> ReadHnswSegmentHeader(const std::string& dir, std::string* raw = nullptr);
// Parses and validates hnswlib's own 96-byte header (a stock saveIndex file starts with it);
// version stays 0.
Result<HnswHeader> ParseStockHnswHeader(std::string_view bytes, std::string_view source);

}  // namespace cm
