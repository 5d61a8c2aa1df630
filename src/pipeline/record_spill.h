// RecordSpill: encoded records kept in memory up to a budget, then hash-partitioned into an
// anonymous temporary file, so that a pass over every record of a large source needs bounded
// memory (verify's expected and found records).
//
// Each record is added with a 64-bit hash (of its collection and id): records that share a
// hash always land in the same partition, in the order they were added. While the records fit
// in `memory_budget` bytes there is one partition, held in memory. The first Add past the
// budget moves to partitions (as many as PartitionsFor gives for the expected number of records
// at the average size seen so far): every partition has a write buffer; full buffers are appended to the file as
// blocks and indexed by partition, so a partition is read back block by block in the order its
// records were added. The file is created in the temporary directory ($TMPDIR, else /tmp) and
// unlinked at once: nothing is left behind, whatever happens.
//
// One thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "io/byte_cursor.h"
#include "io/unique_fd.h"
#include "pipeline/policies.h"

namespace cm {

class RecordSpill {
 public:
  // `what` names the records in errors ("expected records").
  RecordSpill(std::string what, uint64_t memory_budget);
  RecordSpill(const RecordSpill&) = delete;
  RecordSpill& operator=(const RecordSpill&) = delete;

  // How many partitions records totalling `estimated_bytes` need for each to fit in
  // half of `memory_budget` (at least 2; 64 when nothing is known).
  static size_t PartitionsFor(std::optional<uint64_t> estimated_bytes, uint64_t memory_budget);

  // How many records are expected in all (an upper bound is fine; unknown: 64 partitions).
  void set_expected_records(std::optional<uint64_t> n) { expected_records_ = n; }
  // Starts partitioned at once (e.g. the found records, partitioned like the expected ones).
  Status StartPartitioned(size_t partitions);

  Status Add(uint64_t hash, std::string_view record);
  // Flushes the write buffers; call once after the last Add.
  Status Finish();

  size_t partitions() const { return partitions_; }
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }
  bool on_disk() const { return fd_.valid(); }

  // Calls `fn` for each record of partition `p`, in the order they were added.
  Status ForEach(size_t p, const std::function<Status(ByteCursor&)>& fn) const;

 private:
  struct Block {
    uint64_t offset;
    uint32_t size;
  };
  Status Spill(size_t partitions);
  Status Append(size_t p, uint64_t hash, std::string_view record);
  Status Flush(size_t p);
  Status ReadBlocks(const std::vector<Block>& blocks, const std::function<Status(ByteCursor&)>& fn) const;

  std::string what_;
  uint64_t budget_;
  std::optional<uint64_t> expected_records_;
  size_t partitions_ = 1;
  uint64_t records_ = 0, bytes_ = 0;
  std::string memory_;  // one partition, in memory (before spilling)
  UniqueFd fd_;
  std::string path_;  // for messages (unlinked)
  uint64_t file_size_ = 0;
  std::vector<std::string> buffers_;
  std::vector<std::vector<Block>> blocks_;
};

// Encoding of records for a RecordSpill: little-endian lengths and values.
class SpillEncoder {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Raw(&v, sizeof v); }
  void Str(std::string_view s);
  void OptStr(const std::optional<std::string>& s);
  void Meta(const Metadata& m);
  void Floats(const float* v, size_t n);
  void Doubles(const double* v, size_t n);
  const std::string& bytes() const { return out_; }
  void Clear() { out_.clear(); }

 private:
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

// The decoding side; each call fails (Corrupt, naming the spill file and offset) on short input.
Status SpillStr(ByteCursor& c, std::string* out);
Status SpillOptStr(ByteCursor& c, std::optional<std::string>* out);
Status SpillMeta(ByteCursor& c, Metadata* out);
Status SpillFloats(ByteCursor& c, std::vector<float>* out);
Status SpillDoubles(ByteCursor& c, std::vector<double>* out);

// A converted record and where it was read (the duplicate policy's messages name it).
void EncodeConverted(SpillEncoder* e, const std::string& location, const ConvertedRecord& r);
Status DecodeConverted(ByteCursor& c, std::string* location, ConvertedRecord* r);

// A hash of (collection key, id) for partitioning.
uint64_t SpillHash(std::string_view collection_key, std::string_view id);

}  // namespace cm
