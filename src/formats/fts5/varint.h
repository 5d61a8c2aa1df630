// SQLite's variable-length integers, as FTS5 writes them in its segments, doclists and records
// (sqlite3Fts5PutVarint is SQLite's own record varint): 1 to 9 bytes, most significant group
// first; the first eight bytes carry 7 bits each with the top bit saying another byte follows,
// a ninth byte carries 8 bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cm::fts5 {

inline constexpr size_t kMaxVarintBytes = 9;

// Writes `v` at `out` (room for kMaxVarintBytes) and returns the bytes written.
inline size_t PutVarint(uint8_t* out, uint64_t v) {
  if (v <= 0x7f) {
    out[0] = static_cast<uint8_t>(v);
    return 1;
  }
  if (v <= 0x3fff) {
    out[0] = static_cast<uint8_t>((v >> 7) | 0x80);
    out[1] = static_cast<uint8_t>(v & 0x7f);
    return 2;
  }
  if (v >> 56) {  // nine bytes: the last holds the low 8 bits
    out[8] = static_cast<uint8_t>(v);
    v >>= 8;
    for (int i = 7; i >= 0; --i) {
      out[i] = static_cast<uint8_t>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    return 9;
  }
  uint8_t groups[8];
  size_t n = 0;
  do {
    groups[n++] = static_cast<uint8_t>((v & 0x7f) | 0x80);
    v >>= 7;
  } while (v != 0);
  groups[0] &= 0x7f;  // the last byte written (least significant group) ends the varint
  for (size_t i = 0; i < n; ++i) out[i] = groups[n - 1 - i];
  return n;
}

inline size_t VarintSize(uint64_t v) {
  uint8_t scratch[kMaxVarintBytes];
  return PutVarint(scratch, v);
}

inline void AppendVarint(std::vector<uint8_t>& out, uint64_t v) {
  const size_t at = out.size();
  out.resize(at + kMaxVarintBytes);
  out.resize(at + PutVarint(out.data() + at, v));
}

// Reads a varint at `in`, which must hold a complete one (the data here is this program's own).
inline size_t GetVarint(const uint8_t* in, uint64_t* v) {
  uint64_t x = 0;
  for (size_t i = 0; i < 8; ++i) {
    x = (x << 7) | (in[i] & 0x7f);
    if ((in[i] & 0x80) == 0) {
      *v = x;
      return i + 1;
    }
  }
  *v = (x << 8) | in[8];
  return 9;
}

}  // namespace cm::fts5
