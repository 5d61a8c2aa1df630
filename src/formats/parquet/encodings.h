// Value decoders for the data of one page: PLAIN, dictionary indices (PLAIN_DICTIONARY /
// RLE_DICTIONARY), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
// BYTE_STREAM_SPLIT, plus PLAIN dictionary pages.
//
// Numeric leaves (DOUBLE, FLOAT, INT32, INT64) decode to double (FLOAT widens exactly, integers
// convert); BYTE_ARRAY leaves decode to std::string. Decoders stream from a ByteCursor over the
// page's (decompressed) value bytes and read their headers lazily, on the first value asked for,
// so a page whose values are all NULL never touches its value section. Counts read from the page
// never size an allocation: delta-encoded lengths are walked twice instead of stored, and
// dictionary sizes are checked against the bytes of their page before reserving.
//
// Not thread-safe. Dictionary decoders borrow the dictionary vector (owned by the column stream,
// which outlives them).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "formats/parquet/parquet_reader.h"
#include "formats/parquet/snappy_stream.h"
#include "io/byte_cursor.h"

namespace cm::parquet {

class DoubleDecoder {
 public:
  virtual ~DoubleDecoder() = default;
  // Decodes exactly n values; Corrupt when the page holds fewer.
  virtual Status Next(size_t n, double* out) = 0;
};

class StringDecoder {
 public:
  virtual ~StringDecoder() = default;
  virtual Status Next(std::string* out) = 0;
};

// Fixed width in bytes of a numeric physical type (0 when not numeric).
size_t NumericWidth(PhysicalType type);

// PLAIN values of a numeric type read from a snappy page as they are asked for.
std::unique_ptr<DoubleDecoder> MakeStreamedPlainDoubleDecoder(PhysicalType type, std::unique_ptr<SnappyStream> stream);

// `dict` is used for the dictionary encodings and must be non-null for them.
Result<std::unique_ptr<DoubleDecoder>> MakeDoubleDecoder(int32_t encoding, PhysicalType type, ByteCursor data,
                                                         const std::vector<double>* dict);
Result<std::unique_ptr<StringDecoder>> MakeStringDecoder(int32_t encoding, ByteCursor data,
                                                         const std::vector<std::string_view>* dict);

// PLAIN dictionary pages. String views point into `data`'s bytes.
Status DecodeDoubleDictionary(PhysicalType type, ByteCursor data, size_t count, std::vector<double>* out);
Status DecodeStringDictionary(ByteCursor data, size_t count, std::vector<std::string_view>* out);

// DELTA_BINARY_PACKED as a stream of int64 (INT32 columns wrap identically modulo 2^32).
class DeltaBinaryPackedReader {
 public:
  static constexpr uint64_t kMaxBlockSize = 1u << 20;
  DeltaBinaryPackedReader() = default;
  explicit DeltaBinaryPackedReader(ByteCursor data) : cur_(data) {}
  Status Init();                       // reads the header
  uint64_t total() const { return total_; }
  uint64_t left() const { return left_; }
  Status Next(int64_t* out);
  // Decodes every remaining value, leaving cursor() just past the encoded data.
  Status SkipAll();
  const ByteCursor& cursor() const { return cur_; }

 private:
  Status LoadMiniblock();
  ByteCursor cur_;
  uint64_t values_per_mb_ = 0;
  uint64_t mbs_per_block_ = 0;
  uint64_t total_ = 0;
  uint64_t left_ = 0;                  // values not yet returned
  bool first_pending_ = false;
  uint64_t last_ = 0;
  uint64_t min_delta_ = 0;
  std::vector<uint8_t> widths_;
  size_t mb_index_ = 0;                // next miniblock within the block
  std::vector<uint64_t> mb_;           // unpacked deltas of the current miniblock
  size_t mb_pos_ = 0, mb_len_ = 0;
};

}  // namespace cm::parquet
