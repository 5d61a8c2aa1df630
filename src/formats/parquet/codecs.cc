#include "formats/parquet/codecs.h"

#include <brotli/decode.h>
#include <fmt/format.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <snappy-sinksource.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "formats/parquet/consumed_reporter.h"
#include "formats/parquet/file_metadata.h"

namespace cm::parquet {

namespace {

struct Where {
  std::string_view source;
  uint64_t offset = 0;
  const char* codec;
  Status Fail(std::string_view what) const {
    return Status::Corrupt(fmt::format("{} at offset {}: {} page data: {}", source, offset, codec, what));
  }
};

// Hands snappy the input in fragments and reports how much it has consumed, so that the caller
// can let go of compressed bytes while a large page is still being decompressed.
class ReportingSource final : public snappy::Source {
 public:
  ReportingSource(const uint8_t* p, size_t n, const std::function<void(size_t)>& consumed)
      : p_(reinterpret_cast<const char*>(p)), left_(n), reporter_(consumed) {}
  size_t Available() const override { return left_; }
  const char* Peek(size_t* len) override {
    *len = std::min(left_, kFragment);
    return p_;
  }
  void Skip(size_t n) override {
    p_ += n;
    left_ -= n;
    done_ += n;
    reporter_.At(done_);
  }

 private:
  static constexpr size_t kFragment = size_t{4} << 20;
  const char* p_;
  size_t left_;
  size_t done_ = 0;
  ConsumedReporter reporter_;
};

Status Snappy(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size, const Where& w,
              const std::function<void(size_t)>& consumed) {
  size_t len = 0;
  if (snappy_uncompressed_length(reinterpret_cast<const char*>(in), in_size, &len) != SNAPPY_OK) {
    return w.Fail("invalid snappy length preamble");
  }
  if (len != out_size) {
    return w.Fail(fmt::format("expected {} uncompressed bytes, the snappy stream holds {}", out_size, len));
  }
  ReportingSource src(in, in_size, consumed);
  if (!snappy::RawUncompress(&src, reinterpret_cast<char*>(out))) return w.Fail("invalid snappy stream");
  return Status::Ok();
}

Status Gzip(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size, const Where& w) {
  if (in_size > UINT_MAX || out_size > UINT_MAX) return w.Fail("page larger than 4 GiB");
  z_stream s{};
  if (inflateInit2(&s, 15 + 32) != Z_OK) return Status::Internal("zlib inflateInit2 failed");
  struct Closer {
    z_stream* s;
    ~Closer() { inflateEnd(s); }
  } closer{&s};
  s.next_in = const_cast<Bytef*>(in);
  s.avail_in = static_cast<uInt>(in_size);
  s.next_out = out;
  s.avail_out = static_cast<uInt>(out_size);
  for (;;) {
    int rc = inflate(&s, Z_FINISH);
    if (rc == Z_STREAM_END) {
      if (s.avail_in == 0 || s.avail_out == 0) break;
      if (inflateReset(&s) != Z_OK) return w.Fail("cannot continue with the next gzip member");
      continue;
    }
    if (rc == Z_BUF_ERROR && s.avail_out == 0) {
      return w.Fail(fmt::format("the stream holds more than the expected {} bytes", out_size));
    }
    return w.Fail(fmt::format("zlib error {} ({})", rc, s.msg != nullptr ? s.msg : "no message"));
  }
  if (s.avail_out != 0) {
    return w.Fail(fmt::format("expected {} uncompressed bytes, got {}", out_size, out_size - s.avail_out));
  }
  return Status::Ok();
}

Status Zstd(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size, const Where& w) {
  size_t rc = ZSTD_decompress(out, out_size, in, in_size);
  if (ZSTD_isError(rc)) return w.Fail(ZSTD_getErrorName(rc));
  if (rc != out_size) return w.Fail(fmt::format("expected {} uncompressed bytes, got {}", out_size, rc));
  return Status::Ok();
}

Status Brotli(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size, const Where& w) {
  size_t got = out_size;
  if (BrotliDecoderDecompress(in_size, in, &got, out) != BROTLI_DECODER_RESULT_SUCCESS) {
    return w.Fail("invalid brotli stream (or more data than expected)");
  }
  if (got != out_size) return w.Fail(fmt::format("expected {} uncompressed bytes, got {}", out_size, got));
  return Status::Ok();
}

Status Lz4Raw(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size, const Where& w) {
  if (in_size > INT_MAX || out_size > INT_MAX) return w.Fail("page larger than 2 GiB");
  int rc = LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out),
                               static_cast<int>(in_size), static_cast<int>(out_size));
  if (rc < 0) return w.Fail("invalid lz4 block");
  if (static_cast<size_t>(rc) != out_size) {
    return w.Fail(fmt::format("expected {} uncompressed bytes, got {}", out_size, rc));
  }
  return Status::Ok();
}

uint32_t BigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Hadoop framing: repeated [u32 BE uncompressed size][u32 BE compressed size][lz4 block].
bool Lz4Hadoop(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  size_t produced = 0;
  while (in_size >= 8) {
    uint32_t raw = BigEndian32(in), comp = BigEndian32(in + 4);
    in += 8;
    in_size -= 8;
    if (comp > in_size || raw > out_size - produced || comp > INT_MAX) return false;
    int rc = LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out + produced),
                                 static_cast<int>(comp), static_cast<int>(raw));
    if (rc < 0 || static_cast<uint32_t>(rc) != raw) return false;
    produced += raw;
    in += comp;
    in_size -= comp;
  }
  return in_size == 0 && produced == out_size;
}

bool Lz4Frame(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) return false;
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> guard(ctx, LZ4F_freeDecompressionContext);
  size_t in_pos = 0, out_pos = 0;
  for (;;) {
    size_t src = in_size - in_pos, dst = out_size - out_pos;
    size_t rc = LZ4F_decompress(ctx, out + out_pos, &dst, in + in_pos, &src, nullptr);
    if (LZ4F_isError(rc)) return false;
    in_pos += src;
    out_pos += dst;
    if (rc == 0) {  // frame finished
      if (in_pos == in_size) return out_pos == out_size;
      continue;    // another frame follows
    }
    if (src == 0 && dst == 0) return false;  // no progress: truncated or output full
  }
}

Status Lz4(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size, const Where& w) {
  if (Lz4Hadoop(in, in_size, out, out_size)) return Status::Ok();
  if (Lz4Frame(in, in_size, out, out_size)) return Status::Ok();
  if (Lz4Raw(in, in_size, out, out_size, w).ok()) return Status::Ok();
  return w.Fail(fmt::format("not a valid Hadoop-framed, framed or raw lz4 stream of {} bytes", out_size));
}

}  // namespace

Status Decompress(int32_t codec, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size,
                  std::string_view source, uint64_t offset, const std::function<void(size_t)>& consumed) {
  Where w{source, offset, CodecName(codec)};
  switch (codec) {
    case kUncompressed:
      if (in_size != out_size) {
        return w.Fail(fmt::format("uncompressed page of {} bytes declares {} uncompressed bytes", in_size, out_size));
      }
      if (out_size > 0) std::memcpy(out, in, out_size);
      return Status::Ok();
    case kSnappy: return Snappy(in, in_size, out, out_size, w, consumed);
    case kGzip: return Gzip(in, in_size, out, out_size, w);
    case kZstd: return Zstd(in, in_size, out, out_size, w);
    case kBrotli: return Brotli(in, in_size, out, out_size, w);
    case kLz4: return Lz4(in, in_size, out, out_size, w);
    case kLz4Raw: return Lz4Raw(in, in_size, out, out_size, w);
    default:
      return Status::Unsupported(fmt::format("{} at offset {}: compression codec {} ({}) is not supported", source,
                                             offset, CodecName(codec), codec));
  }
}

}  // namespace cm::parquet
