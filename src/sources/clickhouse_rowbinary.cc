#include "sources/clickhouse_rowbinary.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace cm::clickhouse {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Result<ColumnType> Wrap(ColumnType::Kind kind, std::string_view inner) {
  CM_ASSIGN_OR_RETURN(ColumnType child, ParseColumnType(inner));
  if (kind == ColumnType::Kind::kNullable && (child.kind == ColumnType::Kind::kNullable ||
                                              child.kind == ColumnType::Kind::kArray)) {
    return Status::Unsupported(fmt::format("Nullable({}) is not a valid ClickHouse type", child.ToString()));
  }
  ColumnType t;
  t.kind = kind;
  t.child = std::make_shared<const ColumnType>(std::move(child));
  return t;
}

// Reads `what` of n bytes or reports a short read.
Status Need(ByteCursor* c, size_t n, std::string_view what, bool* short_read) {
  if (c->remaining() >= n) return Status::Ok();
  *short_read = true;
  return c->Truncated(what, n);
}

Status ReadLength(ByteCursor* c, const std::string& what, bool* short_read, uint64_t* n) {
  Status st = c->ReadVarint(n, what);
  if (!st.ok() && c->remaining() == 0) *short_read = true;
  return st;
}

Status ReadString(ByteCursor* c, const Limits& limits, const std::string& column, bool* short_read,
                  std::string* out) {
  uint64_t n = 0;
  size_t start = c->position();
  CM_RETURN_IF_ERROR(ReadLength(c, column + " string length", short_read, &n));
  if (n > limits.max_string_bytes) {
    ByteCursor at = *c;
    (void)at.Seek(start, "string");
    return at.Error(fmt::format("{}: string length {} exceeds the limit of {} bytes", column, n,
                                limits.max_string_bytes));
  }
  CM_RETURN_IF_ERROR(Need(c, n, column + " string bytes", short_read));
  std::string_view bytes;
  CM_RETURN_IF_ERROR(c->ReadBytes(n, &bytes, column));
  out->assign(bytes);
  return Status::Ok();
}

Status ReadFloat(const ColumnType& t, ByteCursor* c, const std::string& column, bool* short_read, double* out) {
  if (t.kind == ColumnType::Kind::kFloat64) {
    CM_RETURN_IF_ERROR(Need(c, 8, column + " Float64", short_read));
    return c->ReadLE(out, column);
  }
  float f = 0;
  CM_RETURN_IF_ERROR(Need(c, 4, column + " Float32", short_read));
  CM_RETURN_IF_ERROR(c->ReadLE(&f, column));
  *out = f;
  return Status::Ok();
}

Status ReadArray(const ColumnType& t, ByteCursor* c, const Limits& limits, const std::string& column,
                 bool* short_read, Cell* cell) {
  uint64_t n = 0;
  size_t start = c->position();
  CM_RETURN_IF_ERROR(ReadLength(c, column + " array length", short_read, &n));
  if (n > limits.max_array_elements) {
    ByteCursor at = *c;
    (void)at.Seek(start, "array");
    return at.Error(fmt::format("{}: array length {} exceeds the limit of {} elements", column, n,
                                limits.max_array_elements));
  }
  const ColumnType& elem = *t.child;
  const ColumnType& base = elem.Base();
  if (base.kind != ColumnType::Kind::kFloat64 && base.kind != ColumnType::Kind::kFloat32) {
    return Status::Unsupported(fmt::format("{}: arrays of {} are not supported", column, elem.ToString()));
  }
  size_t width = base.kind == ColumnType::Kind::kFloat64 ? 8 : 4;
  // Every element needs at least one byte (a null flag) or `width`: check before reserving.
  CM_RETURN_IF_ERROR(Need(c, n * (elem.IsNullable() ? 1 : width), column + " array elements", short_read));
  cell->values.clear();
  cell->values.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (elem.IsNullable()) {
      uint8_t flag = 0;
      CM_RETURN_IF_ERROR(Need(c, 1, column + " element null flag", short_read));
      CM_RETURN_IF_ERROR(c->ReadU8(&flag, column));
      if (flag > 1) return c->Error(fmt::format("{}: element null flag is {}, expected 0 or 1", column, flag));
      if (flag == 1) {
        cell->values.push_back(std::numeric_limits<double>::quiet_NaN());
        ++cell->null_elements;
        continue;
      }
    }
    double v = 0;
    CM_RETURN_IF_ERROR(ReadFloat(base, c, column, short_read, &v));
    cell->values.push_back(v);
  }
  return Status::Ok();
}

Status ReadValue(const ColumnType& t, ByteCursor* c, const Limits& limits, const std::string& column,
                 bool* short_read, Cell* cell) {
  cell->is_null = false;
  cell->null_elements = 0;
  switch (t.kind) {
    case ColumnType::Kind::kNullable: {
      uint8_t flag = 0;
      CM_RETURN_IF_ERROR(Need(c, 1, column + " null flag", short_read));
      CM_RETURN_IF_ERROR(c->ReadU8(&flag, column));
      if (flag > 1) return c->Error(fmt::format("{}: null flag is {}, expected 0 or 1", column, flag));
      if (flag == 1) {
        cell->is_null = true;
        cell->text.clear();
        cell->values.clear();
        return Status::Ok();
      }
      return ReadValue(*t.child, c, limits, column, short_read, cell);
    }
    case ColumnType::Kind::kString:
      return ReadString(c, limits, column, short_read, &cell->text);
    case ColumnType::Kind::kUuid: {
      CM_RETURN_IF_ERROR(Need(c, 16, column + " UUID", short_read));
      std::string_view bytes;
      CM_RETURN_IF_ERROR(c->ReadBytes(16, &bytes, column));
      cell->text = FormatUuid(reinterpret_cast<const uint8_t*>(bytes.data()));
      return Status::Ok();
    }
    case ColumnType::Kind::kFloat64:
    case ColumnType::Kind::kFloat32:
      return ReadFloat(t, c, column, short_read, &cell->number);
    case ColumnType::Kind::kArray:
      return ReadArray(t, c, limits, column, short_read, cell);
  }
  return Status::Internal("unknown ClickHouse column kind");
}

}  // namespace

std::string ColumnType::ToString() const {
  switch (kind) {
    case Kind::kString: return "String";
    case Kind::kUuid: return "UUID";
    case Kind::kFloat64: return "Float64";
    case Kind::kFloat32: return "Float32";
    case Kind::kNullable: return "Nullable(" + child->ToString() + ")";
    case Kind::kArray: return "Array(" + child->ToString() + ")";
  }
  return "?";
}

Result<ColumnType> ParseColumnType(std::string_view text) {
  std::string_view s = Trim(text);
  ColumnType t;
  if (s == "String") return t;
  if (s == "UUID") {
    t.kind = ColumnType::Kind::kUuid;
    return t;
  }
  if (s == "Float64") {
    t.kind = ColumnType::Kind::kFloat64;
    return t;
  }
  if (s == "Float32") {
    t.kind = ColumnType::Kind::kFloat32;
    return t;
  }
  size_t open = s.find('(');
  if (open != std::string_view::npos && s.back() == ')') {
    std::string_view outer = s.substr(0, open);
    std::string_view inner = s.substr(open + 1, s.size() - open - 2);
    if (outer == "Nullable") return Wrap(ColumnType::Kind::kNullable, inner);
    if (outer == "Array") return Wrap(ColumnType::Kind::kArray, inner);
    if (outer == "LowCardinality") return ParseColumnType(inner);  // RowBinary writes the inner type
  }
  return Status::Unsupported(fmt::format("ClickHouse type {} is not supported", s));
}

std::string FormatUuid(const uint8_t bytes[16]) {
  // Each 8-byte half is a little-endian UInt64 holding 16 hex digits, most significant first.
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int half = 0; half < 2; ++half) {
    for (int i = 7; i >= 0; --i) {
      uint8_t b = bytes[half * 8 + i];
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
      size_t n = out.size();
      if (n == 8 || n == 13 || n == 18 || n == 23) out.push_back('-');
    }
  }
  return out;
}

Status DecodeRow(const std::vector<Column>& columns, const Limits& limits, ByteCursor* c, std::vector<Cell>* row,
                 bool* short_read) {
  *short_read = false;
  row->resize(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    CM_RETURN_IF_ERROR(ReadValue(columns[i].type, c, limits, columns[i].name, short_read, &(*row)[i]));
  }
  return Status::Ok();
}

void RowBinaryStream::Reset(std::string source) {
  source_ = std::move(source);
  buffer_.clear();
  consumed_ = 0;
  base_ = 0;
  rows_ = 0;
}

void RowBinaryStream::Compact() {
  if (consumed_ < (1u << 20) || consumed_ * 2 < buffer_.size()) return;
  buffer_.erase(0, consumed_);
  base_ += consumed_;
  consumed_ = 0;
}

Status RowBinaryStream::Next(std::vector<Cell>* row, bool* have) {
  *have = false;
  Compact();
  if (consumed_ >= buffer_.size()) return Status::Ok();
  ByteCursor c(std::string_view(buffer_).substr(consumed_), source_, base_ + consumed_);
  bool short_read = false;
  Status st = DecodeRow(columns_, limits_, &c, row, &short_read);
  if (!st.ok()) return short_read ? Status::Ok() : st;
  consumed_ += c.position();
  ++rows_;
  *have = true;
  return Status::Ok();
}

Status RowBinaryStream::Finish() {
  if (consumed_ >= buffer_.size()) return Status::Ok();
  ByteCursor c(std::string_view(buffer_).substr(consumed_), source_, base_ + consumed_);
  std::vector<Cell> row;
  bool short_read = false;
  Status st = DecodeRow(columns_, limits_, &c, &row, &short_read);
  if (!st.ok()) {
    return Status(st.code(), fmt::format("{} (the response ended inside row {}, which starts at offset {})",
                                         st.message(), rows_, base_ + consumed_));
  }
  return Status::Internal(fmt::format("{}: a complete row was left undecoded at offset {}", source_, offset()));
}

}  // namespace cm::clickhouse
