// The parts of parquet's Thrift metadata this reader uses: FileMetaData (footer) with its
// SchemaElements, RowGroups, ColumnChunks and ColumnMetaData, and PageHeader with the v1 data,
// v2 data and dictionary page headers. Unknown fields are skipped; required fields that are
// missing, and fields of the wrong wire type, are Corrupt errors naming the offset.
//
// Decoding only bounds-checks and checks presence; semantic checks (offsets inside the file,
// sizes against the column chunk) belong to the reader, which knows the file layout.
// Plain value types; not thread-safe while mutated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/byte_cursor.h"

namespace cm::parquet {

// Parquet enum values (parquet.thrift).
enum Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum ConvertedType : int32_t { kConvertedUtf8 = 0, kConvertedMap = 1, kConvertedMapKeyValue = 2, kConvertedList = 3 };
enum Encoding : int32_t {
  kPlain = 0, kPlainDictionary = 2, kRle = 3, kBitPacked = 4, kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6, kDeltaByteArray = 7, kRleDictionary = 8, kByteStreamSplit = 9,
};
enum Codec : int32_t {
  kUncompressed = 0, kSnappy = 1, kGzip = 2, kLzo = 3, kBrotli = 4, kLz4 = 5, kZstd = 6, kLz4Raw = 7,
};
enum PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };

const char* EncodingName(int32_t encoding);
const char* CodecName(int32_t codec);
const char* PageTypeName(int32_t type);

struct SchemaElement {
  std::optional<int32_t> type;            // physical type; absent for groups
  int32_t type_length = 0;
  std::optional<int32_t> repetition;      // absent only for the root
  std::string name;
  int32_t num_children = 0;
  std::optional<int32_t> converted_type;
  bool logical_list = false;              // LogicalType.LIST set
  uint64_t offset = 0;                    // file offset of the element, for messages
};

struct ColumnMetaData {
  int32_t type = 0;
  std::vector<int32_t> encodings;
  std::vector<std::string> path_in_schema;
  int32_t codec = 0;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
};

struct ColumnChunk {
  std::string file_path;                  // non-empty: the data is in another file
  int64_t file_offset = 0;
  std::optional<ColumnMetaData> meta_data;
  uint64_t offset = 0;                    // file offset of the struct, for messages
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  uint64_t offset = 0;
};

struct FileMetaData {
  int32_t version = 0;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::string created_by;
};

struct DataPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
  int32_t definition_level_encoding = 0;
  int32_t repetition_level_encoding = 0;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t encoding = 0;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
};

struct PageHeader {
  int32_t type = 0;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<DataPageHeader> data_page;
  std::optional<DictionaryPageHeader> dictionary_page;
  std::optional<DataPageHeaderV2> data_page_v2;
};

// Decodes the footer struct from `cur` (positioned at its first byte).
Status DecodeFileMetaData(ByteCursor* cur, FileMetaData* out);
// Decodes one page header from `cur`, leaving it positioned at the page data.
Status DecodePageHeader(ByteCursor* cur, PageHeader* out);

}  // namespace cm::parquet
