// Fuzz target: index_metadata.pickle reader (both the Rust dict and the Python class forms).
#include <cstdint>
#include <string_view>

#include "formats/pickle/index_metadata_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cm::ReadIndexMetadataPickle(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pickle");
  return 0;
}
