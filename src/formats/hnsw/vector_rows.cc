#include "formats/hnsw/vector_rows.h"

#include <fmt/format.h>

#include <cstring>

#include "io/huge_pages.h"
#include "io/warm_block.h"

namespace cm {

namespace {

constexpr size_t kAlign = VectorRows::kAlignment;
size_t StrideFor(size_t row_bytes) { return (row_bytes + kAlign - 1) / kAlign * kAlign; }

}  // namespace

VectorRows::VectorRows(size_t row_bytes) : row_bytes_(row_bytes), stride_(StrideFor(row_bytes)) {}

size_t VectorRows::BytesFor(size_t row_bytes, size_t rows) {
  return (rows * StrideFor(row_bytes) + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
}

Status VectorRows::Reserve(size_t rows, WarmBlock* warm) {
  if (rows <= rows_) return Status::Ok();
  // Whole huge pages, aligned to one, so that all of it can be backed by them.
  const size_t bytes = BytesFor(row_bytes_, rows);
  std::unique_ptr<char, Free> grown;
  if (rows_ == 0 && warm != nullptr && warm->size() >= bytes) {
    grown.reset(warm->Take());  // aligned and advised alike
  } else {
    grown.reset(static_cast<char*>(std::aligned_alloc(kHugePageBytes, bytes)));
    if (!grown) return Status::IoError(fmt::format("out of memory for {} HNSW vectors of {} bytes", rows, row_bytes_));
    AdviseHugePages(grown.get(), bytes);
  }
  if (rows_ > 0) std::memcpy(grown.get(), data_.get(), rows_ * stride_);
  data_ = std::move(grown);
  rows_ = rows;
  return Status::Ok();
}

}  // namespace cm
