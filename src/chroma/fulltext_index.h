// FulltextIndexWriter: fills Chroma's full-text table, embedding_fulltext_search (FTS5,
// tokenize='trigram', one column), by writing its shadow tables directly instead of inserting
// through FTS5: the content and docsize rows as FTS5 would, the postings gathered by
// fts5::RunBuilder with SQLite's own trigram tokenizer, merged and laid out by
// fts5::Fts5SegmentWriter, then the averages and structure records. Chroma reads and updates
// the result as its own: the same rows an FTS5 flush of the same documents gives (unit tests
// compare them byte for byte), but for the structure record, which puts the segment one level
// up, as FTS5's optimize does (see Finish); checked by FTS5's integrity-check.
//
// Why: FTS5 builds a trigram index at ~240 ns per character, 4-5 s of a 20,000-document
// migration with RAG-size documents; this way takes a fraction (docs/performance.md, note 14).
//
// Threads: the caller's thread inserts each content row and hands the documents, in batches of
// kBatchBytes, to gathering threads (tokens and postings, one run per batch, through a WorkQueue
// bounded at kMaxQueuedBytes), so that the postings are gathered while the caller writes the
// other rows, on as many cores as are free. Everything that touches the database stays on the
// caller's thread: at Finish it waits for the gathering threads, then writes the %_docsize rows,
// the segment and the records.
//
// Memory: when the postings gathered since the last spill would outgrow `memory_budget` (an
// estimate from the text, so that it does not depend on thread timing), they are merged into one
// run in an unlinked scratch file in `scratch_dir` (fts5::SpilledRuns); Finish merges the spilled
// runs (a read buffer each) with those in memory into one segment, whatever the text's size.
//
// For a table that is empty when Start runs, on one connection used by one thread at a time.
// Documents come in increasing rowid order. Finish may be called again after more documents (it
// writes another segment, and the records anew). The connection's own FTS5 table object must not be used to write
// before Finish (its cached structure would not know the segments).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chroma/sqlite_db.h"
#include "core/status.h"
#include "core/work_queue.h"
#include "formats/fts5/sqlite_tokenizer.h"
#include "formats/fts5/postings_runs.h"
#include "formats/fts5/spilled_runs.h"

namespace cm {

class FulltextIndexWriter {
 public:
  static constexpr size_t kDefaultMemoryBudget = size_t{32} << 20;
  static constexpr size_t kMaxQueuedBytes = size_t{4} << 20;  // documents waiting to be gathered
  // threads: gathering threads (0: the cores, at most 4).
  static Result<std::unique_ptr<FulltextIndexWriter>> Start(Db* db, std::string scratch_dir,
                                                            size_t memory_budget = kDefaultMemoryBudget,
                                                            size_t threads = 0);

  Status Add(int64_t rowid, std::string_view document);
  Status Finish();
  size_t segments() const { return segments_.size(); }
  size_t spills() const { return spills_made_; }

 private:
  struct Segment {
    int id;
    int64_t last_page;
  };
  struct Document {
    int64_t rowid;
    std::string text;
  };
  struct Batch {
    size_t index;  // in the current segment
    std::vector<Document> docs;
  };
  struct Gatherer {  // one per gathering thread at a time
    std::unique_ptr<fts5::SqliteTokenizer> tokenizer;
    fts5::RunBuilder builder;
  };
  static constexpr size_t kBatchBytes = size_t{256} << 10;

  FulltextIndexWriter(Db* db, std::string scratch_dir, size_t budget)
      : db_(db), scratch_dir_(std::move(scratch_dir)), budget_(budget) {}
  Status Submit();
  Status Gather(Batch& batch);  // on a gathering thread
  // Waits for the gathering threads; writes their %_docsize rows; returns their runs in order.
  Result<std::vector<fts5::PostingsRun>> TakeGathered();
  Status Spill();

  Db* db_;
  std::string scratch_dir_;
  size_t budget_;
  std::unique_ptr<fts5::SpilledRuns> spilled_;
  size_t spills_made_ = 0;
  Stmt content_, docsize_, data_, idx_;
  uint8_t cookie_[4] = {};  // of the structure record, kept as it was
  std::vector<Segment> segments_;
  Batch open_;
  size_t open_bytes_ = 0;
  // The documents' bytes since the last spill or segment. The caller decides when to spill from
  // them, so that the spills do not depend on how far the gathering threads have got: a run
  // takes up to ~4 bytes per token (3.85 with the bench's long documents), and there is a token
  // per byte of text at most (ASCII).
  size_t text_bytes_ = 0;
  static constexpr size_t kPostingBytesPerTextByte = 4;
  uint64_t rows_ = 0, tokens_ = 0;
  int64_t last_rowid_ = 0;  // FTS5 rowids of Chroma's table are embeddings.id, from 1

  std::mutex mu_;  // guards the two below, which the gathering threads share
  std::vector<std::unique_ptr<Gatherer>> idle_gatherers_;
  std::vector<std::pair<size_t, fts5::PostingsRun>> runs_;  // (batch index, run), in any order
  std::unique_ptr<WorkQueue<Batch>> gather_;  // last: its threads use the above
};

}  // namespace cm
