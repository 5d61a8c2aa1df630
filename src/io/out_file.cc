#include "io/out_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace cm {

Result<OutFile> OutFile::Create(const std::string& path) {
  OutFile f;
  f.path_ = path;
  f.f_ = std::fopen(path.c_str(), "wbxe");
  if (f.f_ == nullptr) return Status::IoError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  return f;
}

Status OutFile::WriteWhole(const std::string& path, std::string_view bytes) {
  CM_ASSIGN_OR_RETURN(OutFile f, Create(path));
  CM_RETURN_IF_ERROR(f.Write(bytes.data(), bytes.size()));
  return f.Close();
}

OutFile::OutFile(OutFile&& o) noexcept : f_(std::exchange(o.f_, nullptr)), path_(std::move(o.path_)) {}

OutFile::~OutFile() {
  if (f_) std::fclose(f_);
}

Status OutFile::Write(const void* data, size_t n) {
  if (n > 0 && std::fwrite(data, 1, n, f_) != n) {
    return Status::IoError(fmt::format("{}: write of {} bytes failed: {}", path_, n, std::strerror(errno)));
  }
  return Status::Ok();
}

Status OutFile::Close() {
  int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) return Status::IoError(fmt::format("{}: close failed: {}", path_, std::strerror(errno)));
  return Status::Ok();
}

}  // namespace cm
