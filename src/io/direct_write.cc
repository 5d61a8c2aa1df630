#include "io/direct_write.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
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

// Writes `len` bytes (a multiple of kAlign) at `off` from an aligned buffer: 0, an errno (EINVAL
// too, for the caller to tell a refusal of direct I/O from a failure), or -1 when the file
// system took nothing.
int WriteBlocks(int fd, const char* buf, size_t len, size_t off, size_t* done) {
  for (*done = 0; *done < len;) {
    ssize_t w = ::pwrite(fd, buf + *done, len - *done, static_cast<off_t>(off + *done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return -1;
    *done += static_cast<size_t>(w);
  }
  return 0;
}

// Writes through O_DIRECT, two bounce buffers taking turns: one is written on a second thread
// while the other is filled. kRefused (with the file removed) when the file system will not take
// direct I/O at all; any other failure is an IoError.
Result<DirectOutcome> WriteDirect(const std::string& path, size_t n, const FillBytes& fill) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0644));
  if (!fd.valid()) {
    if (errno == EINVAL) return DirectOutcome::kRefused;
    return Status::IoError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  }
  const size_t bounce_bytes = std::min(kBounceBytes, (n + kAlign - 1) / kAlign * kAlign);
  std::unique_ptr<char, FreeDeleter> bounce[2];
  for (auto& b : bounce) {
    void* raw = nullptr;
    if (::posix_memalign(&raw, kAlign, bounce_bytes) != 0) {
      return Status::IoError(fmt::format("{}: cannot allocate a write buffer of {} bytes", path, bounce_bytes));
    }
    b.reset(static_cast<char*>(raw));
  }
  auto failed = [&](size_t off, size_t len, size_t done, int err) {
    return Status::IoError(fmt::format("{}: write of {} bytes failed at offset {}: {}", path, len - done, off + done,
                                       err < 0 ? "nothing written" : std::strerror(err)));
  };
  // The write in flight: its chunk's offset and padded length, and its outcome once joined.
  std::thread writer;
  size_t pending_off = 0, pending_len = 0, pending_done = 0;
  int pending_err = 0;
  auto join = [&]() -> Status {
    if (!writer.joinable()) return Status::Ok();
    writer.join();
    return pending_err == 0 ? Status::Ok() : failed(pending_off, pending_len, pending_done, pending_err);
  };
  size_t turn = 0;
  for (size_t off = 0; off < n; turn ^= 1) {
    char* buf = bounce[turn].get();
    size_t len = std::min(bounce_bytes, n - off);
    size_t padded = (len + kAlign - 1) / kAlign * kAlign;  // only the last block is padded
    if (Status filled = fill(off, buf, len); !filled.ok()) {
      (void)join();
      (void)fd.Close();
      ::unlink(path.c_str());
      return filled;
    }
    std::memset(buf + len, 0, padded - len);
    CM_RETURN_IF_ERROR(join());
    if (off == 0) {
      // The first chunk on this thread: a file system that opens with O_DIRECT but rejects the
      // alignment says so here, and the file goes through the cache instead.
      size_t done = 0;
      if (int err = WriteBlocks(fd.get(), buf, padded, 0, &done); err != 0) {
        if (err == EINVAL && done == 0) {
          fd.Close();
          ::unlink(path.c_str());
          return DirectOutcome::kRefused;
        }
        return failed(0, padded, done, err);
      }
    } else {
      pending_off = off;
      pending_len = padded;
      writer = std::thread([&, buf] { pending_err = WriteBlocks(fd.get(), buf, pending_len, pending_off, &pending_done); });
    }
    off += len;
  }
  CM_RETURN_IF_ERROR(join());
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
