#include "sources/legacy_index_cache.h"

#include <fmt/format.h>

#include <filesystem>

#include "formats/hnsw/hnsw_header.h"
#include "io/mapped_file.h"

namespace fs = std::filesystem;

namespace cm {

Result<LegacyIndexFile> ReadLegacyIndexFile(const std::string& path) {
  CM_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  CM_ASSIGN_OR_RETURN(HnswHeader h, ParseStockHnswHeader(file.bytes(), path));
  const uint64_t cur = h.cur_element_count, sdpe = h.size_data_per_element;
  ByteCursor c = file.cursor();
  CM_RETURN_IF_ERROR(c.Seek(kHnswStockHeaderSize, "the end of the header"));
  if (cur > c.remaining() / sdpe) {
    return c.Error(fmt::format("header claims {} elements of {} bytes but only {} bytes follow", cur, sdpe, c.remaining()));
  }
  LegacyIndexFile f;
  f.path = path;
  f.elements = cur;
  f.dimension = h.dim();
  for (uint64_t i = 0; i < cur; ++i) {
    uint8_t flags = c.current()[i * sdpe + 2];
    if (flags & 1) ++f.deleted;
  }
  return f;
}

std::map<std::string, Result<LegacyIndexFile>> ScanLegacyIndexDir(const std::string& dir) {
  std::map<std::string, Result<LegacyIndexFile>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "index", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("index_", 0) != 0 || e.path().extension() != ".bin" || name.rfind("index_metadata_", 0) == 0) continue;
    std::string uuid = name.substr(6, name.size() - 6 - 4);
    out.emplace(uuid, ReadLegacyIndexFile(e.path().string()));
  }
  return out;
}

}  // namespace cm
