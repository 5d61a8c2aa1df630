#include "sources/modern_dir_source.h"

#include <fmt/format.h>

#include <filesystem>

namespace cm {

bool LooksLikeModernDir(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(dir) / "chroma.sqlite3", ec);
}

Result<std::unique_ptr<Source>> ModernDirSource::Open(const std::string& dir, const EndpointOptions&) {
  return Status::Unsupported(fmt::format("{}: reading modern (0.4+) persist directories is not implemented yet", dir));
}

}  // namespace cm
