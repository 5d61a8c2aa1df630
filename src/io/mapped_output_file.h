// MappedOutputFile: a new file of a fixed size, mapped shared and writable (RAII), so bytes
// stored into data() are the file's content without being copied out of memory afterwards.
//
// Create reserves the file's blocks up front (fallocate): a full disk is reported then, as an
// error naming the file, never later as a SIGBUS on a page that has no block. File systems that
// cannot reserve or map (Unsupported) leave the caller to keep its bytes in memory instead.
// Movable, not copyable; the mapping may be written from several threads at once.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"

namespace cm {

class MappedOutputFile {
 public:
  // Creates `path` (which must not exist) with `size` bytes, all zero, and maps it. On any
  // failure the file is removed again.
  static Result<MappedOutputFile> Create(const std::string& path, size_t size);

  MappedOutputFile() = default;
  MappedOutputFile(MappedOutputFile&& other) noexcept;
  MappedOutputFile& operator=(MappedOutputFile&& other) noexcept;
  MappedOutputFile(const MappedOutputFile&) = delete;
  MappedOutputFile& operator=(const MappedOutputFile&) = delete;
  ~MappedOutputFile();  // unmaps; the file stays with what was stored

  const std::string& path() const { return path_; }
  char* data() const { return data_; }
  size_t size() const { return size_; }
  // Cuts the file to its first `size` bytes. The mapping stays: bytes past `size` must not be
  // touched again.
  Status Truncate(size_t size) const;
  // Unmaps and removes the file (its bytes are no longer wanted there).
  void Discard();

 private:
  void Reset();
  std::string path_;
  char* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;
};

}  // namespace cm
