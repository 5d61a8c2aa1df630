// Fuzz target: the Chroma/hnswlib segment header parser (header.bin), whose fields size every
// later read of the segment files.
#include <cstdint>
#include <string_view>

#include "formats/hnsw/segment_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cm::ParseHnswHeader(std::string_view(reinterpret_cast<const char*>(data), size), "header.bin");
  return 0;
}
