// Parquet reader for the files Chroma 0.1–0.3.29 wrote through DuckDB (any version).
//
// Scope: flat BYTE_ARRAY (UTF8) columns and LIST<DOUBLE|FLOAT> columns (3-level LIST as DuckDB
// writes it, and the legacy 2-level `repeated double` form), plus plain DOUBLE/FLOAT/INT32/
// INT64 leaves read as doubles. Encodings PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, RLE and
// BIT_PACKED levels, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
// BYTE_STREAM_SPLIT; DataPage v1 and v2; any number of row groups and pages; codecs
// UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4 (Hadoop framing), LZ4_RAW and BROTLI.
//
// Streaming: a ColumnStream decodes one page at a time, so memory is bounded by the largest
// page plus the rows requested, not by the file. Columns are opened by name; callers read the
// same number of rows from each to assemble records.
//
// Errors are Status::Corrupt/Unsupported naming the file, the byte offset and what was expected
// and found ("chroma-embeddings.parquet at offset 1234: page header: compressed_page_size
// 99999 exceeds the column chunk (512 bytes left)"). Every length read from the file is checked
// against the bytes that remain before it sizes an allocation. The file is opened read-only.
//
// A FileReader and the ColumnStreams it opens must be used from one thread at a time; streams
// of one file may be read in any interleaving. Streams borrow the FileReader: keep it alive.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace cm::parquet {

enum class PhysicalType : int32_t {
  kBoolean = 0, kInt32 = 1, kInt64 = 2, kInt96 = 3, kFloat = 4, kDouble = 5,
  kByteArray = 6, kFixedLenByteArray = 7,
};

// One top-level field of the file schema.
struct FieldInfo {
  std::string name;
  PhysicalType leaf_type;       // physical type of the (single) leaf under this field
  bool is_list = false;         // a LIST (3-level or 2-level) of leaf values
  int max_definition_level = 0;
  int max_repetition_level = 0;
};

// Rows of a LIST<DOUBLE> column: row r's elements are values[offsets[r] .. offsets[r+1]).
struct DoubleListBatch {
  std::vector<uint8_t> row_is_null;       // 1 when the list itself is NULL
  std::vector<uint64_t> offsets{0};       // size = rows + 1
  std::vector<double> values;             // NULL elements are stored as NaN ...
  std::vector<uint8_t> value_is_null;     // ... and flagged 1 here (same size as values)
  size_t rows() const { return row_is_null.size(); }
  void Clear() { row_is_null.clear(); offsets.assign(1, 0); values.clear(); value_is_null.clear(); }
};

class FileReader;

class ColumnStream {
 public:
  virtual ~ColumnStream() = default;
  // Appends up to `max_rows` rows (fewer only at the end of the file) to `out`.
  // For BYTE_ARRAY columns: nullopt for NULL.
  virtual Status ReadStrings(size_t max_rows, std::vector<std::optional<std::string>>* out) = 0;
  // For LIST columns of DOUBLE/FLOAT/INT32/INT64 leaves, and for flat numeric columns
  // (each row then is a one-element list, or a NULL list).
  virtual Status ReadDoubleLists(size_t max_rows, DoubleListBatch* out) = 0;
  virtual uint64_t rows_read() const = 0;
};

class FileReader {
 public:
  // Maps `path`, validates the magic bytes and decodes the footer. Fails with NotFound when the
  // file is missing and with Corrupt (naming the offset) when it is not a parquet file.
  static Result<std::unique_ptr<FileReader>> Open(const std::string& path);
  virtual ~FileReader() = default;

  virtual const std::string& path() const = 0;
  virtual uint64_t num_rows() const = 0;
  virtual size_t num_row_groups() const = 0;
  virtual const std::string& created_by() const = 0;
  virtual const std::vector<FieldInfo>& fields() const = 0;
  // NotFound (listing the columns that exist) when there is no such top-level field.
  virtual Result<std::unique_ptr<ColumnStream>> OpenColumn(const std::string& name) = 0;
};

}  // namespace cm::parquet
