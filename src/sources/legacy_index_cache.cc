#include "sources/legacy_index_cache.h"

#include <fmt/format.h>

#include <filesystem>

#include "io/mapped_file.h"

namespace fs = std::filesystem;

namespace cm {

Result<LegacyIndexFile> ReadLegacyIndexFile(const std::string& path) {
  CM_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  ByteCursor c = file.cursor();
  uint64_t offset_level0 = 0, max_elements = 0, cur = 0, sdpe = 0, label_offset = 0, offset_data = 0;
  CM_RETURN_IF_ERROR(c.ReadLE(&offset_level0, "offsetLevel0"));
  CM_RETURN_IF_ERROR(c.ReadLE(&max_elements, "max_elements"));
  CM_RETURN_IF_ERROR(c.ReadLE(&cur, "cur_element_count"));
  CM_RETURN_IF_ERROR(c.ReadLE(&sdpe, "size_data_per_element"));
  CM_RETURN_IF_ERROR(c.ReadLE(&label_offset, "label_offset"));
  CM_RETURN_IF_ERROR(c.ReadLE(&offset_data, "offsetData"));
  CM_RETURN_IF_ERROR(c.Seek(96, "the end of the header"));
  if (offset_data < 4 || label_offset < offset_data || (label_offset - offset_data) % 4 != 0 ||
      sdpe != label_offset + 8) {
    return c.Error(fmt::format("inconsistent hnswlib header (offsetData {}, label_offset {}, size_data_per_element {})",
                               offset_data, label_offset, sdpe));
  }
  if (cur > max_elements || sdpe == 0 || cur > c.remaining() / sdpe) {
    return c.Error(fmt::format("header claims {} elements of {} bytes but only {} bytes follow", cur, sdpe, c.remaining()));
  }
  LegacyIndexFile f;
  f.path = path;
  f.elements = cur;
  f.dimension = (label_offset - offset_data) / 4;
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
