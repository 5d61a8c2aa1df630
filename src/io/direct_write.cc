#include "io/direct_write.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "io/out_file.h"
#include "io/unique_fd.h"

namespace cm {
namespace {

// 4096 satisfies every block device's logical block size (512 or 4096) for memory address,
// file offset and length alike.
constexpr size_t kAlign = 4096;
constexpr size_t kBounceBytes = size_t{8} << 20;
// Below this the page cache is as fast.
constexpr size_t kMinDirectBytes = size_t{1} << 20;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

enum class DirectOutcome { kWritten, kRefused };

// Writes through O_DIRECT. kRefused (with the file removed) when the file system will not take
// direct I/O at all; any other failure is an IoError.
Result<DirectOutcome> WriteDirect(const std::string& path, size_t n, const FillBytes& fill) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0644));
  if (!fd.valid()) {
    if (errno == EINVAL) return DirectOutcome::kRefused;
    return Status::IoError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  }
  const size_t bounce_bytes = std::min(kBounceBytes, (n + kAlign - 1) / kAlign * kAlign);
  void* raw = nullptr;
  if (::posix_memalign(&raw, kAlign, bounce_bytes) != 0) {
    return Status::IoError(fmt::format("{}: cannot allocate a write buffer of {} bytes", path, bounce_bytes));
  }
  std::unique_ptr<char, FreeDeleter> bounce(static_cast<char*>(raw));
  for (size_t off = 0; off < n;) {
    size_t len = std::min(bounce_bytes, n - off);
    size_t padded = (len + kAlign - 1) / kAlign * kAlign;  // only the last block is padded
    if (Status filled = fill(off, bounce.get(), len); !filled.ok()) {
      (void)fd.Close();
      ::unlink(path.c_str());
      return filled;
    }
    std::memset(bounce.get() + len, 0, padded - len);
    for (size_t done = 0; done < padded;) {
      ssize_t w = ::pwrite(fd.get(), bounce.get() + done, padded - done, static_cast<off_t>(off + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EINVAL && off == 0 && done == 0) {
        // Opened, but the alignment is not the file system's: write through the cache instead.
        fd.Close();
        ::unlink(path.c_str());
        return DirectOutcome::kRefused;
      }
      if (w <= 0) {
        return Status::IoError(fmt::format("{}: write of {} bytes failed at offset {}: {}", path, padded - done,
                                           off + done, w < 0 ? std::strerror(errno) : "nothing written"));
      }
      done += static_cast<size_t>(w);
    }
    off += len;
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(n)) != 0) {
    return Status::IoError(fmt::format("{}: cannot cut the padding to {} bytes: {}", path, n, std::strerror(errno)));
  }
  if (fd.Close() != 0) {
    return Status::IoError(fmt::format("{}: close failed: {}", path, std::strerror(errno)));
  }
  return DirectOutcome::kWritten;
}

// Through the page cache, chunk by chunk.
Status WriteCached(const std::string& path, size_t n, const FillBytes& fill) {
  CM_ASSIGN_OR_RETURN(OutFile f, OutFile::Create(path));
  std::vector<char> chunk(std::min(kBounceBytes, n));
  for (size_t off = 0; off < n;) {
    size_t len = std::min(chunk.size(), n - off);
    if (Status filled = fill(off, chunk.data(), len); !filled.ok()) {
      (void)f.Close();
      ::unlink(path.c_str());
      return filled;
    }
    CM_RETURN_IF_ERROR(f.Write(chunk.data(), len));
    off += len;
  }
  return f.Close();
}

}  // namespace

Status WriteAroundCache(const std::string& path, size_t n, const FillBytes& fill) {
  if (n >= kMinDirectBytes) {
    CM_ASSIGN_OR_RETURN(DirectOutcome outcome, WriteDirect(path, n, fill));
    if (outcome == DirectOutcome::kWritten) return Status::Ok();
  }
  return WriteCached(path, n, fill);
}

FillBytes FillFromMemory(const void* data) {
  return [bytes = static_cast<const char*>(data)](size_t offset, char* dst, size_t len) {
    std::memcpy(dst, bytes + offset, len);
    return Status::Ok();
  };
}

Status WriteAroundCache(const std::string& path, const void* data, size_t n) {
  if (n < kMinDirectBytes) return OutFile::WriteWhole(path, std::string_view(static_cast<const char*>(data), n));
  return WriteAroundCache(path, n, FillFromMemory(data));
}

}  // namespace cm
