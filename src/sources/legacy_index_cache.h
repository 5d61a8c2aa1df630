// The legacy index/ folder: per collection a stock hnswlib file index_<uuid>.bin (plus
// pickles) that Chroma 0.3 rewrote on every write. It is a cache, never the source of truth;
// `plan` compares it with the parquet rows to point out stale or orphaned caches
// (legacy-formats.md §2.3). Only the 96-byte header and the level-0 delete flags are read,
// through bounds-checked cursors. Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"

namespace cm {

struct LegacyIndexFile {
  std::string path;
  uint64_t elements = 0;  // cur_element_count
  uint64_t deleted = 0;   // elements whose DELETE_MARK flag is set
  uint64_t dimension = 0;
};

// Reads the header and delete flags of a stock hnswlib index file.
Result<LegacyIndexFile> ReadLegacyIndexFile(const std::string& path);
// All index_<uuid>.bin files below dir/index, keyed by collection uuid.
std::map<std::string, Result<LegacyIndexFile>> ScanLegacyIndexDir(const std::string& dir);

}  // namespace cm
