// ColumnStream: walks one leaf column chunk by chunk and page by page, decoding levels in
// batches of kBatch entries and values on demand, and assembles rows from the levels.
#include "formats/parquet/column_stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "formats/parquet/codecs.h"
#include "formats/parquet/encodings.h"
#include "formats/parquet/file_metadata.h"
#include "formats/parquet/rle.h"

namespace cm::parquet {

namespace {

constexpr uint64_t kMaxPageBytes = uint64_t{1} << 30;
constexpr size_t kBatch = 1024;
constexpr uint64_t kStreamPageBytes = uint64_t{4} << 20;  // larger snappy PLAIN numeric pages stream

class ColumnStreamImpl final : public ColumnStream {
 public:
  ColumnStreamImpl(const MappedFile* file, LeafColumn leaf, std::vector<ChunkLocation> chunks)
      : file_(file), leaf_(std::move(leaf)), chunks_(std::move(chunks)) {}

  Status ReadStrings(size_t max_rows, std::vector<std::optional<std::string>>* out) override;
  Status ReadDoubleLists(size_t max_rows, DoubleListBatch* out) override;
  uint64_t rows_read() const override { return rows_read_; }

 private:
  Status EnsureEntry(bool* have);
  Status OpenChunk(size_t index);
  Status FinishChunk();
  Status LoadPage();
  Status LoadDictionary(const PageHeader& h, ByteCursor raw, uint64_t offset);
  Status LoadDataPage(const PageHeader& h, ByteCursor raw, uint64_t offset);
  Status LoadStreamedDataPage(const PageHeader& h, ByteCursor raw, size_t n);
  Status LoadDataPageV2(const PageHeader& h, ByteCursor raw, uint64_t offset);
  Status StartValues(int32_t encoding, ByteCursor values);
  // Decompresses `raw` into `buf` (or borrows it when uncompressed) and returns a cursor.
  Status Inflate(ByteCursor raw, uint64_t uncompressed, std::vector<uint8_t>* buf, ByteCursor* out);
  Status CheckFirstEntry(size_t j, uint64_t new_rows) const;
  Status TooManyRows() const;
  Status WrongKind(const char* wanted) const;

  const MappedFile* file_;
  LeafColumn leaf_;
  std::vector<ChunkLocation> chunks_;
  size_t next_chunk_ = 0;
  bool in_chunk_ = false;
  const ChunkLocation* chunk_ = nullptr;
  ByteCursor chunk_cur_;
  int64_t chunk_values_left_ = 0;
  uint64_t chunk_rows_ = 0;
  bool chunk_has_data_page_ = false;

  std::vector<uint8_t> dict_buf_;
  bool have_dict_ = false;
  std::vector<double> dict_doubles_;
  std::vector<std::string_view> dict_strings_;

  std::vector<uint8_t> page_buf_;
  std::vector<uint8_t> levels_buf_;  // a streamed page's levels
  uint64_t page_offset_ = 0;
  uint64_t page_levels_left_ = 0;
  LevelDecoder rep_dec_, def_dec_;
  std::unique_ptr<DoubleDecoder> dbl_dec_;
  std::unique_ptr<StringDecoder> str_dec_;

  std::array<uint16_t, kBatch> rep_buf_{};
  std::array<uint16_t, kBatch> def_buf_{};
  size_t buf_pos_ = 0, buf_len_ = 0;
  std::array<double, kBatch> scratch_{};

  uint64_t rows_read_ = 0;
};

Status ColumnStreamImpl::WrongKind(const char* wanted) const {
  return Status::InvalidArgument(fmt::format("{}: column '{}' ({}{}) cannot be read {}", file_->path(), leaf_.name,
                                             leaf_.is_list ? "list of " : "", static_cast<int>(leaf_.type), wanted));
}

Status ColumnStreamImpl::OpenChunk(size_t index) {
  chunk_ = &chunks_[index];
  chunk_cur_ = ByteCursor(file_->data() + chunk_->start, static_cast<size_t>(chunk_->size), file_->path(),
                          chunk_->start);
  chunk_values_left_ = chunk_->num_values;
  chunk_rows_ = 0;
  chunk_has_data_page_ = false;
  have_dict_ = false;
  dict_doubles_.clear();
  dict_strings_.clear();
  page_levels_left_ = 0;
  in_chunk_ = true;
  return Status::Ok();
}

Status ColumnStreamImpl::FinishChunk() {
  in_chunk_ = false;
  if (chunk_rows_ != static_cast<uint64_t>(chunk_->num_rows)) {
    return Status::Corrupt(fmt::format(
        "{} at offset {}: column '{}' in row group {} holds {} rows, the row group declares {}", file_->path(),
        chunk_->start, leaf_.name, chunk_->row_group, chunk_rows_, chunk_->num_rows));
  }
  return Status::Ok();
}

Status ColumnStreamImpl::EnsureEntry(bool* have) {
  while (buf_pos_ == buf_len_) {
    if (page_levels_left_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(page_levels_left_, kBatch));
      CM_RETURN_IF_ERROR(rep_dec_.Get(n, rep_buf_.data()));
      CM_RETURN_IF_ERROR(def_dec_.Get(n, def_buf_.data()));
      buf_pos_ = 0;
      buf_len_ = n;
      page_levels_left_ -= n;
      break;
    }
    if (in_chunk_) {
      if (chunk_values_left_ > 0) {
        CM_RETURN_IF_ERROR(LoadPage());
        continue;
      }
      CM_RETURN_IF_ERROR(FinishChunk());
    }
    if (next_chunk_ == chunks_.size()) {
      *have = false;
      return Status::Ok();
    }
    CM_RETURN_IF_ERROR(OpenChunk(next_chunk_++));
  }
  *have = true;
  return Status::Ok();
}

Status ColumnStreamImpl::Inflate(ByteCursor raw, uint64_t uncompressed, std::vector<uint8_t>* buf,
                                 ByteCursor* out) {
  if (chunk_->codec == kUncompressed) {
    if (raw.size() != uncompressed) {
      return raw.Error(fmt::format("uncompressed page holds {} bytes but declares {} uncompressed bytes", raw.size(),
                                   uncompressed));
    }
    *out = raw;
    return Status::Ok();
  }
  buf->resize(static_cast<size_t>(uncompressed));
  CM_RETURN_IF_ERROR(Decompress(chunk_->codec, raw.current(), raw.size(), buf->data(), buf->size(), file_->path(),
                                raw.file_offset(),
                                [&](size_t consumed) { file_->Release(raw.file_offset(), consumed); }));
  *out = ByteCursor(buf->data(), buf->size(), file_->path(), raw.file_offset());
  file_->Release(raw.file_offset(), raw.size());  // the compressed bytes are done with
  return Status::Ok();
}

Status ColumnStreamImpl::LoadPage() {
  uint64_t header_offset = chunk_cur_.file_offset();
  // Every earlier page of this chunk has been consumed.
  file_->Release(chunk_->start, header_offset - chunk_->start);
  if (chunk_cur_.empty()) {
    return chunk_cur_.Error(fmt::format("column '{}' chunk ends with {} values still expected", leaf_.name,
                                        chunk_values_left_));
  }
  PageHeader h;
  CM_RETURN_IF_ERROR(DecodePageHeader(&chunk_cur_, &h));
  if (h.compressed_page_size < 0 || static_cast<uint64_t>(h.compressed_page_size) > chunk_cur_.remaining()) {
    return Status::Corrupt(fmt::format(
        "{} at offset {}: page header: compressed_page_size {} exceeds the column chunk ({} bytes left)",
        file_->path(), header_offset, h.compressed_page_size, chunk_cur_.remaining()));
  }
  uint64_t limit = std::min(kMaxPageBytes, chunk_->total_uncompressed);
  if (h.uncompressed_page_size < 0 || static_cast<uint64_t>(h.uncompressed_page_size) > limit) {
    return Status::Corrupt(fmt::format(
        "{} at offset {}: page header: uncompressed_page_size {} is not within 0..{} (the column chunk's "
        "uncompressed size, at most 1 GiB)",
        file_->path(), header_offset, h.uncompressed_page_size, limit));
  }
  ByteCursor raw;
  CM_RETURN_IF_ERROR(chunk_cur_.Slice(static_cast<size_t>(h.compressed_page_size), &raw, "page data"));
  switch (h.type) {
    case kDictionaryPage: return LoadDictionary(h, raw, header_offset);
    case kDataPage: return LoadDataPage(h, raw, header_offset);
    case kDataPageV2: return LoadDataPageV2(h, raw, header_offset);
    default:
      return Status::Ok();  // index pages and unknown page types carry no values: skip them
  }
}

Status ColumnStreamImpl::LoadDictionary(const PageHeader& h, ByteCursor raw, uint64_t offset) {
  if (!h.dictionary_page) {
    return Status::Corrupt(fmt::format("{} at offset {}: DICTIONARY_PAGE without a dictionary_page_header",
                                       file_->path(), offset));
  }
  if (have_dict_ || chunk_has_data_page_) {
    return Status::Corrupt(fmt::format("{} at offset {}: unexpected second or late dictionary page in column '{}'",
                                       file_->path(), offset, leaf_.name));
  }
  const auto& d = *h.dictionary_page;
  if (d.encoding != kPlain && d.encoding != kPlainDictionary) {
    return Status::Unsupported(fmt::format("{} at offset {}: dictionary page encoding {} ({}) is not supported",
                                           file_->path(), offset, EncodingName(d.encoding), d.encoding));
  }
  if (d.num_values < 0) {
    return Status::Corrupt(fmt::format("{} at offset {}: dictionary page num_values {} is negative", file_->path(),
                                       offset, d.num_values));
  }
  ByteCursor data;  // string views of the dictionary point into dict_buf_ or the mapped file
  CM_RETURN_IF_ERROR(Inflate(raw, static_cast<uint64_t>(h.uncompressed_page_size), &dict_buf_, &data));
  size_t count = static_cast<size_t>(d.num_values);
  if (leaf_.type == PhysicalType::kByteArray) {
    CM_RETURN_IF_ERROR(DecodeStringDictionary(data, count, &dict_strings_));
  } else if (NumericWidth(leaf_.type) != 0) {
    CM_RETURN_IF_ERROR(DecodeDoubleDictionary(leaf_.type, data, count, &dict_doubles_));
  } else {
    return Status::Unsupported(fmt::format("{} at offset {}: column '{}' has physical type {}, which is not supported",
                                           file_->path(), offset, leaf_.name, static_cast<int>(leaf_.type)));
  }
  have_dict_ = true;
  return Status::Ok();
}

Status ColumnStreamImpl::StartValues(int32_t encoding, ByteCursor values) {
  dbl_dec_.reset();
  str_dec_.reset();
  if (leaf_.type == PhysicalType::kByteArray) {
    CM_ASSIGN_OR_RETURN(str_dec_, MakeStringDecoder(encoding, values, have_dict_ ? &dict_strings_ : nullptr));
  } else {
    CM_ASSIGN_OR_RETURN(dbl_dec_, MakeDoubleDecoder(encoding, leaf_.type, values, have_dict_ ? &dict_doubles_ : nullptr));
  }
  return Status::Ok();
}

Status ColumnStreamImpl::LoadDataPage(const PageHeader& h, ByteCursor raw, uint64_t offset) {
  if (!h.data_page) {
    return Status::Corrupt(fmt::format("{} at offset {}: DATA_PAGE without a data_page_header", file_->path(), offset));
  }
  const auto& d = *h.data_page;
  if (d.num_values < 0 || d.num_values > chunk_values_left_) {
    return Status::Corrupt(fmt::format("{} at offset {}: data page num_values {} is not within 0..{} (values left in "
                                       "the column chunk)", file_->path(), offset, d.num_values, chunk_values_left_));
  }
  size_t n = static_cast<size_t>(d.num_values);
  if (chunk_->codec == kSnappy && d.encoding == kPlain && NumericWidth(leaf_.type) != 0 &&
      static_cast<uint64_t>(h.uncompressed_page_size) >= kStreamPageBytes) {
    CM_RETURN_IF_ERROR(LoadStreamedDataPage(h, raw, n));
  } else {
    ByteCursor page;
    CM_RETURN_IF_ERROR(Inflate(raw, static_cast<uint64_t>(h.uncompressed_page_size), &page_buf_, &page));
    rep_dec_ = LevelDecoder();
    def_dec_ = LevelDecoder();
    CM_RETURN_IF_ERROR(rep_dec_.InitV1(d.repetition_level_encoding, leaf_.max_rep, n, &page));
    CM_RETURN_IF_ERROR(def_dec_.InitV1(d.definition_level_encoding, leaf_.max_def, n, &page));
    CM_RETURN_IF_ERROR(StartValues(d.encoding, page));
  }
  chunk_values_left_ -= d.num_values;
  page_levels_left_ = n;
  page_offset_ = offset;
  chunk_has_data_page_ = true;
  return Status::Ok();
}

// A large snappy page of PLAIN numbers (DuckDB writes ~120 MB embedding pages): the levels are
// read out of the stream first (they are small), then values are decoded as they are asked for,
// so the page is never held decompressed.
Status ColumnStreamImpl::LoadStreamedDataPage(const PageHeader& h, ByteCursor raw, size_t n) {
  const auto& d = *h.data_page;
  const MappedFile* file = file_;
  uint64_t start = raw.file_offset();
  auto stream = std::make_unique<SnappyStream>(raw.current(), raw.size(), file_->path(), start,
                                               [file, start](size_t done) { file->Release(start, done); });
  CM_RETURN_IF_ERROR(stream->Init());
  if (stream->total() != static_cast<uint64_t>(h.uncompressed_page_size)) {
    return Status::Corrupt(fmt::format("{} at offset {}: SNAPPY page data: expected {} uncompressed bytes, the snappy "
                                       "stream holds {}", file_->path(), start, h.uncompressed_page_size,
                                       stream->total()));
  }
  levels_buf_.clear();
  for (auto [encoding, max_level] : {std::pair{d.repetition_level_encoding, leaf_.max_rep},
                                     std::pair{d.definition_level_encoding, leaf_.max_def}}) {
    if (max_level == 0) continue;
    uint64_t len = 0;
    if (encoding == kRle) {
      uint8_t prefix[4];
      CM_RETURN_IF_ERROR(stream->Read(prefix, 4));
      levels_buf_.insert(levels_buf_.end(), prefix, prefix + 4);
      len = uint64_t{prefix[0]} | uint64_t{prefix[1]} << 8 | uint64_t{prefix[2]} << 16 | uint64_t{prefix[3]} << 24;
    } else if (encoding == kBitPacked) {
      len = BitPackedLevelBytes(n, max_level);
    } else {
      return Status::Unsupported(fmt::format("{} at offset {}: level encoding {} ({}) is not supported",
                                             file_->path(), start, EncodingName(encoding), encoding));
    }
    if (len > stream->remaining()) {
      return Status::Corrupt(fmt::format("{} at offset {}: levels of {} bytes do not fit in the page ({} bytes left)",
                                         file_->path(), start, len, stream->remaining()));
    }
    size_t at = levels_buf_.size();
    levels_buf_.resize(at + static_cast<size_t>(len));
    CM_RETURN_IF_ERROR(stream->Read(levels_buf_.data() + at, static_cast<size_t>(len)));
  }
  ByteCursor levels(levels_buf_.data(), levels_buf_.size(), file_->path(), start);
  rep_dec_ = LevelDecoder();
  def_dec_ = LevelDecoder();
  CM_RETURN_IF_ERROR(rep_dec_.InitV1(d.repetition_level_encoding, leaf_.max_rep, n, &levels));
  CM_RETURN_IF_ERROR(def_dec_.InitV1(d.definition_level_encoding, leaf_.max_def, n, &levels));
  str_dec_.reset();
  dbl_dec_ = MakeStreamedPlainDoubleDecoder(leaf_.type, std::move(stream));
  return Status::Ok();
}

Status ColumnStreamImpl::LoadDataPageV2(const PageHeader& h, ByteCursor raw, uint64_t offset) {
  if (!h.data_page_v2) {
    return Status::Corrupt(fmt::format("{} at offset {}: DATA_PAGE_V2 without a data_page_header_v2", file_->path(),
                                       offset));
  }
  const auto& d = *h.data_page_v2;
  if (d.num_values < 0 || d.num_values > chunk_values_left_) {
    return Status::Corrupt(fmt::format("{} at offset {}: data page v2 num_values {} is not within 0..{} (values left "
                                       "in the column chunk)", file_->path(), offset, d.num_values, chunk_values_left_));
  }
  int64_t levels = int64_t{d.repetition_levels_byte_length} + d.definition_levels_byte_length;
  if (d.repetition_levels_byte_length < 0 || d.definition_levels_byte_length < 0 ||
      levels > h.compressed_page_size || levels > h.uncompressed_page_size) {
    return Status::Corrupt(fmt::format("{} at offset {}: data page v2 level lengths {} + {} do not fit the page "
                                       "({} bytes compressed, {} uncompressed)", file_->path(), offset,
                                       d.repetition_levels_byte_length, d.definition_levels_byte_length,
                                       h.compressed_page_size, h.uncompressed_page_size));
  }
  ByteCursor rep, def, rest;
  CM_RETURN_IF_ERROR(raw.Slice(static_cast<size_t>(d.repetition_levels_byte_length), &rep, "v2 repetition levels"));
  CM_RETURN_IF_ERROR(raw.Slice(static_cast<size_t>(d.definition_levels_byte_length), &def, "v2 definition levels"));
  CM_RETURN_IF_ERROR(raw.Slice(raw.remaining(), &rest, "v2 values"));
  uint64_t values_size = static_cast<uint64_t>(h.uncompressed_page_size - levels);
  ByteCursor values;
  if (d.is_compressed) {
    CM_RETURN_IF_ERROR(Inflate(rest, values_size, &page_buf_, &values));
  } else {
    if (rest.size() != values_size) {
      return rest.Error(fmt::format("uncompressed v2 page values hold {} bytes, the header declares {}", rest.size(),
                                    values_size));
    }
    values = rest;
  }
  rep_dec_ = LevelDecoder();
  def_dec_ = LevelDecoder();
  CM_RETURN_IF_ERROR(rep_dec_.InitV2(leaf_.max_rep, rep));
  CM_RETURN_IF_ERROR(def_dec_.InitV2(leaf_.max_def, def));
  CM_RETURN_IF_ERROR(StartValues(d.encoding, values));
  chunk_values_left_ -= d.num_values;
  page_levels_left_ = static_cast<uint64_t>(d.num_values);
  page_offset_ = offset;
  chunk_has_data_page_ = true;
  return Status::Ok();
}

Status ColumnStreamImpl::TooManyRows() const {
  return Status::Corrupt(fmt::format("{} at offset {}: column '{}' in row group {} holds more than the {} rows the row "
                                     "group declares", file_->path(), page_offset_, leaf_.name, chunk_->row_group,
                                     chunk_->num_rows));
}

Status ColumnStreamImpl::CheckFirstEntry(size_t j, uint64_t new_rows) const {
  if (rep_buf_[j] != 0 && chunk_rows_ + new_rows == 0) {
    return Status::Corrupt(fmt::format("{} at offset {}: column '{}' in row group {}: the first value continues a "
                                       "row (repetition level {}, expected 0)", file_->path(), page_offset_,
                                       leaf_.name, chunk_->row_group, rep_buf_[j]));
  }
  if (rep_buf_[j] != 0 && def_buf_[j] < leaf_.def_elem) {
    return Status::Corrupt(fmt::format("{} at offset {}: column '{}': repetition level {} with definition level {} "
                                       "(a repeated entry must be an element, level >= {})", file_->path(),
                                       page_offset_, leaf_.name, rep_buf_[j], def_buf_[j], leaf_.def_elem));
  }
  return Status::Ok();
}

// Levels are scanned kLevelBlock at a time where a block lies inside one list whose elements
// are all there (no entry starts a row, none is below def_elem): a long embedding is such
// blocks but for the block around each row's start. A fixed-size, branch-free block
// vectorises; a block that is not plain is taken entry by entry.
constexpr size_t kLevelBlock = 32;

// True when the block at rep/def holds no row start and only elements; *present counts the
// elements whose value is there (def == max_def).
bool PlainLevelBlock(const uint16_t* rep, const uint16_t* def, uint16_t def_elem, uint16_t max_def,
                     size_t* present) {
  unsigned starts = 0, below = 0, there = 0;
  for (size_t k = 0; k < kLevelBlock; ++k) {
    starts |= rep[k] == 0;
    below |= def[k] < def_elem;
    there += def[k] == max_def;
  }
  *present = there;
  return (starts | below) == 0;
}

Status ColumnStreamImpl::ReadDoubleLists(size_t max_rows, DoubleListBatch* out) {
  if (NumericWidth(leaf_.type) == 0) return WrongKind("as numbers (use ReadStrings)");
  if (max_rows == 0) return Status::Ok();
  const uint16_t max_def = static_cast<uint16_t>(leaf_.max_def);
  const uint16_t def_elem = static_cast<uint16_t>(leaf_.def_elem);
  const uint16_t def_list = static_cast<uint16_t>(leaf_.def_list);
  size_t started = 0;
  for (;;) {
    bool have = false;
    CM_RETURN_IF_ERROR(EnsureEntry(&have));
    if (!have) break;
    // First pass over the buffered levels: where this call stops (before the row that would
    // exceed max_rows), how many values are present and how many list elements there are.
    size_t j = buf_pos_;
    uint64_t new_rows = 0;
    size_t nvals = 0, elems = 0;
    size_t entrywise_until = j;  // entries before it are taken one by one
    for (; j < buf_len_; ++j) {
      if (j >= entrywise_until) {
        size_t present = 0;
        if (j + kLevelBlock <= buf_len_ && chunk_rows_ + new_rows > 0 &&
            PlainLevelBlock(&rep_buf_[j], &def_buf_[j], def_elem, max_def, &present)) {
          nvals += present;
          elems += kLevelBlock;
          j += kLevelBlock - 1;
          continue;
        }
        entrywise_until = j + kLevelBlock;
      }
      uint16_t def = def_buf_[j];
      if (rep_buf_[j] == 0) {
        if (started + new_rows == max_rows) break;
        if (chunk_rows_ + new_rows == static_cast<uint64_t>(chunk_->num_rows)) return TooManyRows();
        ++new_rows;
      } else if (chunk_rows_ + new_rows == 0 || def < def_elem) {
        return CheckFirstEntry(j, new_rows);
      }
      nvals += def == max_def;
      elems += def >= def_elem;
    }
    // Second pass: values go straight into the batch (through scratch only when some element
    // is NULL), then the rows' bounds and NULL flags.
    size_t base = out->values.size();
    out->values.resize(base + elems);
    out->value_is_null.resize(base + elems, 0);
    double* values = out->values.data() + base;
    if (nvals == elems) {
      if (nvals > 0) CM_RETURN_IF_ERROR(dbl_dec_->Next(nvals, values));
    } else if (nvals > 0) {
      CM_RETURN_IF_ERROR(dbl_dec_->Next(nvals, scratch_.data()));
    }
    size_t pos = base, k = 0;
    entrywise_until = buf_pos_;
    for (size_t i = buf_pos_; i < j; ++i) {
      if (nvals == elems && i >= entrywise_until) {  // with NULL elements every entry is looked at
        size_t present = 0;
        if (i + kLevelBlock <= j && PlainLevelBlock(&rep_buf_[i], &def_buf_[i], def_elem, max_def, &present)) {
          pos += kLevelBlock;
          i += kLevelBlock - 1;
          continue;
        }
        entrywise_until = i + kLevelBlock;
      }
      uint16_t def = def_buf_[i];
      if (rep_buf_[i] == 0) {
        out->offsets.back() = pos;
        out->offsets.push_back(pos);
        out->row_is_null.push_back(def < def_list ? 1 : 0);
      }
      if (def >= def_elem) {
        if (nvals != elems) {
          if (def == max_def) {
            out->values[pos] = scratch_[k++];
          } else {
            out->values[pos] = std::numeric_limits<double>::quiet_NaN();
            out->value_is_null[pos] = 1;
          }
        }
        ++pos;
      }
    }
    out->offsets.back() = pos;
    buf_pos_ = j;
    started += new_rows;
    chunk_rows_ += new_rows;
    if (j < buf_len_) break;  // the next row would exceed max_rows
  }
  rows_read_ += started;
  return Status::Ok();
}

Status ColumnStreamImpl::ReadStrings(size_t max_rows, std::vector<std::optional<std::string>>* out) {
  if (leaf_.type != PhysicalType::kByteArray || leaf_.is_list) return WrongKind("as strings (use ReadDoubleLists)");
  size_t started = 0;
  while (started < max_rows) {
    bool have = false;
    CM_RETURN_IF_ERROR(EnsureEntry(&have));
    if (!have) break;
    size_t take = std::min(buf_len_ - buf_pos_, max_rows - started);
    if (chunk_rows_ + take > static_cast<uint64_t>(chunk_->num_rows)) return TooManyRows();
    for (size_t i = buf_pos_; i < buf_pos_ + take; ++i) {
      if (def_buf_[i] == leaf_.max_def) {
        std::string s;
        CM_RETURN_IF_ERROR(str_dec_->Next(&s));
        out->emplace_back(std::move(s));
      } else {
        out->emplace_back(std::nullopt);
      }
    }
    buf_pos_ += take;
    started += take;
    chunk_rows_ += take;
  }
  rows_read_ += started;
  return Status::Ok();
}

}  // namespace

std::unique_ptr<ColumnStream> MakeColumnStream(const MappedFile* file, LeafColumn leaf,
                                               std::vector<ChunkLocation> chunks) {
  return std::make_unique<ColumnStreamImpl>(file, std::move(leaf), std::move(chunks));
}

}  // namespace cm::parquet
