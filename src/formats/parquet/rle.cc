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

Status RleBitPackedDecoder::Get(size_t n, uint32_t* out) {
  while (n > 0) {
    if (rle_left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(rle_left_, n));
      std::fill(out, out + take, rle_value_);
      out += take;
      n -= take;
      rle_left_ -= take;
    } else if (packed_left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(packed_left_, n));
      if (bw_ == 0) {
        std::fill(out, out + take, 0u);
      } else {
        for (size_t i = 0; i < take; ++i) {
          out[i] = static_cast<uint32_t>(ReadBitsLsb(packed_, packed_bit_, bw_));
          packed_bit_ += bw_;
        }
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
  uint32_t buf[256];
  while (n > 0) {
    size_t take = std::min<size_t>(n, 256);
    CM_RETURN_IF_ERROR(rle_.Get(take, buf));
    uint32_t highest = 0;  // checked once per block, so that the copy loop vectorises
    for (size_t i = 0; i < take; ++i) {
      highest = std::max(highest, buf[i]);
      out[i] = static_cast<uint16_t>(buf[i]);
    }
    if (highest > static_cast<uint32_t>(max_level_)) {
      return rle_.cursor().Error(fmt::format("level {} exceeds the column's maximum {}", highest, max_level_));
    }
    out += take;
    n -= take;
  }
  return Status::Ok();
}

}  // namespace cm::parquet
