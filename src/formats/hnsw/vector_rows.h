// The vectors a graph build compares, one row per internal id, apart from hnswlib's level-0
// block.
//
// hnswlib keeps each element's vector between its links and its label: 3,212 bytes an element
// at 1,536 dimensions in fixed point, so a vector starts at an odd offset (every other 32-byte
// load of the kernel straddles two cache lines) and the links a layer search reads next lie
// 3 KB apart. Here each row starts on a 64-byte boundary and the level-0 block keeps only links
// and labels (140 bytes an element at M 16), dense enough to stay in cache. The same graph,
// built faster: the graph alone 1.09× at 10,000 × 384 and 1.15× at 20,000 × 1536 (medians of
// alternating builds), the whole tool 1.83 → 1.65 s at 20,000 × 1536; a float32 build
// (6,284-byte elements there) 2.52 → 2.30 s (docs/performance.md, "Graph insertion").
//
// Rows are untouched until written (not zeroed), on huge pages where the kernel gives them;
// nothing reads a row before it is written.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

#include "core/status.h"

namespace cm {

class WarmBlock;  // io/warm_block.h

class VectorRows {
 public:
  static constexpr size_t kAlignment = 64;

  // Rows of `row_bytes` (each padded to kAlignment).
  explicit VectorRows(size_t row_bytes);

  // Bytes Reserve allocates for `rows` rows of `row_bytes`: whole huge pages.
  static size_t BytesFor(size_t row_bytes, size_t rows);

  // Room for `rows` rows, keeping those written; never shrinks. Not while rows are read. The
  // first reservation takes `warm`'s memory instead when it is large enough (warm_block.h).
  Status Reserve(size_t rows, WarmBlock* warm = nullptr);

  size_t capacity() const { return rows_; }
  size_t stride() const { return stride_; }
  size_t row_bytes() const { return row_bytes_; }
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  char* row(size_t i) { return data_.get() + i * stride_; }
  const char* row(size_t i) const { return data_.get() + i * stride_; }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  size_t row_bytes_;
  size_t stride_;
  size_t rows_ = 0;
  std::unique_ptr<char, Free> data_;
};

}  // namespace cm
