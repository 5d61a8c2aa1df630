#include "io/fs_util.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace cm {

std::string TempDir() {
  const char* t = std::getenv("TMPDIR");
  return t != nullptr && *t != '\0' ? t : "/tmp";
}

UniqueFd CreateUnlinkedFile(std::string* name) {
  UniqueFd fd(::mkostemp(name->data(), O_CLOEXEC));
  if (fd.valid()) ::unlink(name->c_str());
  return fd;
}

Status FsyncPath(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::IoError(fmt::format("{}: cannot open to sync: {}", path, std::strerror(errno)));
  int rc = ::fsync(fd.get());
  int err = errno;
  if (rc != 0) return Status::IoError(fmt::format("{}: fsync failed: {}", path, std::strerror(err)));
  return Status::Ok();
}

Status FsyncTree(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> dirs{dir};
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory()) {
      dirs.push_back(it->path().string());
    } else if (it->is_regular_file()) {
      CM_RETURN_IF_ERROR(FsyncPath(it->path().string()));
    }
  }
  if (ec) return Status::IoError(fmt::format("{}: cannot list: {}", dir, ec.message()));
  for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) CM_RETURN_IF_ERROR(FsyncPath(*d));
  return Status::Ok();
}

Result<bool> PathIsFree(const std::string& path, bool* empty_dir) {
  *empty_dir = false;
  std::error_code ec;
  auto st = fs::symlink_status(path, ec);
  if (ec || !fs::exists(st)) return true;
  if (fs::is_directory(st)) {
    bool empty = fs::is_empty(path, ec);
    if (ec) return Status::IoError(fmt::format("{}: cannot list: {}", path, ec.message()));
    *empty_dir = empty;
  }
  return false;
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return Status::IoError(fmt::format("{}: cannot remove: {}", path, ec.message()));
  return Status::Ok();
}

Status RenamePath(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return Status::IoError(fmt::format("cannot rename {} to {}: {}", from, to, std::strerror(errno)));
  }
  return Status::Ok();
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) {
    return Status::IoError(fmt::format("{}: cannot create directory: {}", path, std::strerror(errno)));
  }
  return Status::Ok();
}

}  // namespace cm
