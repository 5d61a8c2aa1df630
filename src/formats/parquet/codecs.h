// Page decompression for every parquet codec this tool reads: UNCOMPRESSED, SNAPPY (libsnappy),
// GZIP (zlib, gzip or zlib framing, concatenated members), ZSTD (libzstd), LZ4 (Hadoop block
// framing, falling back to the LZ4 frame format and then to a raw block, as other readers do),
// LZ4_RAW (liblz4) and BROTLI (libbrotlidec). LZO is Unsupported.
//
// The caller sizes the output from the page header (already checked for sanity); decompression
// must produce exactly that many bytes, or the page is Corrupt. Libraries are used through their
// bounds-checked "safe" entry points only. Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "core/status.h"

namespace cm::parquet {

// Decompresses `in` into exactly `out_size` bytes at `out`. `source` and `offset` (the file
// offset of the compressed bytes) name the page in error messages. `consumed`, if set, may be
// called with the number of input bytes consumed so far (snappy, the codec DuckDB and so
// Chroma 0.3 write, reports every few MiB), so a caller can release them early.
Status Decompress(int32_t codec, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size,
                  std::string_view source, uint64_t offset, const std::function<void(size_t)>& consumed = {});

}  // namespace cm::parquet
