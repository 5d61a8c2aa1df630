#include "formats/parquet/rle.h"

#include <fmt/format.h>

#include <algorithm>

#include "formats/parquet/file_metadata.h"

namespace cm::parquet {

int BitWidth(uint64_t max_value) {
  int w = 0;
  while (max_value != 0) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

uint64_t BitPackedLevelBytes(uint64_t num_values, int max_level) {
  return (num_values * static_cast<uint64_t>(BitWidth(static_cast<uint64_t>(max_level))) + 7) / 8;
}

uint64_t ReadBitsLsb(const uint8_t* p, size_t bit_offset, int width) {
  uint64_t result = 0;
  int done = 0;
  size_t byte = bit_offset >> 3;
  int shift = static_cast<int>(bit_offset & 7);
  while (done < width) {
    int take = std::min(8 - shift, width - done);
    uint64_t bits = (static_cast<uint64_t>(p[byte]) >> shift) & ((1u << take) - 1);
    result |= bits << done;
    done += take;
    shift = 0;
    ++byte;
  }
  return result;
}

Status RleBitPackedDecoder::NextRun() {
  uint64_t header = 0;
  CM_RETURN_IF_ERROR(cur_.ReadVarint(&header, "RLE/bit-packed run header"));
  if ((header & 1) == 0) {
    rle_left_ = header >> 1;
    int nbytes = (bw_ + 7) / 8;
    uint32_t v = 0;
    for (int i = 0; i < nbytes; ++i) {
      uint8_t b = 0;
      CM_RETURN_IF_ERROR(cur_.ReadU8(&b, "RLE run value"));
      v |= static_cast<uint32_t>(b) << (8 * i);
    }
    if (bw_ < 32 && (v >> bw_) != 0) {
      return cur_.Error(fmt::format("RLE run value {} does not fit the bit width {}", v, bw_));
    }
    rle_value_ = v;
    return Status::Ok();
  }
  uint64_t groups = header >> 1;
  if (bw_ == 0) {
    packed_left_ = groups * 8;
    packed_ = cur_.current();
    packed_bit_ = 0;
    return Status::Ok();
  }
  if (groups > cur_.remaining()) groups = cur_.remaining();  // bounded before multiplying
  // The last run may be cut short by writers that do not pad: accept the whole values present.
  size_t bytes = std::min<size_t>(static_cast<size_t>(groups) * bw_, cur_.remaining());
  packed_left_ = bytes * 8 / bw_;
  packed_ = cur_.current();
  packed_bit_ = 0;
  if (packed_left_ == 0 && groups > 0) {
    return cur_.Truncated("bit-packed run", static_cast<size_t>(groups) * bw_);
  }
  return cur_.Skip(bytes, "bit-packed run");
}

namespace {

// Unpacks `groups` whole groups of 8 values of `bw` (1..8) bits, least significant bit first: a
// group is exactly bw bytes, read as one little-endian word.
template <typename T>
void UnpackGroups(const uint8_t* p, int bw, size_t groups, T* out) {
  const uint64_t mask = (uint64_t{1} << bw) - 1;
  for (size_t g = 0; g < groups; ++g, p += bw, out += 8) {
    uint64_t word = 0;
    for (int b = 0; b < bw; ++b) word |= static_cast<uint64_t>(p[b]) << (8 * b);
    for (int k = 0; k < 8; ++k) out[k] = static_cast<T>((word >> (k * bw)) & mask);
  }
}

}  // namespace

template <typename T>
Status RleBitPackedDecoder::GetAs(size_t n, T* out) {
  while (n > 0) {
    if (rle_left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(rle_left_, n));
      std::fill(out, out + take, static_cast<T>(rle_value_));
      out += take;
      n -= take;
      rle_left_ -= take;
    } else if (packed_left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(packed_left_, n));
      if (bw_ == 0) {
        std::fill(out, out + take, T{0});
      } else {
        size_t i = 0;
        if (bw_ <= 8) {
          // Values up to the next group boundary one by one, then whole groups at once: a run's
          // values are all within the bytes NextRun checked, so a whole group's bytes are too.
          for (; i < take && packed_bit_ % (8 * static_cast<size_t>(bw_)) != 0; ++i, packed_bit_ += bw_) {
            out[i] = static_cast<T>(ReadBitsLsb(packed_, packed_bit_, bw_));
          }
          size_t groups = (take - i) / 8;
          UnpackGroups(packed_ + packed_bit_ / 8, bw_, groups, out + i);
          i += groups * 8;
          packed_bit_ += groups * 8 * static_cast<size_t>(bw_);
        }
        for (; i < take; ++i, packed_bit_ += bw_) out[i] = static_cast<T>(ReadBitsLsb(packed_, packed_bit_, bw_));
      }
      out += take;
      n -= take;
      packed_left_ -= take;
    } else {
      if (cur_.empty()) return cur_.Truncated("RLE/bit-packed data (more values expected)", 1);
      CM_RETURN_IF_ERROR(NextRun());
    }
  }
  return Status::Ok();
}

Status RleBitPackedDecoder::Get(size_t n, uint32_t* out) { return GetAs(n, out); }

Status RleBitPackedDecoder::Get(size_t n, uint16_t* out) {
  if (bw_ > 16) return cur_.Error(fmt::format("bit width {} where at most 16 was expected", bw_));
  return GetAs(n, out);
}

Status LevelDecoder::InitV1(int32_t encoding, int max_level, size_t num_values, ByteCursor* page) {
  max_level_ = max_level;
  bw_ = BitWidth(static_cast<uint64_t>(max_level));
  if (max_level == 0) return Status::Ok();
  if (encoding == kRle) {
    uint32_t len = 0;
    CM_RETURN_IF_ERROR(page->ReadLE(&len, "length of RLE levels"));
    ByteCursor data;
    CM_RETURN_IF_ERROR(page->Slice(len, &data, "RLE levels"));
    rle_ = RleBitPackedDecoder(data, bw_);
    return Status::Ok();
  }
  if (encoding == kBitPacked) {
    bit_packed_ = true;
    // num_values is at most 2^31, so this cannot overflow.
    auto len = static_cast<size_t>(BitPackedLevelBytes(num_values, max_level));
    CM_RETURN_IF_ERROR(page->Slice(len, &packed_, "BIT_PACKED levels"));
    packed_bit_ = 0;
    return Status::Ok();
  }
  return Status::Unsupported(fmt::format("{} at offset {}: level encoding {} ({}) is not supported",
                                         page->source(), page->file_offset(), EncodingName(encoding), encoding));
}

Status LevelDecoder::InitV2(int max_level, ByteCursor data) {
  max_level_ = max_level;
  bw_ = BitWidth(static_cast<uint64_t>(max_level));
  rle_ = RleBitPackedDecoder(data, bw_);
  return Status::Ok();
}

Status LevelDecoder::Get(size_t n, uint16_t* out) {
  if (max_level_ == 0) {
    std::fill(out, out + n, uint16_t{0});
    return Status::Ok();
  }
  if (bit_packed_) {
    if ((packed_bit_ + n * bw_ + 7) / 8 > packed_.size()) {
      return packed_.Truncated("BIT_PACKED levels", (n * bw_ + 7) / 8);
    }
    for (size_t i = 0; i < n; ++i) {
      uint32_t v = 0;
      for (int b = 0; b < bw_; ++b, ++packed_bit_) {
        uint8_t byte = packed_.current()[packed_bit_ >> 3];
        v = (v << 1) | ((byte >> (7 - (packed_bit_ & 7))) & 1);
      }
      out[i] = static_cast<uint16_t>(v);
      if (v > static_cast<uint32_t>(max_level_)) {
        return packed_.Error(fmt::format("level {} exceeds the column's maximum {}", v, max_level_));
      }
    }
    return Status::Ok();
  }
  CM_RETURN_IF_ERROR(rle_.Get(n, out));
  // bw_ bits cannot exceed a maximum of 2^bw_ - 1 (the common case: levels 0..1 or 0..3).
  if (max_level_ == (1 << bw_) - 1) return Status::Ok();
  uint16_t highest = 0;
  for (size_t i = 0; i < n; ++i) highest = std::max(highest, out[i]);
  if (highest > max_level_) {
    return rle_.cursor().Error(fmt::format("level {} exceeds the column's maximum {}", highest, max_level_));
  }
  return Status::Ok();
}

}  // namespace cm::parquet
