// WriteAroundCache: a new file holding one buffer of 1 MiB or more, written with O_DIRECT where the file
// system allows it. A graph's data_level0.bin (126 MB at 20,000 × 1536, 1.6 GB at a million ×
// 384) is written once, at the end, while nothing else runs: through the page cache that is a
// single-threaded copy into freshly allocated cache pages followed by an fsync that writes them
// out, 0.1–0.45 s per 126 MB on the bench machine; around it, the disk reads the bytes from an
// aligned bounce buffer, about 0.1 s, and the later fsync has little left to do.
// Where O_DIRECT is refused (tmpfs, some FUSE and network file systems, an alignment the file
// system rejects) the same bytes go through the page cache instead; the result is identical.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "core/status.h"

namespace cm {

// Creates `path` (which must not exist) holding the `n` bytes at `data`. IoError names the file
// and the offset that failed.
Status WriteAroundCache(const std::string& path, const void* data, size_t n);

// The same for bytes made as they are written: `fill(offset, dst, len)` puts bytes
// [offset, offset + len) of the file into `dst`, chunk by chunk (8 MiB at most, in order, but a
// chunk may be asked for again if the file system refuses O_DIRECT after the first). A failed
// fill is returned as it is, and the file is removed.
using FillBytes = std::function<Status(size_t offset, char* dst, size_t len)>;
Status WriteAroundCache(const std::string& path, size_t n, const FillBytes& fill);
// The fill for bytes that are in memory already (they must outlive it).
FillBytes FillFromMemory(const void* data);

}  // namespace cm
