#include "formats/parquet/encodings.h"

#include <fmt/format.h>

#include <cstring>

#include "formats/parquet/file_metadata.h"
#include "formats/parquet/rle.h"

namespace cm::parquet {

size_t NumericWidth(PhysicalType type) {
  switch (type) {
    case PhysicalType::kInt32:
    case PhysicalType::kFloat: return 4;
    case PhysicalType::kInt64:
    case PhysicalType::kDouble: return 8;
    default: return 0;
  }
}

namespace {

double FromBytes(PhysicalType type, const uint8_t* p) {
  switch (type) {
    case PhysicalType::kInt32: { int32_t v; std::memcpy(&v, p, 4); return static_cast<double>(v); }
    case PhysicalType::kFloat: { float v; std::memcpy(&v, p, 4); return static_cast<double>(v); }
    case PhysicalType::kInt64: { int64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
    default: { double v; std::memcpy(&v, p, 8); return v; }
  }
}

// n PLAIN values of `type` (width bytes each) at p, as doubles.
void PlainToDoubles(PhysicalType type, size_t width, const uint8_t* p, size_t n, double* out) {
  if (type == PhysicalType::kDouble) {
    if (n > 0) std::memcpy(out, p, n * 8);
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = FromBytes(type, p + i * width);
  }
}

class PlainDoubleDecoder final : public DoubleDecoder {
 public:
  PlainDoubleDecoder(PhysicalType type, ByteCursor data) : type_(type), width_(NumericWidth(type)), cur_(data) {}
  Status Next(size_t n, double* out) override {
    std::string_view bytes;
    if (n > cur_.remaining() / width_) return cur_.Truncated("PLAIN numeric values", n * width_);
    CM_RETURN_IF_ERROR(cur_.ReadBytes(n * width_, &bytes, "PLAIN numeric values"));
    PlainToDoubles(type_, width_, reinterpret_cast<const uint8_t*>(bytes.data()), n, out);
    return Status::Ok();
  }
 private:
  PhysicalType type_;
  size_t width_ = 0;
  ByteCursor cur_;
};

// PLAIN numbers read from a SnappyStream as they are needed (large pages).
class StreamedPlainDoubleDecoder final : public DoubleDecoder {
 public:
  StreamedPlainDoubleDecoder(PhysicalType type, std::unique_ptr<SnappyStream> stream)
      : type_(type), width_(NumericWidth(type)), stream_(std::move(stream)) {}
  Status Next(size_t n, double* out) override {
    if (n > stream_->remaining() / width_) {
      return stream_->Corrupt(fmt::format("PLAIN numeric values: {} wanted but only {} bytes remain", n,
                                          stream_->remaining()));
    }
    if (type_ == PhysicalType::kDouble) return stream_->Read(reinterpret_cast<uint8_t*>(out), n * 8);
    buf_.resize(n * width_);
    CM_RETURN_IF_ERROR(stream_->Read(buf_.data(), buf_.size()));
    PlainToDoubles(type_, width_, buf_.data(), n, out);
    return Status::Ok();
  }

 private:
  PhysicalType type_;
  size_t width_;
  std::unique_ptr<SnappyStream> stream_;
  std::vector<uint8_t> buf_;
};

// Dictionary indices: one byte of bit width, then RLE/bit-packed runs.
class DictIndexReader {
 public:
  explicit DictIndexReader(ByteCursor data) : cur_(data) {}
  Status Next(size_t n, uint32_t* out, size_t dict_size) {
    if (!started_) {
      uint8_t bw = 0;
      CM_RETURN_IF_ERROR(cur_.ReadU8(&bw, "dictionary index bit width"));
      if (bw > 32) return cur_.Error(fmt::format("dictionary index bit width {} exceeds 32", bw));
      rle_ = RleBitPackedDecoder(cur_, bw);
      started_ = true;
    }
    CM_RETURN_IF_ERROR(rle_.Get(n, out));
    for (size_t i = 0; i < n; ++i) {
      if (out[i] >= dict_size) {
        return rle_.cursor().Error(
            fmt::format("dictionary index {} is out of range (the dictionary has {} entries)", out[i], dict_size));
      }
    }
    return Status::Ok();
  }
 private:
  ByteCursor cur_;
  bool started_ = false;
  RleBitPackedDecoder rle_;
};

class DictDoubleDecoder final : public DoubleDecoder {
 public:
  DictDoubleDecoder(ByteCursor data, const std::vector<double>* dict) : idx_(data), dict_(dict) {}
  Status Next(size_t n, double* out) override {
    uint32_t buf[256];
    while (n > 0) {
      size_t take = std::min<size_t>(n, 256);
      CM_RETURN_IF_ERROR(idx_.Next(take, buf, dict_->size()));
      for (size_t i = 0; i < take; ++i) out[i] = (*dict_)[buf[i]];
      out += take;
      n -= take;
    }
    return Status::Ok();
  }
 private:
  DictIndexReader idx_;
  const std::vector<double>* dict_;
};

class DeltaDoubleDecoder final : public DoubleDecoder {
 public:
  DeltaDoubleDecoder(PhysicalType type, ByteCursor data) : type_(type), r_(data) {}
  Status Next(size_t n, double* out) override {
    if (!started_) {
      CM_RETURN_IF_ERROR(r_.Init());
      started_ = true;
    }
    for (size_t i = 0; i < n; ++i) {
      int64_t v = 0;
      CM_RETURN_IF_ERROR(r_.Next(&v));
      out[i] = type_ == PhysicalType::kInt32 ? static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(v)))
                                             : static_cast<double>(v);
    }
    return Status::Ok();
  }
 private:
  PhysicalType type_;
  DeltaBinaryPackedReader r_;
  bool started_ = false;
};

class ByteStreamSplitDecoder final : public DoubleDecoder {
 public:
  ByteStreamSplitDecoder(PhysicalType type, ByteCursor data) : type_(type), width_(NumericWidth(type)), cur_(data) {}
  Status Next(size_t n, double* out) override {
    // The cursor never advances: the value bytes are everything from its position on.
    if (cur_.remaining() % width_ != 0) {
      return cur_.Error(fmt::format("BYTE_STREAM_SPLIT data of {} bytes is not a multiple of the {}-byte value width",
                                    cur_.remaining(), width_));
    }
    size_t stride = cur_.remaining() / width_;
    if (n > stride - pos_) {
      return cur_.Error(fmt::format("BYTE_STREAM_SPLIT data holds {} values, {} more were expected after {}", stride,
                                    n, pos_));
    }
    const uint8_t* base = cur_.current();
    uint8_t tmp[8];
    for (size_t i = 0; i < n; ++i, ++pos_) {
      for (size_t k = 0; k < width_; ++k) tmp[k] = base[k * stride + pos_];
      out[i] = FromBytes(type_, tmp);
    }
    return Status::Ok();
  }
 private:
  PhysicalType type_;
  size_t width_ = 0;
  ByteCursor cur_;
  size_t pos_ = 0;
};

class PlainStringDecoder final : public StringDecoder {
 public:
  explicit PlainStringDecoder(ByteCursor data) : cur_(data) {}
  Status Next(std::string* out) override {
    uint32_t len = 0;
    CM_RETURN_IF_ERROR(cur_.ReadLE(&len, "PLAIN byte array length"));
    std::string_view v;
    CM_RETURN_IF_ERROR(cur_.ReadBytes(len, &v, "PLAIN byte array"));
    out->assign(v);
    return Status::Ok();
  }
 private:
  ByteCursor cur_;
};

class DictStringDecoder final : public StringDecoder {
 public:
  DictStringDecoder(ByteCursor data, const std::vector<std::string_view>* dict) : idx_(data), dict_(dict) {}
  Status Next(std::string* out) override {
    uint32_t i = 0;
    CM_RETURN_IF_ERROR(idx_.Next(1, &i, dict_->size()));
    out->assign((*dict_)[i]);
    return Status::Ok();
  }
 private:
  DictIndexReader idx_;
  const std::vector<std::string_view>* dict_;
};

// Lengths (DELTA_BINARY_PACKED) followed by the concatenated bytes.
class DeltaLengthStrings {
 public:
  explicit DeltaLengthStrings(ByteCursor data) : lengths_(data) {}
  Status Init() {
    CM_RETURN_IF_ERROR(lengths_.Init());
    DeltaBinaryPackedReader walk = lengths_;
    CM_RETURN_IF_ERROR(walk.SkipAll());
    bytes_ = walk.cursor();
    return Status::Ok();
  }
  Status Next(std::string_view* out) {
    int64_t len = 0;
    CM_RETURN_IF_ERROR(lengths_.Next(&len));
    if (len < 0 || static_cast<uint64_t>(len) > bytes_.remaining()) {
      return bytes_.Error(fmt::format("DELTA_LENGTH_BYTE_ARRAY length {} does not fit the {} bytes left", len,
                                      bytes_.remaining()));
    }
    return bytes_.ReadBytes(static_cast<size_t>(len), out, "DELTA_LENGTH_BYTE_ARRAY value");
  }
  const ByteCursor& end() const { return bytes_; }
 private:
  DeltaBinaryPackedReader lengths_;
  ByteCursor bytes_;
};

class DeltaLengthStringDecoder final : public StringDecoder {
 public:
  explicit DeltaLengthStringDecoder(ByteCursor data) : d_(data) {}
  Status Next(std::string* out) override {
    if (!started_) {
      CM_RETURN_IF_ERROR(d_.Init());
      started_ = true;
    }
    std::string_view v;
    CM_RETURN_IF_ERROR(d_.Next(&v));
    out->assign(v);
    return Status::Ok();
  }
 private:
  DeltaLengthStrings d_;
  bool started_ = false;
};

// Prefix lengths (DELTA_BINARY_PACKED), then suffixes as DELTA_LENGTH_BYTE_ARRAY.
class DeltaByteArrayDecoder final : public StringDecoder {
 public:
  explicit DeltaByteArrayDecoder(ByteCursor data) : prefixes_(data) {}
  Status Next(std::string* out) override {
    if (!started_) {
      CM_RETURN_IF_ERROR(prefixes_.Init());
      DeltaBinaryPackedReader walk = prefixes_;
      CM_RETURN_IF_ERROR(walk.SkipAll());
      suffixes_ = std::make_unique<DeltaLengthStrings>(walk.cursor());
      CM_RETURN_IF_ERROR(suffixes_->Init());
      started_ = true;
    }
    int64_t prefix = 0;
    CM_RETURN_IF_ERROR(prefixes_.Next(&prefix));
    if (prefix < 0 || static_cast<uint64_t>(prefix) > prev_.size()) {
      return suffixes_->end().Error(
          fmt::format("DELTA_BYTE_ARRAY prefix length {} exceeds the previous value's {} bytes", prefix, prev_.size()));
    }
    std::string_view suffix;
    CM_RETURN_IF_ERROR(suffixes_->Next(&suffix));
    prev_.resize(static_cast<size_t>(prefix));
    prev_.append(suffix);
    *out = prev_;
    return Status::Ok();
  }
 private:
  DeltaBinaryPackedReader prefixes_;
  std::unique_ptr<DeltaLengthStrings> suffixes_;
  std::string prev_;
  bool started_ = false;
};

Status UnsupportedEncoding(const ByteCursor& data, int32_t encoding, std::string_view for_what) {
  return Status::Unsupported(fmt::format("{} at offset {}: encoding {} ({}) is not supported for {}", data.source(),
                                         data.file_offset(), EncodingName(encoding), encoding, for_what));
}

}  // namespace

Status DeltaBinaryPackedReader::Init() {
  uint64_t block_size = 0;
  CM_RETURN_IF_ERROR(cur_.ReadVarint(&block_size, "DELTA_BINARY_PACKED block size"));
  CM_RETURN_IF_ERROR(cur_.ReadVarint(&mbs_per_block_, "DELTA_BINARY_PACKED miniblock count"));
  CM_RETURN_IF_ERROR(cur_.ReadVarint(&total_, "DELTA_BINARY_PACKED value count"));
  int64_t first = 0;
  CM_RETURN_IF_ERROR(cur_.ReadZigZag(&first, "DELTA_BINARY_PACKED first value"));
  if (block_size == 0 || block_size > kMaxBlockSize || mbs_per_block_ == 0 || block_size % mbs_per_block_ != 0 ||
      (block_size / mbs_per_block_) % 8 != 0) {
    return cur_.Error(fmt::format("DELTA_BINARY_PACKED header: block size {} with {} miniblocks is invalid "
                                  "(expected a block size up to {} split into miniblocks of a multiple of 8 values)",
                                  block_size, mbs_per_block_, kMaxBlockSize));
  }
  values_per_mb_ = block_size / mbs_per_block_;
  left_ = total_;
  first_pending_ = total_ > 0;
  last_ = static_cast<uint64_t>(first);
  mb_index_ = mbs_per_block_;  // forces a block header before the first miniblock
  mb_pos_ = mb_len_ = 0;
  return Status::Ok();
}

Status DeltaBinaryPackedReader::LoadMiniblock() {
  if (mb_index_ >= mbs_per_block_) {
    int64_t min_delta = 0;
    CM_RETURN_IF_ERROR(cur_.ReadZigZag(&min_delta, "DELTA_BINARY_PACKED block min delta"));
    min_delta_ = static_cast<uint64_t>(min_delta);
    std::string_view widths;
    CM_RETURN_IF_ERROR(cur_.ReadBytes(static_cast<size_t>(mbs_per_block_), &widths, "DELTA_BINARY_PACKED bit widths"));
    widths_.assign(widths.begin(), widths.end());
    mb_index_ = 0;
  }
  int w = widths_[mb_index_++];
  if (w > 64) return cur_.Error(fmt::format("DELTA_BINARY_PACKED miniblock bit width {} exceeds 64", w));
  size_t needed = static_cast<size_t>(std::min<uint64_t>(values_per_mb_, left_));
  size_t full_bytes = static_cast<size_t>(values_per_mb_) * w / 8;
  size_t need_bytes = (needed * w + 7) / 8;
  if (cur_.remaining() < need_bytes) return cur_.Truncated("DELTA_BINARY_PACKED miniblock", full_bytes);
  if (mb_.size() < values_per_mb_) mb_.resize(values_per_mb_);
  const uint8_t* p = cur_.current();
  for (size_t i = 0; i < needed; ++i) mb_[i] = w == 0 ? 0 : ReadBitsLsb(p, i * w, w);
  mb_pos_ = 0;
  mb_len_ = needed;
  return cur_.Skip(std::min(full_bytes, cur_.remaining()), "DELTA_BINARY_PACKED miniblock");
}

Status DeltaBinaryPackedReader::Next(int64_t* out) {
  if (left_ == 0) return cur_.Error(fmt::format("DELTA_BINARY_PACKED data holds only {} values, more were expected", total_));
  if (first_pending_) {
    first_pending_ = false;
  } else {
    if (mb_pos_ >= mb_len_) CM_RETURN_IF_ERROR(LoadMiniblock());
    last_ += min_delta_ + mb_[mb_pos_++];
  }
  --left_;
  *out = static_cast<int64_t>(last_);
  return Status::Ok();
}

Status DeltaBinaryPackedReader::SkipAll() {
  while (left_ > 0) {
    int64_t v = 0;
    CM_RETURN_IF_ERROR(Next(&v));
  }
  return Status::Ok();
}

std::unique_ptr<DoubleDecoder> MakeStreamedPlainDoubleDecoder(PhysicalType type, std::unique_ptr<SnappyStream> stream) {
  return std::make_unique<StreamedPlainDoubleDecoder>(type, std::move(stream));
}

Result<std::unique_ptr<DoubleDecoder>> MakeDoubleDecoder(int32_t encoding, PhysicalType type, ByteCursor data,
                                                         const std::vector<double>* dict) {
  if (NumericWidth(type) == 0) {
    return Status::Unsupported(fmt::format("{} at offset {}: physical type {} cannot be read as numbers",
                                           data.source(), data.file_offset(), static_cast<int>(type)));
  }
  switch (encoding) {
    case kPlain: return std::unique_ptr<DoubleDecoder>(new PlainDoubleDecoder(type, data));
    case kPlainDictionary:
    case kRleDictionary:
      if (dict == nullptr) {
        return data.Error(fmt::format("{} data page without a dictionary page", EncodingName(encoding)));
      }
      return std::unique_ptr<DoubleDecoder>(new DictDoubleDecoder(data, dict));
    case kDeltaBinaryPacked:
      if (type != PhysicalType::kInt32 && type != PhysicalType::kInt64) break;
      return std::unique_ptr<DoubleDecoder>(new DeltaDoubleDecoder(type, data));
    case kByteStreamSplit: return std::unique_ptr<DoubleDecoder>(new ByteStreamSplitDecoder(type, data));
    default: break;
  }
  return UnsupportedEncoding(data, encoding, "numeric values");
}

Result<std::unique_ptr<StringDecoder>> MakeStringDecoder(int32_t encoding, ByteCursor data,
                                                         const std::vector<std::string_view>* dict) {
  switch (encoding) {
    case kPlain: return std::unique_ptr<StringDecoder>(new PlainStringDecoder(data));
    case kPlainDictionary:
    case kRleDictionary:
      if (dict == nullptr) {
        return data.Error(fmt::format("{} data page without a dictionary page", EncodingName(encoding)));
      }
      return std::unique_ptr<StringDecoder>(new DictStringDecoder(data, dict));
    case kDeltaLengthByteArray: return std::unique_ptr<StringDecoder>(new DeltaLengthStringDecoder(data));
    case kDeltaByteArray: return std::unique_ptr<StringDecoder>(new DeltaByteArrayDecoder(data));
    default: break;
  }
  return UnsupportedEncoding(data, encoding, "byte arrays");
}

Status DecodeDoubleDictionary(PhysicalType type, ByteCursor data, size_t count, std::vector<double>* out) {
  size_t width = NumericWidth(type);
  if (width == 0 || count > data.remaining() / width) {
    return data.Error(fmt::format("dictionary page: {} values of {} bytes do not fit in {} bytes", count, width,
                                  data.remaining()));
  }
  out->resize(count);
  PlainDoubleDecoder d(type, data);
  return d.Next(count, out->data());
}

Status DecodeStringDictionary(ByteCursor data, size_t count, std::vector<std::string_view>* out) {
  if (count > data.remaining() / 4) {
    return data.Error(fmt::format("dictionary page: {} byte arrays cannot fit in {} bytes", count, data.remaining()));
  }
  out->clear();
  out->reserve(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t len = 0;
    CM_RETURN_IF_ERROR(data.ReadLE(&len, "dictionary byte array length"));
    std::string_view v;
    CM_RETURN_IF_ERROR(data.ReadBytes(len, &v, "dictionary byte array"));
    out->push_back(v);
  }
  return Status::Ok();
}

}  // namespace cm::parquet
