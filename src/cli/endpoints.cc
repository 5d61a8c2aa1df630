#include "cli/endpoints.h"

#include <fmt/format.h>

#include <filesystem>

#include "sources/clickhouse_source.h"
#include "sources/legacy_dir_source.h"
#include "sources/modern_dir_source.h"
#include "sources/server_source.h"

namespace fs = std::filesystem;

namespace cm::cli {

DestinationKind KindOfDestination(const std::string& dst) {
  return IsHttpUrl(dst) ? DestinationKind::kServer : DestinationKind::kPersistDir;
}

Result<std::unique_ptr<Source>> OpenSource(const std::string& src, const EndpointOptions& options) {
  if (IsHttpUrl(src)) return ServerSource::Open(src, options);
  if (IsClickHouseUrl(src)) return ClickHouseSource::Open(src, options);
  std::error_code ec;
  if (!fs::exists(src, ec)) return Status::NotFound(fmt::format("{}: no such file or directory", src));
  if (!fs::is_directory(src, ec)) {
    return Status::InvalidArgument(fmt::format("{} is a file; give the persist directory that contains it", src));
  }
  if (LooksLikeModernDir(src)) return ModernDirSource::Open(src, options);
  if (LooksLikeLegacyDir(src)) {
    CM_ASSIGN_OR_RETURN(auto legacy, LegacyDirSource::Open(src));
    return std::unique_ptr<Source>(std::move(legacy));
  }
  return Status::InvalidArgument(fmt::format(
      "{} is not a Chroma persist directory: expected chroma-collections.parquet and chroma-embeddings.parquet "
      "(Chroma ≤ 0.3) or chroma.sqlite3 (Chroma ≥ 0.4)",
      src));
}

}  // namespace cm::cli
