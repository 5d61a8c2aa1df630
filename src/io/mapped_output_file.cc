#include "io/mapped_output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace cm {

Result<MappedOutputFile> MappedOutputFile::Create(const std::string& path, size_t size) {
  if (size == 0) return Status::InvalidArgument(fmt::format("{}: cannot map an empty file", path));
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  auto fail = [&](int err, const char* what) {
    ::close(fd);
    ::unlink(path.c_str());
    std::string message = fmt::format("{}: cannot {} {} bytes: {}", path, what, size, std::strerror(err));
    return err == EOPNOTSUPP || err == ENODEV || err == ENOSYS ? Status::Unsupported(message) : Status::IoError(message);
  };
  if (::fallocate(fd, 0, 0, static_cast<off_t>(size)) != 0) return fail(errno, "reserve");
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return fail(errno, "map");
  MappedOutputFile f;
  f.path_ = path;
  f.data_ = static_cast<char*>(p);
  f.size_ = size;
  f.fd_ = fd;
  return f;
}

MappedOutputFile::MappedOutputFile(MappedOutputFile&& other) noexcept { *this = std::move(other); }

MappedOutputFile& MappedOutputFile::operator=(MappedOutputFile&& other) noexcept {
  if (this != &other) {
    Reset();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

MappedOutputFile::~MappedOutputFile() { Reset(); }

void MappedOutputFile::Reset() {
  if (data_ != nullptr) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
  data_ = nullptr;
  size_ = 0;
  fd_ = -1;
}

Status MappedOutputFile::Truncate(size_t size) const {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return Status::IoError(fmt::format("{}: cannot cut to {} bytes: {}", path_, size, std::strerror(errno)));
  }
  return Status::Ok();
}

void MappedOutputFile::Discard() {
  if (fd_ < 0) return;
  Reset();
  ::unlink(path_.c_str());
}

}  // namespace cm
