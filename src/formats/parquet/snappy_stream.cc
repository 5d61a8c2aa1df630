#include "formats/parquet/snappy_stream.h"

#include <fmt/format.h>
#include <snappy.h>

#include <algorithm>
#include <cstring>

namespace cm::parquet {

SnappyStream::SnappyStream(const uint8_t* in, size_t in_size, std::string source, uint64_t offset,
                           std::function<void(size_t)> consumed)
    : in_(in), in_size_(in_size), source_(std::move(source)), offset_(offset), consumed_(std::move(consumed)) {}

Status SnappyStream::Corrupt(const std::string& what) const {
  return Status::Corrupt(fmt::format("{} at offset {}: SNAPPY page data: {} (input byte {}, output byte {})", source_,
                                     offset_, what, ip_, produced_));
}

Status SnappyStream::Init() {
  uint64_t len = 0;
  for (int shift = 0;; shift += 7) {
    if (ip_ >= in_size_ || shift > 28) return Corrupt("invalid snappy length preamble");
    uint8_t b = in_[ip_++];
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (len > UINT32_MAX) return Corrupt("invalid snappy length preamble");
  total_ = len;
  ring_.resize(kRing);
  return Status::Ok();
}

Status SnappyStream::FallBackToWhole() {
  size_t len = 0;
  if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(in_), in_size_, &len) || len != total_) {
    return Corrupt("invalid snappy length preamble");
  }
  whole_.resize(len);
  if (!snappy::RawUncompress(reinterpret_cast<const char*>(in_), in_size_, reinterpret_cast<char*>(whole_.data()))) {
    return Corrupt("invalid snappy stream");
  }
  whole_mode_ = true;
  ring_ = {};
  return Status::Ok();
}

Status SnappyStream::Fill(size_t want) {
  const uint64_t mask = kRing - 1;
  while (produced_ - delivered_ < want && produced_ < total_) {
    uint64_t room = kRing - (produced_ - delivered_);  // ring bytes that may be overwritten
    if (literal_left_ > 0) {
      uint64_t n = std::min<uint64_t>({literal_left_, room, in_size_ - ip_});
      if (n == 0) return Corrupt("the input ends inside a literal");
      for (uint64_t done = 0; done < n;) {  // at most two pieces: the ring wraps once
        size_t at = static_cast<size_t>((produced_ + done) & mask);
        size_t piece = static_cast<size_t>(std::min<uint64_t>(n - done, kRing - at));
        std::memcpy(ring_.data() + at, in_ + ip_ + done, piece);
        done += piece;
      }
      ip_ += n;
      produced_ += n;
      literal_left_ -= n;
      consumed_.At(ip_);
      continue;
    }
    if (ip_ >= in_size_) return Corrupt(fmt::format("the input ends after {} of {} output bytes", produced_, total_));
    uint8_t tag = in_[ip_];
    uint64_t len = 0, offset = 0;
    size_t extra = 0;
    switch (tag & 3) {
      case 0: {  // literal
        uint32_t code = tag >> 2;
        if (code < 60) {
          len = code + 1;
        } else {
          extra = code - 59;  // 1..4 length bytes
          if (ip_ + 1 + extra > in_size_) return Corrupt("the input ends inside a literal header");
          uint64_t v = 0;
          for (size_t k = 0; k < extra; ++k) v |= static_cast<uint64_t>(in_[ip_ + 1 + k]) << (8 * k);
          len = v + 1;
        }
        if (len > total_ - produced_) return Corrupt("a literal runs past the declared length");
        ip_ += 1 + extra;
        literal_left_ = len;
        continue;
      }
      case 1:
        if (ip_ + 2 > in_size_) return Corrupt("the input ends inside a copy");
        len = ((tag >> 2) & 7) + 4;
        offset = (static_cast<uint64_t>(tag >> 5) << 8) | in_[ip_ + 1];
        extra = 1;
        break;
      case 2:
        if (ip_ + 3 > in_size_) return Corrupt("the input ends inside a copy");
        len = (tag >> 2) + 1;
        offset = in_[ip_ + 1] | (static_cast<uint64_t>(in_[ip_ + 2]) << 8);
        extra = 2;
        break;
      default:
        if (ip_ + 5 > in_size_) return Corrupt("the input ends inside a copy");
        len = (tag >> 2) + 1;
        offset = in_[ip_ + 1] | (static_cast<uint64_t>(in_[ip_ + 2]) << 8) |
                 (static_cast<uint64_t>(in_[ip_ + 3]) << 16) | (static_cast<uint64_t>(in_[ip_ + 4]) << 24);
        extra = 4;
        break;
    }
    if (offset == 0 || offset > produced_) return Corrupt(fmt::format("a copy reaches back {} bytes", offset));
    if (len > total_ - produced_) return Corrupt("a copy runs past the declared length");
    // Fill runs while fewer than kRing/2 bytes wait, so room ≥ kRing/2 > 64 ≥ len: a copy always
    // fits. It may only reach back further than the ring keeps (no Google-made stream does).
    if (offset > kRing - len) return FallBackToWhole();
    for (uint64_t k = 0; k < len; ++k) {
      ring_[static_cast<size_t>((produced_ + k) & mask)] = ring_[static_cast<size_t>((produced_ + k - offset) & mask)];
    }
    ip_ += 1 + extra;
    produced_ += len;
  }
  if (produced_ == total_ && literal_left_ == 0 && ip_ != in_size_) {
    return Corrupt(fmt::format("{} bytes follow the end of the block", in_size_ - ip_));
  }
  return Status::Ok();
}

Status SnappyStream::Read(uint8_t* out, size_t n) {
  if (n > remaining()) {
    return Corrupt(fmt::format("{} bytes wanted but only {} remain of {}", n, remaining(), total_));
  }
  const uint64_t mask = kRing - 1;
  while (n > 0) {
    if (whole_mode_) {
      std::memcpy(out, whole_.data() + delivered_, n);
      delivered_ += n;
      return Status::Ok();
    }
    size_t step = std::min(n, kRing / 2);
    CM_RETURN_IF_ERROR(Fill(step));
    if (whole_mode_) continue;
    size_t have = static_cast<size_t>(std::min<uint64_t>(produced_ - delivered_, step));
    if (have == 0) return Corrupt("no progress decoding the block");
    for (size_t done = 0; done < have;) {
      size_t at = static_cast<size_t>((delivered_ + done) & mask);
      size_t piece = std::min(have - done, kRing - at);
      std::memcpy(out + done, ring_.data() + at, piece);
      done += piece;
    }
    out += have;
    n -= have;
    delivered_ += have;
  }
  return Status::Ok();
}

}  // namespace cm::parquet
