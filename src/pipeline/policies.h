// Policies: how raw source records become valid Chroma 1.x records, deterministically, with
// every change counted and every record that cannot be migrated rejected with a reason.
//
// Defaults (issue "legacy → persist dir"):
//   * NULL id → the legacy row uuid (--null-ids uuid|reject);
//   * empty/NULL embedding, NULL or non-finite elements, values outside float32, or a dimension
//     other than the collection's (its first valid row) → rejected;
//   * metadata SQL NULL, `null`, `{}` → none; a JSON string holding an object (double-encoded) →
//     that object; other non-objects → rejected; keys whose value is null or non-finite →
//     dropped; integers beyond int64 → their decimal text; nested objects/lists → compact JSON
//     text (--nested json|flatten|drop|fail); bool, int64, float and string kept as they are;
//     the reserved keys chroma:document / chroma:uri → rejected;
//   * collection names Chroma 1.x would refuse → an error suggesting --rename old=new.
// A PolicyEngine is used by one thread; its counters are read after the run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/collection.h"
#include "core/record.h"
#include "core/status.h"
#include "sources/source.h"

namespace cm {

enum class NestedPolicy { kJson, kFlatten, kDrop, kFail };
enum class DuplicatePolicy { kLast, kFirst, kFail };
enum class NullIdPolicy { kUuid, kReject };

struct PolicyOptions {
  NestedPolicy nested = NestedPolicy::kJson;
  DuplicatePolicy duplicates = DuplicatePolicy::kLast;
  NullIdPolicy null_ids = NullIdPolicy::kUuid;
  std::map<std::string, std::string> renames;  // source name (or legacy uuid) → new name
};

// Counts of changes, keyed by a stable code such as "metadata.nested_to_json".
using ChangeCounts = std::map<std::string, uint64_t>;

// Why Chroma 1.x would refuse `name`, or nullopt when it is acceptable.
std::optional<std::string> CollectionNameProblem(const std::string& name);

// A record converted by the policies: ready for a sink except for the dimension check.
struct ConvertedRecord {
  std::string id;
  std::vector<float> embedding;
  std::optional<std::string> document;
  std::optional<std::string> uri;
  Metadata metadata;
  std::string source_row;  // legacy embeddings.uuid (finds the record in a reused legacy graph); else empty
};

struct RejectReason {
  std::string code;    // stable, e.g. "embedding.non_finite"
  std::string detail;  // human-readable, names values and positions
};

class PolicyEngine {
 public:
  explicit PolicyEngine(PolicyOptions options) : options_(std::move(options)) {}
  const PolicyOptions& options() const { return options_; }

  // Collection-level conversion; InvalidArgument for a name Chroma would refuse or unusable
  // hnsw:* metadata, naming the collection.
  Result<CollectionSpec> ConvertCollection(const SourceCollection& c, ChangeCounts* changes) const;

  // Record-level conversion: the record, or the reason it cannot be migrated.
  // `changes` receives the policy actions applied to this record.
  std::optional<RejectReason> ConvertRecord(const SourceRecord& in, ConvertedRecord* out, ChangeCounts* changes) const;

  // Metadata conversion shared by records and collections (exposed for tests).
  std::optional<RejectReason> ConvertMetadataText(const std::optional<std::string>& text, Metadata* out,
                                                  ChangeCounts* changes) const;
  std::optional<RejectReason> ConvertMetadataValue(const Value& v, Metadata* out, ChangeCounts* changes) const;
  // Legacy metadata text as Python wrote it → a Value: SQL NULL and `null` → Null, a string
  // holding an object (double-encoded) → that object. Only invalid JSON is an error.
  std::optional<RejectReason> DecodeMetadataText(const std::optional<std::string>& text, Value* out,
                                                 ChangeCounts* changes) const;

 private:
  std::optional<RejectReason> ConvertEntry(const std::string& key, const Value& v, Metadata* out,
                                           ChangeCounts* changes) const;
  std::optional<RejectReason> Flatten(const std::string& prefix, const Value& v, Metadata* out,
                                      ChangeCounts* changes) const;
  PolicyOptions options_;
};

}  // namespace cm
