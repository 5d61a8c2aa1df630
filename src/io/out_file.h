// OutFile: a new file (never an existing one) written front to back through stdio, whose errors
// name the file. The graph segment's files and its pickle are written with it.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/status.h"

namespace cm {

class OutFile {
 public:
  // Creates `path`, which must not exist.
  static Result<OutFile> Create(const std::string& path);
  // Creates `path` (which must not exist) holding `bytes`.
  static Status WriteWhole(const std::string& path, std::string_view bytes);

  OutFile() = default;
  OutFile(OutFile&& o) noexcept;
  OutFile& operator=(OutFile&&) = delete;
  OutFile(const OutFile&) = delete;
  ~OutFile();  // closes without checking: call Close() to learn whether the bytes got there

  Status Write(const void* data, size_t n);
  template <typename T>
  Status Pod(const T& v) { return Write(&v, sizeof v); }
  Status Close();

 private:
  FILE* f_ = nullptr;
  std::string path_;
};

}  // namespace cm
