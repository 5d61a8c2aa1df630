// CollectionState: the live records of one modern collection, built from the materialised
// segments and then brought up to date by replaying the embeddings_queue (modern-format.md
// §4.3, §8).
//
// Chroma keeps two independent views: the METADATA segment (ids, documents, URIs, metadata in
// SQLite) and the VECTOR segment (HNSW). Each has its own max_seq_id, so a queue row may apply
// to one and not the other; the state therefore tracks "present in metadata" and "present in
// vectors" separately, with the same per-segment semantics Chroma applies:
//   add    = insert if absent (a re-added id is ignored),
//   update = modify if present (vector optional; metadata merged, a JSON null deletes the key,
//            "chroma:document"/"chroma:uri" set the document/URI),
//   upsert = insert if absent, otherwise update as above,
//   delete = remove.
// Vectors are referenced, not copied (an HNSW slot or a queue row), and so are the documents
// and metadata of materialised records (their embeddings.id in SQLite, read when emitted): memory
// grows with the number of ids and with what the queue tail changes, not with the data. The
// fields of a materialised record are read only when a queue update must merge into them.
//
// Records come out in first-insertion order. Not thread-safe; one per collection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/value.h"

namespace cm {

enum class QueueOp : int { kAdd = 0, kUpdate = 1, kUpsert = 2, kDelete = 3 };

inline constexpr const char* kChromaDocumentKey = "chroma:document";
inline constexpr const char* kChromaUriKey = "chroma:uri";

struct VectorRef {
  enum class Kind { kNone, kSlot, kQueue };
  Kind kind = Kind::kNone;
  uint64_t index = 0;  // HNSW slot (internal id), or queue seq_id
  bool operator==(const VectorRef&) const = default;
};

struct RecordFields {
  std::optional<std::string> document;
  std::optional<std::string> uri;
  Value::Object metadata;  // never holds chroma:document / chroma:uri
};

// One per record of a collection, held while the collection is read (a million of them beside a
// graph being built): 64 bytes and the id, the fields only for the few records the queue wrote.
struct LiveRecord {
  std::string id;
  std::unique_ptr<RecordFields> fields;  // when rowid is 0; null when it has none
  int64_t rowid = 0;  // else: the fields are the metadata segment's rows for this embeddings.id
  VectorRef vector;   // kNone when no segment holds a vector for it
};

class CollectionState {
 public:
  // Reads a materialised record's fields (for a queue update that merges into them).
  using FieldsLoader = std::function<Result<RecordFields>(int64_t rowid)>;
  explicit CollectionState(FieldsLoader loader = {}) : loader_(std::move(loader)) {}

  // Materialised state (before replay): a record whose fields stay in SQLite under `rowid`.
  void PutMaterialised(const std::string& id, int64_t rowid);
  // A record with its fields in hand.
  void PutMetadataRecord(const std::string& id, RecordFields fields);
  void PutVector(const std::string& id, VectorRef ref);

  // One queue row. `metadata` is the parsed JSON object of embeddings_queue.metadata, or Null
  // (SQL NULL). `vector` is kNone when the row has none. `to_metadata` / `to_vector` say whether
  // the row's seq_id is beyond the respective segment's max_seq_id. Corrupt when the metadata
  // is neither an object nor null.
  Status Apply(QueueOp op, const std::string& id, VectorRef vector, const Value& metadata, bool to_metadata,
               bool to_vector);

  // Live records (present in the metadata view), in first-insertion order.
  std::vector<LiveRecord> Finish() const;
  size_t live_count() const { return live_meta_; }
  // Ids that have a vector but no metadata record (ignored, like Chroma's count/get do).
  size_t vector_only_count() const;

 private:
  struct Entry {
    std::string id;
    bool has_meta = false;
    RecordFields fields;
    int64_t rowid = 0;  // fields not loaded yet: they are in SQLite under this embeddings.id
    VectorRef vector;
  };
  FieldsLoader loader_;
  Entry& Slot(const std::string& id);
  Entry* Find(const std::string& id);

  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;
  size_t live_meta_ = 0;
};

// Applies a queue metadata object to `fields`: values replace, JSON null deletes the key,
// chroma:document / chroma:uri go to the document / URI (null clears them).
void MergeQueueMetadata(const Value::Object& update, RecordFields* fields);
// Fields of a freshly inserted record (null values are dropped).
RecordFields FieldsFromQueueMetadata(const Value& metadata);

}  // namespace cm
