// MappedFile: a read-only memory map of a whole file (RAII).
//
// The source of a migration is never modified: files are opened O_RDONLY and mapped
// PROT_READ/MAP_PRIVATE. The mapping lives as long as the object; cursors over bytes() borrow
// it. Movable, not copyable; reading from several threads at once is safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "io/byte_cursor.h"
#include "io/unique_fd.h"

namespace cm {

class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::string& path() const { return path_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view bytes() const { return {reinterpret_cast<const char*>(data_), size_}; }
  ByteCursor cursor() const { return ByteCursor(data_, size_, path_, 0); }
  // Tells the kernel the bytes [offset, offset + length) will not be needed soon, so the pages
  // wholly inside the range leave this process's resident memory (streaming a file larger than
  // memory). Safe even if they are read again: the mapping is read-only and re-reads the file.
  void Release(uint64_t offset, uint64_t length) const;
  // Copies the bytes [offset, offset + n) with pread on the descriptor the mapping came from (the
  // same file, even if its name has since been replaced). For reads scattered over a large file:
  // through the mapping each page fault maps the 64 KiB around it (fault-around), and scattered
  // faults make the whole file resident. A range past the end is an Internal error.
  Status ReadAt(uint64_t offset, void* dst, size_t n) const;

 private:
  void Reset();
  std::string path_;
  UniqueFd fd_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cm
