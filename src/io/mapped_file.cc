#include "io/mapped_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/positional_io.h"

namespace cm {

Result<MappedFile> MappedFile::Open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(fmt::format("{}: no such file", path));
    return Status::IoError(fmt::format("{}: cannot open for reading: {}", path, std::strerror(err)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    int err = errno;
    return Status::IoError(fmt::format("{}: cannot stat: {}", path, std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(fmt::format("{}: not a regular file", path));
  }
  MappedFile f;
  f.path_ = path;
  f.size_ = static_cast<size_t>(st.st_size);
  if (f.size_ > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (p == MAP_FAILED) {
      int err = errno;
      return Status::IoError(fmt::format("{}: cannot map {} bytes: {}", path, f.size_, std::strerror(err)));
    }
    f.data_ = static_cast<const uint8_t*>(p);
  }
  f.fd_ = std::move(fd);
  return f;
}

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    path_ = std::move(other.path_);
    fd_ = std::move(other.fd_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() { Reset(); }

void MappedFile::Reset() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
  fd_ = UniqueFd();
}

Status MappedFile::ReadAt(uint64_t offset, void* dst, size_t n) const {
  if (offset > size_ || n > size_ - offset) {
    return Status::Internal(fmt::format("{}: read of {} bytes at offset {} past the end ({} bytes)", path_, n, offset,
                                        size_));
  }
  return PreadFull(fd_.get(), dst, n, offset, path_);
}

void MappedFile::Release(uint64_t offset, uint64_t length) const {
  if (data_ == nullptr || offset >= size_) return;
  uint64_t end = std::min<uint64_t>(size_, offset + length);
  auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t first = (offset + page - 1) / page * page;  // the mapping starts page-aligned
  uint64_t last = end == size_ ? end : end / page * page;
  if (last <= first) return;
  // Advice only: a failure changes nothing but the memory footprint.
  (void)::madvise(const_cast<uint8_t*>(data_) + first, last - first, MADV_DONTNEED);
}

}  // namespace cm
