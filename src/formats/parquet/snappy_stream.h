// SnappyStream: a raw snappy block (the format parquet's SNAPPY codec uses) decoded a piece at
// a time, so that a large page can be consumed without holding all of it decompressed.
//
// Output is produced into a ring of recent bytes; a copy element may reach back at most that
// far. Google's snappy (and the encoders that copy its design) never reaches back more than
// 64 KiB, well inside the ring; should a stream reach further, the decoder falls back to
// decompressing the whole block with the snappy library and goes on serving from where it was,
// so any valid stream decodes. The input must stay readable while the stream is used;
// `consumed`, if set, is told every few MiB how much of it is done with (see MappedFile::Release).
//
// Errors are Corrupt and name `source` and the offset of the compressed block. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "formats/parquet/consumed_reporter.h"

namespace cm::parquet {

class SnappyStream {
 public:
  SnappyStream(const uint8_t* in, size_t in_size, std::string source, uint64_t offset,
               std::function<void(size_t)> consumed = {});
  // Reads the length preamble.
  Status Init();
  uint64_t total() const { return total_; }       // bytes the block decompresses to
  uint64_t remaining() const { return total_ - delivered_; }
  // Copies exactly the next n output bytes to `out`; Corrupt if the block is invalid or ends first.
  Status Read(uint8_t* out, size_t n);
  // A Corrupt status naming the source and the block's offset.
  Status Corrupt(const std::string& what) const;

 private:
  static constexpr size_t kRing = size_t{1} << 20;  // power of two
  // Decodes elements until `want` undelivered bytes are in the ring (or the block ends).
  Status Fill(size_t want);
  Status FallBackToWhole();

  const uint8_t* in_;
  size_t in_size_;
  size_t ip_ = 0;  // next input byte
  std::string source_;
  uint64_t offset_;
  ConsumedReporter consumed_;
  uint64_t total_ = 0;
  uint64_t produced_ = 0;   // output bytes decoded so far (absolute position)
  uint64_t delivered_ = 0;  // output bytes handed to Read callers
  uint64_t literal_left_ = 0;
  std::vector<uint8_t> ring_;
  std::vector<uint8_t> whole_;  // after a fall-back: the whole output
  bool whole_mode_ = false;
};

}  // namespace cm::parquet
