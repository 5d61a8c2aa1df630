// Parquet's RLE/bit-packed hybrid encoding (levels and dictionary indices) and the deprecated
// BIT_PACKED level encoding, decoded as a stream: runs are expanded on demand, so a run that
// claims millions of values costs no memory. Every byte is read through a ByteCursor; a stream
// that ends before the requested values is Corrupt with the offset.
//
// LevelDecoder wraps both for definition/repetition levels and checks every level against the
// column's maximum. Not thread-safe; cheap to copy.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "io/byte_cursor.h"

namespace cm::parquet {

// Reads `width` (0..64) bits starting at `bit_offset`, least significant bit first.
uint64_t ReadBitsLsb(const uint8_t* p, size_t bit_offset, int width);

class RleBitPackedDecoder {
 public:
  RleBitPackedDecoder() = default;
  // `data` holds the runs (no length prefix); bit_width must be 0..32.
  RleBitPackedDecoder(ByteCursor data, int bit_width) : cur_(data), bw_(bit_width) {}
  // Decodes exactly n values; Corrupt if the runs end first.
  Status Get(size_t n, uint32_t* out);
  // The same into 16-bit values, for levels; the bit width must be at most 16.
  Status Get(size_t n, uint16_t* out);
  const ByteCursor& cursor() const { return cur_; }

 private:
  template <typename T>
  Status GetAs(size_t n, T* out);
  Status NextRun();
  ByteCursor cur_;
  int bw_ = 0;
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t packed_left_ = 0;
  const uint8_t* packed_ = nullptr;
  size_t packed_bit_ = 0;
};

class LevelDecoder {
 public:
  LevelDecoder() = default;
  // v1 data page: reads the levels of `num_values` entries from `page` (RLE with its 4-byte
  // length prefix, or BIT_PACKED) and advances `page` past them.
  Status InitV1(int32_t encoding, int max_level, size_t num_values, ByteCursor* page);
  // v2 data page: `data` is exactly the RLE-encoded levels (no prefix).
  Status InitV2(int max_level, ByteCursor data);
  // Decodes n levels. When max_level is 0 every level is 0 and nothing is read.
  Status Get(size_t n, uint16_t* out);

 private:
  int max_level_ = 0;
  bool bit_packed_ = false;
  int bw_ = 0;
  RleBitPackedDecoder rle_;
  ByteCursor packed_;          // BIT_PACKED: MSB-first
  size_t packed_bit_ = 0;
};

// Bits needed for values 0..max_value.
int BitWidth(uint64_t max_value);
// Bytes a v1 page's BIT_PACKED levels take: num_values levels of 0..max_level, MSB first.
uint64_t BitPackedLevelBytes(uint64_t num_values, int max_level);

}  // namespace cm::parquet
