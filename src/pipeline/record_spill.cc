#include "pipeline/record_spill.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/fs_util.h"
#include "io/positional_io.h"

namespace cm {
namespace {

constexpr size_t kMaxPartitions = 1024;

// Every record is framed as [u32 length][u64 hash][record].
void Frame(std::string* out, uint64_t hash, std::string_view record) {
  uint32_t n = static_cast<uint32_t>(record.size());
  out->append(reinterpret_cast<const char*>(&n), sizeof n);
  out->append(reinterpret_cast<const char*>(&hash), sizeof hash);
  out->append(record);
}

}  // namespace

RecordSpill::RecordSpill(std::string what, uint64_t memory_budget) : what_(std::move(what)), budget_(memory_budget) {}

size_t RecordSpill::PartitionsFor(std::optional<uint64_t> estimated_bytes, uint64_t memory_budget) {
  if (!estimated_bytes) return 64;
  uint64_t half = std::max<uint64_t>(memory_budget / 2, 1);
  uint64_t p = (*estimated_bytes + half - 1) / half;
  return static_cast<size_t>(std::clamp<uint64_t>(p, 2, kMaxPartitions));
}

Status RecordSpill::StartPartitioned(size_t partitions) {
  if (records_ != 0) return Status::Internal("RecordSpill::StartPartitioned after Add");
  if (partitions <= 1) return Status::Ok();
  return Spill(partitions);
}

Status RecordSpill::Spill(size_t partitions) {
  partitions = std::clamp<size_t>(partitions, 2, kMaxPartitions);
  std::string name = TempDir() + "/chroma-migrate-spill-XXXXXX";
  fd_ = CreateUnlinkedFile(&name);
  if (!fd_.valid()) {
    return Status::IoError(fmt::format("{}: cannot create a temporary file for the {} ({}); set TMPDIR to a "
                                       "directory with room for them", name, what_, std::strerror(errno)));
  }
  path_ = std::move(name);
  partitions_ = partitions;
  buffers_.assign(partitions_, std::string());
  blocks_.assign(partitions_, {});
  // The move itself: what was held in memory is re-framed into its partitions.
  std::string held = std::move(memory_);
  memory_ = std::string();
  ByteCursor c(held, "spill buffer");
  while (!c.empty()) {
    uint32_t n = 0;
    uint64_t hash = 0;
    std::string_view rec;
    CM_RETURN_IF_ERROR(c.ReadLE(&n, "record length"));
    CM_RETURN_IF_ERROR(c.ReadLE(&hash, "record hash"));
    CM_RETURN_IF_ERROR(c.ReadBytes(n, &rec, "record"));
    CM_RETURN_IF_ERROR(Append(hash % partitions_, hash, rec));
  }
  return Status::Ok();
}

Status RecordSpill::Add(uint64_t hash, std::string_view record) {
  if (record.size() > UINT32_MAX) {
    return Status::InvalidArgument(fmt::format("a record of {} bytes is too large to hold for verification", record.size()));
  }
  ++records_;
  bytes_ += record.size();
  if (!fd_.valid()) {
    Frame(&memory_, hash, record);
    if (memory_.size() <= budget_) return Status::Ok();
    // The estimate allows 64 bytes per record beyond its encoding (framing, decoded copy).
    std::optional<uint64_t> estimate;
    if (expected_records_) estimate = *expected_records_ * (bytes_ / records_ + 64);
    return Spill(PartitionsFor(estimate, budget_));
  }
  return Append(hash % partitions_, hash, record);
}

Status RecordSpill::Append(size_t p, uint64_t hash, std::string_view record) {
  std::string& b = buffers_[p];
  Frame(&b, hash, record);
  // A quarter of the budget for all write buffers together, 16 KiB to 1 MiB each.
  size_t limit = std::clamp<size_t>(budget_ / 4 / partitions_, 16 << 10, 1 << 20);
  return b.size() >= limit ? Flush(p) : Status::Ok();
}

Status RecordSpill::Flush(size_t p) {
  std::string& b = buffers_[p];
  if (b.empty()) return Status::Ok();
  Status written = PwriteFull(fd_.get(), b.data(), b.size(), file_size_, path_ + " (temporary, unlinked)");
  if (!written.ok()) {
    return Status(written.code(), fmt::format("holding the {}: {}; set TMPDIR to a directory with more room", what_,
                                              written.message()));
  }
  blocks_[p].push_back(Block{file_size_, static_cast<uint32_t>(b.size())});
  file_size_ += b.size();
  b.clear();
  return Status::Ok();
}

Status RecordSpill::Finish() {
  for (size_t p = 0; fd_.valid() && p < partitions_; ++p) {
    CM_RETURN_IF_ERROR(Flush(p));
    buffers_[p].shrink_to_fit();
  }
  return Status::Ok();
}

Status RecordSpill::ForEach(size_t p, const std::function<Status(ByteCursor&)>& fn) const {
  if (!fd_.valid()) {
    if (p != 0) return Status::Internal("RecordSpill::ForEach: no such partition");
    return ReadBlocks({}, fn);
  }
  if (p >= partitions_) return Status::Internal("RecordSpill::ForEach: no such partition");
  return ReadBlocks(blocks_[p], fn);
}

Status RecordSpill::ReadBlocks(const std::vector<Block>& blocks, const std::function<Status(ByteCursor&)>& fn) const {
  auto walk = [&](std::string_view bytes, uint64_t offset) -> Status {
    ByteCursor c(bytes, fd_.valid() ? path_ : "spill buffer", offset);
    while (!c.empty()) {
      uint32_t n = 0;
      uint64_t hash = 0;
      ByteCursor rec;
      CM_RETURN_IF_ERROR(c.ReadLE(&n, "record length"));
      CM_RETURN_IF_ERROR(c.ReadLE(&hash, "record hash"));
      CM_RETURN_IF_ERROR(c.Slice(n, &rec, "record"));
      CM_RETURN_IF_ERROR(fn(rec));
    }
    return Status::Ok();
  };
  if (!fd_.valid()) return walk(memory_, 0);
  std::string buf;
  for (const Block& b : blocks) {
    buf.resize(b.size);
    Status read = PreadFull(fd_.get(), buf.data(), b.size, b.offset, path_ + " (temporary, unlinked)");
    CM_RETURN_IF_ERROR(read.WithContext("reading the " + what_ + " back"));
    CM_RETURN_IF_ERROR(walk(buf, b.offset));
  }
  return Status::Ok();
}

void SpillEncoder::Str(std::string_view s) {
  U32(static_cast<uint32_t>(s.size()));
  out_.append(s);
}

void SpillEncoder::OptStr(const std::optional<std::string>& s) {
  U8(s ? 1 : 0);
  if (s) Str(*s);
}

void SpillEncoder::Meta(const Metadata& m) {
  U32(static_cast<uint32_t>(m.size()));
  for (const MetadataEntry& e : m) {
    Str(e.key);
    U8(static_cast<uint8_t>(e.value.index()));
    if (auto* b = std::get_if<bool>(&e.value)) U8(*b ? 1 : 0);
    if (auto* i = std::get_if<int64_t>(&e.value)) Raw(i, sizeof *i);
    if (auto* d = std::get_if<double>(&e.value)) Raw(d, sizeof *d);
    if (auto* s = std::get_if<std::string>(&e.value)) Str(*s);
  }
}

void SpillEncoder::Floats(const float* v, size_t n) {
  U32(static_cast<uint32_t>(n));
  Raw(v, n * sizeof(float));
}

void SpillEncoder::Doubles(const double* v, size_t n) {
  U32(static_cast<uint32_t>(n));
  Raw(v, n * sizeof(double));
}

Status SpillStr(ByteCursor& c, std::string* out) {
  uint32_t n = 0;
  std::string_view s;
  CM_RETURN_IF_ERROR(c.ReadLE(&n, "string length"));
  CM_RETURN_IF_ERROR(c.ReadBytes(n, &s, "string"));
  out->assign(s);
  return Status::Ok();
}

Status SpillOptStr(ByteCursor& c, std::optional<std::string>* out) {
  uint8_t present = 0;
  CM_RETURN_IF_ERROR(c.ReadU8(&present, "string presence"));
  if (!present) {
    out->reset();
    return Status::Ok();
  }
  std::string s;
  CM_RETURN_IF_ERROR(SpillStr(c, &s));
  *out = std::move(s);
  return Status::Ok();
}

Status SpillMeta(ByteCursor& c, Metadata* out) {
  uint32_t n = 0;
  CM_RETURN_IF_ERROR(c.ReadLE(&n, "metadata size"));
  out->clear();
  for (uint32_t i = 0; i < n; ++i) {
    MetadataEntry e;
    uint8_t kind = 0;
    CM_RETURN_IF_ERROR(SpillStr(c, &e.key));
    CM_RETURN_IF_ERROR(c.ReadU8(&kind, "metadata value type"));
    switch (kind) {
      case 0: {
        uint8_t b = 0;
        CM_RETURN_IF_ERROR(c.ReadU8(&b, "bool value"));
        e.value = b != 0;
        break;
      }
      case 1: {
        int64_t v = 0;
        CM_RETURN_IF_ERROR(c.ReadLE(&v, "int value"));
        e.value = v;
        break;
      }
      case 2: {
        double v = 0;
        CM_RETURN_IF_ERROR(c.ReadLE(&v, "float value"));
        e.value = v;
        break;
      }
      case 3: {
        std::string s;
        CM_RETURN_IF_ERROR(SpillStr(c, &s));
        e.value = std::move(s);
        break;
      }
      default:
        return c.Error(fmt::format("metadata value type {} (expected 0..3)", kind));
    }
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

template <typename T>
static Status SpillNumbers(ByteCursor& c, std::vector<T>* out) {
  uint32_t n = 0;
  std::string_view bytes;
  CM_RETURN_IF_ERROR(c.ReadLE(&n, "vector length"));
  CM_RETURN_IF_ERROR(c.ReadBytes(size_t{n} * sizeof(T), &bytes, "vector"));
  out->resize(n);
  std::memcpy(out->data(), bytes.data(), bytes.size());
  return Status::Ok();
}

Status SpillFloats(ByteCursor& c, std::vector<float>* out) { return SpillNumbers(c, out); }
Status SpillDoubles(ByteCursor& c, std::vector<double>* out) { return SpillNumbers(c, out); }

void EncodeConverted(SpillEncoder* e, const std::string& location, const ConvertedRecord& r) {
  e->Str(location);
  e->Str(r.id);
  e->OptStr(r.document);
  e->OptStr(r.uri);
  e->Meta(r.metadata);
  e->Floats(r.embedding.data(), r.embedding.size());
}

Status DecodeConverted(ByteCursor& c, std::string* location, ConvertedRecord* r) {
  CM_RETURN_IF_ERROR(SpillStr(c, location));
  CM_RETURN_IF_ERROR(SpillStr(c, &r->id));
  CM_RETURN_IF_ERROR(SpillOptStr(c, &r->document));
  CM_RETURN_IF_ERROR(SpillOptStr(c, &r->uri));
  CM_RETURN_IF_ERROR(SpillMeta(c, &r->metadata));
  return SpillFloats(c, &r->embedding);
}

uint64_t SpillHash(std::string_view collection_key, std::string_view id) {
  // FNV-1a over key, a separator no key contains, and id; then a final mix so that the low bits
  // (the partition) depend on every byte.
  uint64_t h = 1469598103934665603ull;
  auto eat = [&](std::string_view s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 1099511628211ull;
    }
  };
  eat(collection_key);
  eat(std::string_view("\0", 1));
  eat(id);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace cm
