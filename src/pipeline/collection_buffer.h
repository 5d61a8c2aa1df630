// CollectionBuffer: records of one collection held in memory with the dimension rule (the first
// valid record fixes it) and the duplicate-id policy applied. Both users feed it one RecordSpill
// partition at a time (all occurrences of an id share a partition): the persist-dir runner its
// records whose id repeats, verify its expected records.
//
// With DuplicatePolicy::kLast a later record replaces the earlier one in place (its label
// position stays; its content is the last one's) and the superseded record is handed back
// for the rejects file; kFirst hands back the later record instead; kFail reports an error.
// One thread.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/collection.h"
#include "core/record.h"
#include "core/status.h"
#include "pipeline/policies.h"

namespace cm {

class CollectionBuffer {
 public:
  CollectionBuffer(CollectionSpec spec, DuplicatePolicy duplicates) : spec_(std::move(spec)), duplicates_(duplicates) {}

  const CollectionSpec& spec() const { return spec_; }
  CollectionSpec& mutable_spec() { return spec_; }
  const RecordBatch& records() const { return records_; }
  RecordBatch& mutable_records() { return records_; }

  // Row of `id`, or -1.
  long Find(const std::string& id) const {
    auto it = row_of_id_.find(id);
    return it == row_of_id_.end() ? -1 : static_cast<long>(it->second);
  }

  // Adds a converted record. Returns:
  //   * OK with *displaced empty: stored;
  //   * OK with *displaced set: a record (the old or the new one) not kept, and why;
  //   * an error for --duplicates fail.
  Status Add(ConvertedRecord r, const std::string& location, std::optional<ConvertedRecord>* displaced,
             std::string* displaced_location, std::optional<RejectReason>* why, ChangeCounts* changes);

 private:
  CollectionSpec spec_;
  DuplicatePolicy duplicates_;
  RecordBatch records_;
  std::unordered_map<std::string, size_t> row_of_id_;
  std::vector<std::string> locations_;
};

}  // namespace cm
