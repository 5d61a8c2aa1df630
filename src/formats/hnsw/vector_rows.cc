#include "formats/hnsw/vector_rows.h"

#include <fmt/format.h>

#include <cstring>

#include "io/huge_pages.h"

namespace cm {

VectorRows::VectorRows(size_t row_bytes)
    : row_bytes_(row_bytes), stride_((row_bytes + kAlignment - 1) / kAlignment * kAlignment) {}

Status VectorRows::Reserve(size_t rows) {
  if (rows <= rows_) return Status::Ok();
  // Whole huge pages, aligned to one, so that all of it can be backed by them.
  const size_t bytes = (rows * stride_ + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  std::unique_ptr<char, Free> grown(static_cast<char*>(std::aligned_alloc(kHugePageBytes, bytes)));
  if (!grown) return Status::IoError(fmt::format("out of memory for {} HNSW vectors of {} bytes", rows, row_bytes_));
  AdviseHugePages(grown.get(), bytes);
  if (rows_ > 0) std::memcpy(grown.get(), data_.get(), rows_ * stride_);
  data_ = std::move(grown);
  rows_ = rows;
  return Status::Ok();
}

}  // namespace cm
