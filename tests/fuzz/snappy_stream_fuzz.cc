// Fuzz target: SnappyStream, differentially. The first byte picks the read size; the rest is a
// raw snappy block. Whenever the snappy library decodes the block, SnappyStream must decode it
// too, to the same bytes; on anything else it may fail, but only with a Status.
#include <snappy.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "formats/parquet/snappy_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t read = size_t{1} << (data[0] % 21);  // 1 B .. 1 MiB
  const char* block = reinterpret_cast<const char*>(data + 1);
  size_t n = size - 1;
  size_t len = 0;
  if (!snappy::GetUncompressedLength(block, n, &len) || len > (size_t{64} << 20)) return 0;
  std::string want;
  bool library_ok = snappy::Uncompress(block, n, &want);
  cm::parquet::SnappyStream s(data + 1, n, "fuzz.parquet", 0);
  std::string got(len, '\0');
  bool ok = s.Init().ok();
  for (size_t at = 0; ok && at < len; at += read) {
    ok = s.Read(reinterpret_cast<uint8_t*>(got.data() + at), std::min(read, len - at)).ok();
  }
  if (library_ok && (!ok || got != want)) std::abort();
  return 0;
}
