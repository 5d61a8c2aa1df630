// StockGraph: a stock hnswlib single-file index (HierarchicalNSW::saveIndex, as Chroma 0.3 wrote
// index/index_<uuid>.bin; legacy-formats.md §2.4), read whole into memory and checked so that it
// can be written out again as a Chroma segment without hnswlib ever trusting it: every count,
// neighbour id and level is within range, and the link lists end exactly at the end of the file
// (stock layout) or 4·N bytes before it (the chroma-hnswlib variant with a length block).
//
// A Chroma segment folder (header.bin, data_level0.bin, link_lists.bin; modern-format.md §3) is
// the same graph split into files: LoadSegment joins them into the stock layout and checks it the
// same way (its errors name the folder and offsets within that joined image).
//
// Labels and vectors may be rewritten in place before the graph is written. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "formats/hnsw/hnsw_header.h"

namespace cm {

class StockGraph {
 public:
  // Corrupt names the file, the offset and what was expected; IoError when it cannot be read.
  static Result<std::unique_ptr<StockGraph>> Load(const std::string& path);
  // The same from bytes in memory (`name` stands for the path in errors).
  static Result<std::unique_ptr<StockGraph>> FromBytes(std::string_view bytes, const std::string& name);
  // The graph of a Chroma segment folder `dir`.
  static Result<std::unique_ptr<StockGraph>> LoadSegment(const std::string& dir);
  // cur_element_count from the header alone (to skip a cache of the wrong size without reading it).
  static Result<uint64_t> PeekElementCount(const std::string& path);
  // The same from a segment folder's header.bin (checked whole).
  static Result<uint64_t> PeekSegmentElementCount(const std::string& dir);

  const std::string& path() const { return path_; }
  const HnswHeader& header() const { return h_; }
  size_t size() const { return h_.cur_element_count; }
  size_t dim() const { return dim_; }
  size_t deleted() const { return deleted_; }
  bool is_deleted(size_t i) const { return static_cast<uint8_t>(element(i)[2]) & 1; }
  bool has_length_block() const { return has_length_block_; }  // the chroma-hnswlib variant

  uint64_t label(size_t i) const;
  void set_label(size_t i, uint64_t label);
  const float* vector(size_t i) const { return reinterpret_cast<const float*>(element(i) + h_.offset_data); }
  float* mutable_vector(size_t i) { return reinterpret_cast<float*>(element(i) + h_.offset_data); }

  // Writes the Chroma segment files (segment_files.h) with `lengths` by internal id.
  Status WriteChromaSegment(const std::string& dir, const std::vector<float>& lengths) const;

 private:
  StockGraph() = default;
  Status Parse();
  char* element(size_t i) const { return bytes_.get() + kHnswStockHeaderSize + i * h_.size_data_per_element; }

  std::string path_;
  std::unique_ptr<char[]> bytes_;
  size_t file_size_ = 0;
  HnswHeader h_;
  size_t dim_ = 0;
  size_t deleted_ = 0;
  bool has_length_block_ = false;
  std::vector<uint64_t> links_at_;  // per element: offset of its link-list size field in bytes_
};

}  // namespace cm
