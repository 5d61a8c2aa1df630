// Internal to the parquet reader: what a ColumnStream needs to know about one leaf column (its
// levels and where each row group's chunk lies), and the factory FileReader::OpenColumn uses.
//
// Invariants established by FileReader::Open before a LeafColumn/ChunkLocation is built: every
// chunk's byte range lies inside the file's data region, num_rows and num_values are >= 0, and
// the level thresholds satisfy 0 <= def_list <= def_elem <= max_def with max_rep <= 1.
// A stream borrows the MappedFile; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "formats/parquet/parquet_reader.h"
#include "io/mapped_file.h"

namespace cm::parquet {

struct LeafColumn {
  std::string name;            // top-level field name
  PhysicalType type = PhysicalType::kDouble;
  bool is_list = false;
  int max_def = 0;
  int max_rep = 0;
  int def_list = 0;            // def >= def_list: the row (list) is not NULL
  int def_elem = 0;            // def >= def_elem: the entry is an element (NULL or not)
};

struct ChunkLocation {
  uint64_t start = 0;          // file offset of the first page header
  uint64_t size = 0;           // total_compressed_size
  uint64_t total_uncompressed = 0;
  int64_t num_rows = 0;        // of the row group
  int64_t num_values = 0;      // level entries in the chunk
  int32_t codec = 0;
  size_t row_group = 0;
};

std::unique_ptr<ColumnStream> MakeColumnStream(const MappedFile* file, LeafColumn leaf,
                                               std::vector<ChunkLocation> chunks);

}  // namespace cm::parquet
