// HnswSegmentReader: the four files of a Chroma HNSW segment folder (header.bin,
// data_level0.bin, length.bin, link_lists.bin; modern-format.md §3), read with our own
// bounds-checked code (no hnswlib headers here).
//
// Open() validates before anything is sized: the header's version and every offset must agree
// with one another and with the expected dimension, cur_element_count must fit in the files,
// every level-0 neighbour count must be ≤ maxM0, and link_lists.bin must hold exactly one
// well-formed entry per element. After a successful Open, slot accessors cannot read out of
// bounds. Files are memory-mapped read-only (vectors are read with pread, see ReadVector);
// nothing is ever written.
//
// Movable, not copyable. After Open, const methods are safe to call from several threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "formats/hnsw/hnsw_header.h"
#include "io/mapped_file.h"

namespace cm {

class HnswSegmentReader {
 public:
  // `dir` is the segment folder. `expected_dim` (collections.dimension) must match the header
  // when given. `need_lengths`: the index is normalised (cosine), so length.bin is required.
  // NotFound names a missing file; Corrupt names the file, the field or slot and the values.
  static Result<HnswSegmentReader> Open(const std::string& dir, std::optional<size_t> expected_dim, bool need_lengths);

  const HnswHeader& header() const { return header_; }
  size_t dim() const { return header_.dim(); }
  size_t slot_count() const { return static_cast<size_t>(header_.cur_element_count); }
  size_t deleted_count() const { return deleted_; }  // slots carrying DELETE_MARK (counted by Open)

  // Slot i < slot_count(): its external label and whether it carries DELETE_MARK.
  uint64_t Label(size_t i) const;
  bool Deleted(size_t i) const;
  // Copies slot i's dim() floats into out; with `denormalize`, multiplied by length.bin[i]
  // (cosine indices store unit vectors and the original norm). Read with pread, not through the
  // mapping: records are read in their own order, which need not be the slots' (a graph's slots
  // are in insertion order, random when this tool built it), and each fault on a mapping maps
  // the 64 KiB around it, so random reads would make the whole file resident. IoError names the
  // file and offset when it cannot be read (it shrank).
  Status ReadVector(size_t i, bool denormalize, float* out) const;
  // Lets the mapped pages read so far leave the resident set (MappedFile::Release); later reads
  // map them again from the file. A walk over the slots calls it every slots_per_release() slots
  // so that a segment is never resident whole (the page cache keeps the pages).
  void ReleaseResident() const {
    data_.Release(0, data_.size());
    if (has_lengths_) lengths_.Release(0, lengths_.size());
  }
  size_t slots_per_release() const {
    return std::max<size_t>(1, kReleaseBytes / static_cast<size_t>(header_.size_data_per_element));
  }

 private:
  Status CheckLinkLists(const std::string& path) const;
  const uint8_t* SlotPtr(size_t i) const { return data_.data() + i * header_.size_data_per_element; }

  static constexpr size_t kReleaseBytes = 32u << 20;

  HnswHeader header_;
  size_t deleted_ = 0;
  MappedFile data_;
  MappedFile lengths_;
  bool has_lengths_ = false;
};

}  // namespace cm
