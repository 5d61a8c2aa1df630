#include "formats/parquet/thrift_compact.h"

#include <fmt/format.h>

#include <limits>

namespace cm::parquet::thrift {

const char* CTypeName(uint8_t type) {
  switch (type) {
    case kStop: return "stop";
    case kBoolTrue: case kBoolFalse: return "bool";
    case kByte: return "byte";
    case kI16: return "i16";
    case kI32: return "i32";
    case kI64: return "i64";
    case kDouble: return "double";
    case kBinary: return "binary";
    case kList: return "list";
    case kSet: return "set";
    case kMap: return "map";
    case kStruct: return "struct";
    default: return "unknown";
  }
}

namespace {
// RAII depth counter.
class DepthGuard {
 public:
  explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
  ~DepthGuard() { --*depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
 private:
  int* depth_;
};
}  // namespace

Status CompactReader::Expect(uint8_t type, uint8_t expected, std::string_view what) const {
  bool ok = type == expected ||
            ((expected == kBoolTrue || expected == kBoolFalse) && (type == kBoolTrue || type == kBoolFalse)) ||
            ((expected == kList || expected == kSet) && (type == kList || type == kSet));
  if (ok) return Status::Ok();
  return cur_->Error(fmt::format("thrift field {}: expected wire type {}, found {} ({})", what,
                                 CTypeName(expected), CTypeName(type), type));
}

Status CompactReader::ReadStruct(std::string_view what,
                                 const std::function<Status(int16_t, uint8_t)>& on_field) {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxDepth) {
    return cur_->Error(fmt::format("thrift struct {}: nesting deeper than {} levels", what, kMaxDepth));
  }
  int16_t last_id = 0;
  for (;;) {
    uint8_t header = 0;
    CM_RETURN_IF_ERROR(cur_->ReadU8(&header, fmt::format("thrift field header in {}", what)));
    uint8_t type = header & 0x0f;
    if (type == kStop) {
      if (header != 0) return cur_->Error(fmt::format("thrift struct {}: malformed stop byte 0x{:02x}", what, header));
      return Status::Ok();
    }
    if (type > kStruct) {
      return cur_->Error(fmt::format("thrift struct {}: unknown wire type {}", what, type));
    }
    int16_t id = 0;
    uint8_t delta = header >> 4;
    if (delta != 0) {
      id = static_cast<int16_t>(last_id + delta);
    } else {
      int64_t v = 0;
      CM_RETURN_IF_ERROR(cur_->ReadZigZag(&v, fmt::format("thrift field id in {}", what)));
      if (v < std::numeric_limits<int16_t>::min() || v > std::numeric_limits<int16_t>::max()) {
        return cur_->Error(fmt::format("thrift struct {}: field id {} out of range", what, v));
      }
      id = static_cast<int16_t>(v);
    }
    last_id = id;
    CM_RETURN_IF_ERROR(on_field(id, type));
  }
}

Status CompactReader::ReadVarintI32(int32_t* out, std::string_view what) {
  int64_t v = 0;
  CM_RETURN_IF_ERROR(cur_->ReadZigZag(&v, what));
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return cur_->Error(fmt::format("thrift {}: value {} does not fit i32", what, v));
  }
  *out = static_cast<int32_t>(v);
  return Status::Ok();
}

Status CompactReader::ReadI32(uint8_t type, int32_t* out, std::string_view what) {
  CM_RETURN_IF_ERROR(Expect(type, kI32, what));
  return ReadVarintI32(out, what);
}

Status CompactReader::ReadElemI32(uint8_t elem_type, int32_t* out, std::string_view what) {
  CM_RETURN_IF_ERROR(Expect(elem_type, kI32, what));
  return ReadVarintI32(out, what);
}

Status CompactReader::ReadI64(uint8_t type, int64_t* out, std::string_view what) {
  if (type == kI32) {  // accept a narrower integer where a wider one is declared
    int32_t v = 0;
    CM_RETURN_IF_ERROR(ReadVarintI32(&v, what));
    *out = v;
    return Status::Ok();
  }
  CM_RETURN_IF_ERROR(Expect(type, kI64, what));
  return cur_->ReadZigZag(out, what);
}

Status CompactReader::ReadBool(uint8_t type, bool* out, std::string_view what) {
  CM_RETURN_IF_ERROR(Expect(type, kBoolTrue, what));
  *out = type == kBoolTrue;
  return Status::Ok();
}

Status CompactReader::ReadBinary(uint8_t type, std::string_view* out, std::string_view what) {
  CM_RETURN_IF_ERROR(Expect(type, kBinary, what));
  uint64_t len = 0;
  CM_RETURN_IF_ERROR(cur_->ReadVarint(&len, what));
  if (len > cur_->remaining()) {
    return cur_->Error(fmt::format("thrift {}: length {} exceeds the {} bytes left", what, len, cur_->remaining()));
  }
  return cur_->ReadBytes(static_cast<size_t>(len), out, what);
}

Status CompactReader::ReadString(uint8_t type, std::string* out, std::string_view what) {
  std::string_view v;
  CM_RETURN_IF_ERROR(ReadBinary(type, &v, what));
  out->assign(v);
  return Status::Ok();
}

Status CompactReader::ReadListHeader(uint8_t type, uint8_t* elem_type, uint32_t* size,
                                     std::string_view what) {
  CM_RETURN_IF_ERROR(Expect(type, kList, what));
  uint8_t header = 0;
  CM_RETURN_IF_ERROR(cur_->ReadU8(&header, what));
  uint64_t n = header >> 4;
  if (n == 15) CM_RETURN_IF_ERROR(cur_->ReadVarint(&n, what));
  *elem_type = header & 0x0f;
  if (*elem_type == kStop || *elem_type > kStruct) {
    return cur_->Error(fmt::format("thrift list {}: unknown element type {}", what, *elem_type));
  }
  if (n > cur_->remaining()) {
    return cur_->Error(fmt::format("thrift list {}: {} elements cannot fit in the {} bytes left", what, n,
                                   cur_->remaining()));
  }
  *size = static_cast<uint32_t>(n);
  return Status::Ok();
}

Status CompactReader::Skip(uint8_t type, std::string_view what, bool in_list) {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxDepth) {
    return cur_->Error(fmt::format("thrift value {}: nesting deeper than {} levels", what, kMaxDepth));
  }
  switch (type) {
    case kBoolTrue:
    case kBoolFalse:
      if (in_list) return cur_->Skip(1, what);  // list elements carry the bool as a byte
      return Status::Ok();
    case kByte: return cur_->Skip(1, what);
    case kI16:
    case kI32:
    case kI64: {
      uint64_t v = 0;
      return cur_->ReadVarint(&v, what);
    }
    case kDouble: return cur_->Skip(8, what);
    case kBinary: {
      std::string_view v;
      return ReadBinary(type, &v, what);
    }
    case kList:
    case kSet: {
      uint8_t elem = 0;
      uint32_t n = 0;
      CM_RETURN_IF_ERROR(ReadListHeader(kList, &elem, &n, what));
      for (uint32_t i = 0; i < n; ++i) CM_RETURN_IF_ERROR(Skip(elem, what, true));
      return Status::Ok();
    }
    case kMap: {
      uint64_t n = 0;
      CM_RETURN_IF_ERROR(cur_->ReadVarint(&n, what));
      if (n == 0) return Status::Ok();
      if (n > cur_->remaining()) {
        return cur_->Error(fmt::format("thrift map {}: {} entries cannot fit in the {} bytes left", what, n,
                                       cur_->remaining()));
      }
      uint8_t kv = 0;
      CM_RETURN_IF_ERROR(cur_->ReadU8(&kv, what));
      uint8_t kt = kv >> 4, vt = kv & 0x0f;
      if (kt == kStop || kt > kStruct || vt == kStop || vt > kStruct) {
        return cur_->Error(fmt::format("thrift map {}: unknown key/value types 0x{:02x}", what, kv));
      }
      for (uint64_t i = 0; i < n; ++i) {
        CM_RETURN_IF_ERROR(Skip(kt, what, true));
        CM_RETURN_IF_ERROR(Skip(vt, what, true));
      }
      return Status::Ok();
    }
    case kStruct:
      return ReadStruct(what, [&](int16_t, uint8_t t) { return Skip(t, what); });
    default:
      return cur_->Error(fmt::format("thrift value {}: unknown wire type {}", what, type));
  }
}

}  // namespace cm::parquet::thrift
