#include "io/positional_io.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cm {

Status PreadFull(int fd, void* dst, size_t n, uint64_t offset, std::string_view path) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd, static_cast<char*>(dst) + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return Status::IoError(fmt::format("{}: cannot read {} bytes at offset {}: {}", path, n - done, offset + done,
                                         got < 0 ? std::strerror(errno) : "end of file"));
    }
    done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

Status PwriteFull(int fd, const void* src, size_t n, uint64_t offset, std::string_view path) {
  size_t done = 0;
  while (done < n) {
    ssize_t put = ::pwrite(fd, static_cast<const char*>(src) + done, n - done, static_cast<off_t>(offset + done));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) {
      return Status::IoError(fmt::format("{}: cannot write {} bytes at offset {}: {}", path, n - done, offset + done,
                                         put < 0 ? std::strerror(errno) : "no progress"));
    }
    done += static_cast<size_t>(put);
  }
  return Status::Ok();
}

}  // namespace cm
