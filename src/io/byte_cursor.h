// ByteCursor: the only way untrusted bytes are read.
//
// A cursor walks a borrowed byte range. Every read checks the remaining length first and fails
// with a Status that names the source (usually a file path), the absolute offset and what was
// being read. `base_offset` is the range's position inside its file, so offsets in messages are
// file offsets even when the cursor covers a decompressed page or a slice.
//
// Not thread-safe; cheap to copy (copies share the borrowed bytes).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/status.h"

namespace cm {

class ByteCursor {
 public:
  ByteCursor() = default;
  ByteCursor(const uint8_t* data, size_t size, std::string_view source, uint64_t base_offset = 0)
      : data_(data), size_(size), pos_(0), base_(base_offset), source_(source) {}
  ByteCursor(std::string_view bytes, std::string_view source, uint64_t base_offset = 0)
      : ByteCursor(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), source,
                   base_offset) {}

  size_t size() const { return size_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  bool empty() const { return pos_ >= size_; }
  uint64_t file_offset() const { return base_ + pos_; }
  const std::string& source() const { return source_; }
  const uint8_t* current() const { return data_ + pos_; }

  // A Corrupt status "<source> at offset <n>: <what>".
  Status Error(std::string_view what) const;
  Status Truncated(std::string_view what, size_t need) const;

  Status Skip(size_t n, std::string_view what);
  Status Seek(size_t pos, std::string_view what);

  Status ReadU8(uint8_t* out, std::string_view what);
  template <typename T>
  Status ReadLE(T* out, std::string_view what) {  // little-endian fixed-width POD
    if (remaining() < sizeof(T)) return Truncated(what, sizeof(T));
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }
  Status ReadBytes(size_t n, std::string_view* out, std::string_view what);
  // A sub-cursor over the next n bytes (and advance past them).
  Status Slice(size_t n, ByteCursor* out, std::string_view what);

  // Unsigned LEB128 varint, at most 10 bytes; fails on overflow of 64 bits.
  Status ReadVarint(uint64_t* out, std::string_view what);
  Status ReadZigZag(int64_t* out, std::string_view what);

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  uint64_t base_ = 0;
  std::string source_;
};

}  // namespace cm
