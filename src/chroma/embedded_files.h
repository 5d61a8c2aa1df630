// Files embedded into the binary at build time (cmake/embed_files.cmake): Chroma's migration
// SQL from data/chroma-schema/, byte for byte. Immutable; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace cm {

struct EmbeddedFile {
  const char* path;  // relative to data/chroma-schema/, e.g. "1.0.0/sysdb/00001-collections.sqlite.sql"
  const char* data;
  size_t size;
  std::string_view bytes() const { return {data, size}; }
};

const std::vector<EmbeddedFile>& EmbeddedSchemaFiles();

}  // namespace cm
