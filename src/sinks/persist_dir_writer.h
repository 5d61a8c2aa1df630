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
// Streaming: BeginCollection returns a CollectionWriter; each Add hands the record's SQLite rows
// to the row-writer thread (RowWriter) through a bounded queue. Its vector goes, by insertion
// order, either to an unlinked file (VectorSpill) from which the HNSW builder threads
// (IndexFeeder) take the whole collection at Finish in the order InsertionOrder picks, or
// straight to those threads through a bounded queue. Memory is the graph plus those queues (and
// 4 bytes per record for the order; the spatial order's keys, 64 bytes per record, are freed
// before the graph is allocated). Several
// collections may be open at once (legacy sources interleave them); seq ids are allocated in
// Add order across all of them.
//
// Not thread-safe: one thread calls the writer and its CollectionWriters (threads are internal).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chroma/sqlite_db.h"
#include "core/collection.h"
#include "core/record.h"
#include "core/status.h"
#include "pipeline/policies.h"

namespace cm {

// The order in which a graph that is built receives its vectors (a reused graph keeps its own).
enum class InsertionOrder {
  // A seeded random permutation of the whole collection, after its last record. The graph does
  // not depend on how the source happens to be sorted: on records stored topic by topic, the
  // source's order gives recall@10 of about 0.8, a random order about 0.99 (docs/performance.md, "Insertion order").
  kShuffled,
  // After the last record too: a seeded random tenth of the collection, then the rest grouped by
  // where the vectors lie (spatial_order.h), which keeps what the build reads in cache.
  kSpatial,
  // The source's order, while it is read: reading and building overlap, which is a little faster.
  kStored,
};

inline constexpr uint64_t kDefaultInsertionSeed = 0x6368726f6d61;

struct PersistDirWriterOptions {
  std::string destination;
  bool overwrite = false;
  size_t threads = 0;  // 0 = all cores
  InsertionOrder insertion_order = InsertionOrder::kSpatial;
  // Seeds kShuffled's and kSpatial's orders: the same seed inserts the same records in the same order.
  uint64_t insertion_seed = kDefaultInsertionSeed;
  // A graph built after the last record (spatial or shuffled order) is built on int16
  // fixed-point copies of the vectors when the collection's values allow it
  // (formats/hnsw/fixed_point.h); false: float32 always. The segment holds the exact float32
  // vectors either way.
  bool fixed_point_build = true;
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
  uint64_t last_seq_id = 0;
  bool graph_reused = false;  // the legacy graph was adopted (reused_graph.h)
  std::string graph_note;     // why an offered graph was not adopted after all
  std::string graph_arithmetic;  // a built graph's distances: "int16 fixed point" or "float32[: why]"
  std::string graph_order;       // a built graph's insertion order: "spatial, seed N", "shuffled, seed N" or "stored"
};

class IndexFeeder;
class HnswBuilder;
class ReusedGraph;
class VectorSpill;
class FixedPointStats;
class SpatialOrder;
class WarmBlock;
class RowWriter;
class PersistDirWriter;

// Destroy every CollectionWriter before its PersistDirWriter.
class CollectionWriter {
 public:
  ~CollectionWriter();
  const CollectionSpec& spec() const { return spec_; }
  // The dimension rule: the first record checked fixes the collection's dimension (unless the
  // spec has one); a record of another dimension gets a reject reason. `location` names the
  // record in messages.
  std::optional<RejectReason> CheckDimension(size_t dim, const std::string& location);
  // Offers a graph to adopt instead of building one (before the first Add). Records claim their
  // elements as they arrive; at the first that cannot, or at Finish if any element is left, the
  // graph is built from the records after all and WrittenCollection::graph_note says why.
  // Ignored once a record has been added.
  void ReuseGraph(std::unique_ptr<ReusedGraph> graph);
  // Writes one record whose dimension passed CheckDimension. An id already written to this
  // collection is an error (callers resolve duplicates first; the database refuses them). Rows
  // are written on the row-writer thread: a failure is returned by a later Add or by Finish,
  // names the collection and the record, and leaves the whole writer failed (nothing commits).
  Status Add(ConvertedRecord record);
  // Waits for the graph, writes the segment folder, max_seq_id and the sentinel queue row.
  Result<WrittenCollection> Finish();

 private:
  friend class PersistDirWriter;
  CollectionWriter(PersistDirWriter* writer, CollectionSpec spec, uint64_t expected);
  Status Start();
  Status Feed(uint64_t label, const float* vector);  // to the intake thread, or to the graph's threads
  // On the intake thread (PersistDirWriter::intake_): normalizes, counts into stats_ and spatial_, spills.
  Status Intake(const uint64_t* labels, const float* vectors, size_t n);
  Status FeedSpilled();                             // the spill to the graph's threads, in the chosen order
  Status Flush();        // the chunk being filled: to the intake before the graph exists, then to the graph's threads
  Status FinishGraph();  // waits for the build (or settles the reused graph) and writes the folder
  Status WriteSegmentFolder();
  Status CreateBuilder(size_t dim, uint64_t capacity);
  Status AbandonReuse(const std::string& why);
  void ReleaseWarmRows();  // frees warm_rows_ (unless the builder took its memory) and its writer-wide slot

  PersistDirWriter* writer_;
  CollectionSpec spec_;
  uint64_t expected_;
  std::string first_location_;
  WrittenCollection w_;
  uint64_t count_ = 0;
  std::unique_ptr<HnswBuilder> builder_;
  std::unique_ptr<ReusedGraph> reused_;
  std::unique_ptr<VectorSpill> spill_;  // insertion order kShuffled or kSpatial: the vectors until Finish
  std::unique_ptr<FixedPointStats> stats_;  // of the spilled vectors, for a fixed-point build
  std::unique_ptr<SpatialOrder> spatial_;   // insertion order kSpatial: the keys of the spilled vectors
  std::unique_ptr<WarmBlock> warm_rows_;    // a fixed-point build's rows, faulted in while the records are read
  std::vector<float> normalized_, norms_;   // the intake thread's scratch (cosine)
  std::vector<float> unit_norms_;           // cosine, spilled: each vector's norm by label - 1 (the spill holds unit vectors)
  std::function<Status(const uint64_t*, const float*, size_t)> intake_;  // runs Intake
  std::atomic<uint64_t> inserted_{0};
  std::vector<std::string> ids_;  // by label - 1, for the pickle
  std::vector<uint64_t> chunk_labels_;  // the chunk being filled: for the intake, or for the graph's threads
  std::vector<float> chunk_vectors_;
  ConvertedRecord last_;  // for the sentinel queue row
  uint64_t last_seq_id_ = 0;
  bool finished_ = false;
};

class PersistDirWriter {
 public:
  static Result<std::unique_ptr<PersistDirWriter>> Create(const PersistDirWriterOptions& options);
  ~PersistDirWriter();  // removes the staging directory unless Commit() succeeded

  const std::string& staging_dir() const { return staging_; }
  // Writes the collection's rows (failing early on a name taken in its database) and returns
  // its writer. `expected_records` sizes a graph built in the stored order (0 = unknown; it grows
  // as needed); a spatial or shuffled build knows the count, since it starts after the last record.
  Result<std::unique_ptr<CollectionWriter>> BeginCollection(const CollectionSpec& spec, uint64_t expected_records);
  // Creates a tenant (and a database in it, unless `database` is empty) that may hold no
  // collection; nothing when it exists already.
  Status AddDatabase(const std::string& tenant, const std::string& database);
  // Says no record is added after this (a hint: later ones are still written correctly, only
  // slower): the row thread builds embedding_metadata's indexes while the graphs finish.
  Status EndOfRecords();
  // Finishes the database, syncs everything and moves the staging directory into place.
  Status Commit();

 private:
  friend class CollectionWriter;
  explicit PersistDirWriter(PersistDirWriterOptions options);
  Status Init();
  Result<std::string> DatabaseId(const std::string& tenant, const std::string& database);
  Status Prepare();
  // Waits for the row writer so that this thread may use db_ (row_writer.h).
  Status OwnDb();

  PersistDirWriterOptions options_;
  std::string staging_;
  Db db_;
  std::unique_ptr<IndexFeeder> feeder_;
  std::unique_ptr<IndexFeeder> intake_;  // one worker: each spilled vector's own work (CollectionWriter::Intake)
  std::unique_ptr<RowWriter> rows_;
  std::vector<std::pair<std::string, std::string>> deferred_indexes_;  // (name, sql), created at EndOfRecords or Commit
  uint64_t next_seq_id_ = 1;
  int64_t next_embedding_rowid_ = 1;
  bool committed_ = false;
  // Whether a collection holds a WarmBlock: one at a time, so that a source interleaving many
  // collections does not hold all their graphs' rows at once (built one after another, they
  // never were).
  bool warm_rows_held_ = false;
};

}  // namespace cm
