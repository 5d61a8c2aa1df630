#include "io/byte_cursor.h"

#include <fmt/format.h>

namespace cm {

Status ByteCursor::Error(std::string_view what) const {
  return Status::Corrupt(fmt::format("{} at offset {}: {}", source_, file_offset(), what));
}

Status ByteCursor::Truncated(std::string_view what, size_t need) const {
  return Status::Corrupt(fmt::format("{} at offset {}: truncated while reading {} (need {} bytes, {} left)",
                                     source_, file_offset(), what, need, remaining()));
}

Status ByteCursor::Skip(size_t n, std::string_view what) {
  if (remaining() < n) return Truncated(what, n);
  pos_ += n;
  return Status::Ok();
}

Status ByteCursor::Seek(size_t pos, std::string_view what) {
  if (pos > size_) {
    return Error(fmt::format("{} points to position {} beyond the end ({} bytes)", what, pos, size_));
  }
  pos_ = pos;
  return Status::Ok();
}

Status ByteCursor::ReadU8(uint8_t* out, std::string_view what) {
  if (remaining() < 1) return Truncated(what, 1);
  *out = data_[pos_++];
  return Status::Ok();
}

Status ByteCursor::ReadBytes(size_t n, std::string_view* out, std::string_view what) {
  if (remaining() < n) return Truncated(what, n);
  *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n;
  return Status::Ok();
}

Status ByteCursor::Slice(size_t n, ByteCursor* out, std::string_view what) {
  if (remaining() < n) return Truncated(what, n);
  *out = ByteCursor(data_ + pos_, n, source_, base_ + pos_);
  pos_ += n;
  return Status::Ok();
}

Status ByteCursor::ReadVarint(uint64_t* out, std::string_view what) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (remaining() < 1) return Truncated(what, 1);
    uint8_t b = data_[pos_++];
    if (shift == 63 && (b & 0x7e) != 0) return Error(fmt::format("varint for {} overflows 64 bits", what));
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = result;
      return Status::Ok();
    }
  }
  return Error(fmt::format("varint for {} is longer than 10 bytes", what));
}

Status ByteCursor::ReadZigZag(int64_t* out, std::string_view what) {
  uint64_t u;
  CM_RETURN_IF_ERROR(ReadVarint(&u, what));
  *out = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return Status::Ok();
}

}  // namespace cm
