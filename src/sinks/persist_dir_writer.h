// PersistDirWriter: writes a Chroma 1.x persist directory natively (modern-format.md §7).
//
// Everything is written into a staging directory beside the destination
// ("<dest>.chroma-migrate-partial-<pid>"); Commit() syncs it and renames it into place, so an
// interrupted run never leaves a directory Chroma would open half-filled. The destination must
// be absent or an empty directory unless `overwrite` is set, in which case the old directory is
// replaced only at the final rename.
//
// Per collection (materialised state, §4.3 rule 2): collections row with dimension and
// config_json_str, collection_metadata, VECTOR and METADATA segments, embeddings rows with
// globally increasing seq ids, embedding_metadata (+ chroma:document, chroma:uri), FTS rows with
// rowid = embeddings.id, max_seq_id for both segments, one sentinel embeddings_queue row whose
// seq_id equals the collection's max_seq_id, and the HNSW segment folder with its pickle.
// Empty collections get no segment folder and no max_seq_id rows (Chroma's own initial state).
//
// Not thread-safe: one writer, one thread calling it (it uses threads internally).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "chroma/sqlite_db.h"
#include "core/collection.h"
#include "core/record.h"
#include "core/status.h"

namespace cm {

struct PersistDirWriterOptions {
  std::string destination;
  bool overwrite = false;
  size_t threads = 0;  // 0 = all cores
  std::string schema_release = "1.0.0";
  const std::atomic<bool>* cancel = nullptr;  // set → the current collection stops, Commit never happens
  // Called with (collection name, stage, done, total) while a collection is written.
  std::function<void(const std::string&, const char*, size_t, size_t)> progress;
};

struct WrittenCollection {
  std::string id;
  std::string vector_segment;
  std::string metadata_segment;
  uint64_t records = 0;
  uint64_t first_seq_id = 0;
  uint64_t last_seq_id = 0;
};

class PersistDirWriter {
 public:
  static Result<std::unique_ptr<PersistDirWriter>> Create(const PersistDirWriterOptions& options);
  ~PersistDirWriter();  // removes the staging directory unless Commit() succeeded

  const std::string& staging_dir() const { return staging_; }
  // Writes a whole collection. `records.dim` must equal spec.dimension when records exist.
  Result<WrittenCollection> WriteCollection(const CollectionSpec& spec, const RecordBatch& records);
  // Finishes the database, syncs everything and moves the staging directory into place.
  Status Commit();

 private:
  explicit PersistDirWriter(PersistDirWriterOptions options) : options_(std::move(options)) {}
  Status Init();
  Result<std::string> DatabaseId(const std::string& tenant, const std::string& database);
  Status WriteRows(const std::string& name, const WrittenCollection& w, const RecordBatch& records);
  Status WriteSentinel(const WrittenCollection& w, const RecordBatch& records);
  Status WriteVectorSegment(const CollectionSpec& spec, const WrittenCollection& w, const RecordBatch& records);

  PersistDirWriterOptions options_;
  std::string staging_;
  Db db_;
  uint64_t next_seq_id_ = 1;
  int64_t next_embedding_rowid_ = 1;
  bool committed_ = false;
};

}  // namespace cm
