// Thrift compact-protocol decoding, just enough for parquet's footer and page headers.
//
// CompactReader walks a ByteCursor (so every read is bounds-checked and errors carry the file
// offset). ReadStruct() calls back once per field with the field id and wire type; the callback
// either decodes the field with the typed readers or calls Skip(). Nesting (structs, lists, maps,
// skipped values) is limited to kMaxDepth levels so crafted input cannot exhaust the stack.
// Element counts of lists are checked against the bytes left (every element takes at least one
// byte), so a count never sizes an allocation larger than the input.
//
// Not thread-safe; one reader per cursor.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "io/byte_cursor.h"

namespace cm::parquet::thrift {

// Wire types of the compact protocol.
enum CType : uint8_t {
  kStop = 0, kBoolTrue = 1, kBoolFalse = 2, kByte = 3, kI16 = 4, kI32 = 5, kI64 = 6,
  kDouble = 7, kBinary = 8, kList = 9, kSet = 10, kMap = 11, kStruct = 12,
};

const char* CTypeName(uint8_t type);

class CompactReader {
 public:
  static constexpr int kMaxDepth = 32;

  explicit CompactReader(ByteCursor* cursor) : cur_(cursor) {}

  ByteCursor& cursor() { return *cur_; }

  // Reads fields until STOP, calling on_field(id, type) for each; the callback must consume the
  // field's value (typed read or Skip).
  Status ReadStruct(std::string_view what, const std::function<Status(int16_t, uint8_t)>& on_field);

  // Typed readers. `type` is the wire type announced by the field header (checked here).
  Status ReadI32(uint8_t type, int32_t* out, std::string_view what);
  Status ReadI64(uint8_t type, int64_t* out, std::string_view what);
  Status ReadBool(uint8_t type, bool* out, std::string_view what);
  Status ReadBinary(uint8_t type, std::string_view* out, std::string_view what);
  Status ReadString(uint8_t type, std::string* out, std::string_view what);
  // Reads a list header; `elem_type` receives the element wire type.
  Status ReadListHeader(uint8_t type, uint8_t* elem_type, uint32_t* size, std::string_view what);
  // Element readers for list elements (no field header).
  Status ReadElemI32(uint8_t elem_type, int32_t* out, std::string_view what);

  // Skips one value of wire type `type` (as announced by a field header or a list header).
  Status Skip(uint8_t type, std::string_view what, bool in_list = false);

  // Fails with a message naming the field when `type` is not `expected`.
  Status Expect(uint8_t type, uint8_t expected, std::string_view what) const;

 private:
  Status ReadVarintI32(int32_t* out, std::string_view what);
  ByteCursor* cur_;
  int depth_ = 0;
};

}  // namespace cm::parquet::thrift
