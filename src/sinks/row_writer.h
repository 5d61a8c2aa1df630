// RowWriter: one thread that writes records' SQLite rows (embeddings, embedding_metadata with
// chroma:document and chroma:uri, the document's full-text rows and postings through a
// FulltextIndexWriter) in the order they were queued, while the calling
// thread reads, converts and indexes the next records. SQLite is most of a persist-dir
// migration's work once the graph costs nothing (a reused legacy graph) and a core is free.
//
// Records go over in batches of kBatchRecords through a WorkQueue bounded by `max_pending_bytes`
// (Submit blocks when the writer falls behind); a batch holds the records of one collection.
// The rows of embeddings and embedding_metadata go in MultiRowInsert::kRows at a time, flushed
// at the end of every batch, so no statement spans two collections. The first failure is kept,
// named with its collection and record (for a multi-row statement: the records whose rows it
// held), and returned by every later Submit/Drain.
//
// The database belongs to the writer thread from a Submit until the next Drain returns: callers
// Drain before they use the connection themselves. One thread calls Submit/Drain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chroma/fulltext_index.h"
#include "chroma/multi_row_insert.h"
#include "chroma/sqlite_db.h"
#include "core/idle_priority.h"
#include "core/status.h"
#include "core/work_queue.h"
#include "pipeline/policies.h"

namespace cm {

class RowWriter {
 public:
  struct Job {
    const std::string* metadata_segment = nullptr;  // outlive the job (the collection's)
    const std::string* collection_name = nullptr;
    int64_t rowid = 0;
    uint64_t seq_id = 0;
    ConvertedRecord record;
    ConvertedRecord* written = nullptr;  // receives the record once its rows are written (may be null)
  };

  // `scratch_dir` receives the full-text index's scratch file, if it needs one.
  static Result<std::unique_ptr<RowWriter>> Start(Db* db, size_t max_pending_bytes, const std::string& scratch_dir);
  ~RowWriter();  // finishes what is queued (hastened: nothing runs at idle priority then)
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;

  Status Submit(Job job);
  // Queues statements to run on the writer thread once every record submitted so far is
  // written (index builds that want all rows in), while the caller goes on with other work.
  // With `finish_fulltext`, the full-text index's last segment and records are written first.
  Status SubmitSql(std::vector<std::string> statements, bool finish_fulltext = false);
  // Writes the full-text index's last segment and records on the calling thread, after a Drain.
  Status FinishFulltext();
  // Waits until every submitted record's rows (and statement) are written.
  Status Drain();

 private:
  static constexpr size_t kBatchRecords = 256;
  using Batch = std::vector<Job>;
  struct Queued {
    Batch batch;
    std::vector<std::string> sql;  // run after the batch, at `idle` priority until a Drain hastens it
    std::shared_ptr<IdlePriority> idle;
    bool finish_fulltext = false;  // before `sql`, at normal priority (see Run)
  };
  explicit RowWriter(Db* db) : db_(db) {}
  Status Push(std::vector<std::string> sql = {}, std::shared_ptr<IdlePriority> idle = nullptr,
              bool finish_fulltext = false);
  // A batch's rows, all of one collection (Submit keeps them so); Run names the collection.
  Status WriteBatch(const Batch& batch);
  Status Write(const Job& job);
  Status Run(Queued& q);

  Db* db_;
  std::shared_ptr<IdlePriority> sql_idle_;  // of the statements submitted since the last Drain

  MultiRowInsert emb_, meta_;
  std::unique_ptr<FulltextIndexWriter> fulltext_;
  Stmt now_;
  std::string created_at_;  // this batch's CURRENT_TIMESTAMP
  Batch open_;  // filling on the caller's thread
  size_t open_bytes_ = 0;
  std::unique_ptr<WorkQueue<Queued>> queue_;  // last: its worker runs batches with the above
};

}  // namespace cm
