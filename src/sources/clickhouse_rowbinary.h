// ClickHouse RowBinary decoding: the column types a legacy Chroma table uses and a streaming row
// reader for an HTTP response in FORMAT RowBinary.
//
// Types: String, UUID, Float64, Float32, Nullable(T), Array(T), LowCardinality(T) (serialised as
// T). Encodings (ClickHouse docs, "RowBinary"): String = LEB128 length + bytes; UUID = 16 bytes,
// two little-endian UInt64 halves, the first half of the hex text first (so bytes 0-7 are hex
// digits 0-15 reversed); Float64/32 = little-endian IEEE, kept bit for bit; Nullable = one flag
// byte (1 = NULL, then no value); Array = LEB128 element count + elements.
//
// RowBinaryStream owns a byte buffer that an HTTP response is appended to; Next() decodes one
// complete row at a time and reports "need more bytes" instead of an error while the row is
// incomplete, so memory stays bounded by one row plus one network chunk. Every length read from
// the wire is checked against Limits before it sizes anything. Offsets in messages are offsets in
// the response. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/byte_cursor.h"

namespace cm::clickhouse {

struct ColumnType {
  enum class Kind { kString, kUuid, kFloat64, kFloat32, kNullable, kArray };
  Kind kind = Kind::kString;
  std::shared_ptr<const ColumnType> child;  // Nullable and Array (immutable, shared by copies)

  std::string ToString() const;
  bool IsNullable() const { return kind == Kind::kNullable; }
  // The type under Nullable (itself when not Nullable).
  const ColumnType& Base() const { return kind == Kind::kNullable ? *child : *this; }
};

// Parses a ClickHouse type name as system.columns spells it: "Nullable(String)", "Array(Float64)".
// Unsupported names any other type (the caller adds which column has it).
Result<ColumnType> ParseColumnType(std::string_view text);

struct Column {
  std::string name;
  ColumnType type;
};

struct Limits {
  uint64_t max_string_bytes = 256ull << 20;   // one document or metadata text
  uint64_t max_array_elements = 1ull << 22;   // one embedding (4,194,304 dimensions)
};

// One decoded value. Strings and UUIDs (as 36-char lowercase text) go to `text`; arrays to
// `values` (NULL elements become NaN and are counted in null_elements); scalars to `number`.
struct Cell {
  bool is_null = false;
  std::string text;
  std::vector<double> values;
  size_t null_elements = 0;
  double number = 0;
};

// 16 RowBinary bytes -> "00112233-4455-6677-8899-aabbccddeeff".
std::string FormatUuid(const uint8_t bytes[16]);

// Decodes one row of `columns` from *c into *row (resized to columns.size()). When the bytes end
// inside the row, *short_read is set and the returned error is the exact truncation message.
Status DecodeRow(const std::vector<Column>& columns, const Limits& limits, ByteCursor* c, std::vector<Cell>* row,
                 bool* short_read);

class RowBinaryStream {
 public:
  RowBinaryStream(std::vector<Column> columns, Limits limits) : columns_(std::move(columns)), limits_(limits) {}

  // Starts a new response; `source` names it in messages.
  void Reset(std::string source);
  // Where the network appends received bytes.
  std::string* buffer() { return &buffer_; }
  void Append(std::string_view bytes) { buffer_.append(bytes); }

  // Decodes the next complete row into *row and sets *have; *have = false when the buffered bytes
  // end inside a row (append more and call again). Errors are Corrupt with the response offset.
  Status Next(std::vector<Cell>* row, bool* have);
  // The response ended: OK if no partial row remains, else the truncation error at its offset.
  Status Finish();

  uint64_t rows() const { return rows_; }
  uint64_t offset() const { return base_ + consumed_; }  // response offset of the next row
  size_t buffered() const { return buffer_.size() - consumed_; }
  const std::vector<Column>& columns() const { return columns_; }

 private:
  void Compact();

  std::vector<Column> columns_;
  Limits limits_;
  std::string source_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already decoded
  uint64_t base_ = 0;    // response offset of buffer_[0]
  uint64_t rows_ = 0;
};

}  // namespace cm::clickhouse
