#include "sinks/vector_spill.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "io/fs_util.h"
#include "io/positional_io.h"

namespace cm {
namespace {

constexpr size_t kBufferBytes = size_t{1} << 20;

}  // namespace

Result<std::unique_ptr<VectorSpill>> VectorSpill::Create(const std::string& dir, size_t dim, std::string what) {
  if (dim == 0) return Status::Internal("VectorSpill of dimension 0");
  std::string name = dir + "/vectors-XXXXXX";
  UniqueFd fd = CreateUnlinkedFile(&name);
  if (!fd.valid()) {
    return Status::IoError(fmt::format("{}: cannot create the file that holds {}'s vectors while its graph waits to "
                                       "be built: {}", name, what, std::strerror(errno)));
  }
  std::string path = fmt::format("{} (temporary, unlinked; the vectors of {})", name, what);
  return std::unique_ptr<VectorSpill>(new VectorSpill(std::move(fd), std::move(path), dim));
}

Status VectorSpill::Put(uint64_t label, const float* vector) {
  if (label == 0) return Status::Internal("VectorSpill::Put: label 0");
  bool follows = !buffer_.empty() && label == run_first_ + buffer_.size() / dim_;
  if (!follows || (buffer_.size() + dim_) * sizeof(float) > kBufferBytes) {
    CM_RETURN_IF_ERROR(Flush());
    run_first_ = label;
  }
  buffer_.insert(buffer_.end(), vector, vector + dim_);
  if (label > labels_) labels_ = label;
  return Status::Ok();
}

Status VectorSpill::Flush() {
  if (buffer_.empty()) return Status::Ok();
  const size_t row = dim_ * sizeof(float);
  CM_RETURN_IF_ERROR(PwriteFull(fd_.get(), buffer_.data(), buffer_.size() * sizeof(float), (run_first_ - 1) * row, path_));
  buffer_.clear();
  return Status::Ok();
}

Status VectorSpill::Read(const uint64_t* labels, size_t n, float* out) const {
  const size_t row = dim_ * sizeof(float);
  for (size_t i = 0; i < n; ++i) {
    if (labels[i] == 0 || labels[i] > labels_) {
      return Status::Internal(fmt::format("{}: label {} was never stored (labels 1..{})", path_, labels[i], labels_));
    }
    CM_RETURN_IF_ERROR(PreadFull(fd_.get(), out + i * dim_, row, (labels[i] - 1) * row, path_));
  }
  return Status::Ok();
}

}  // namespace cm
