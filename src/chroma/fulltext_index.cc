#include "chroma/fulltext_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "formats/fts5/segment_writer.h"
#include "formats/fts5/varint.h"

namespace cm {
namespace {

// As Chroma's migration 00003-full-text-tokenize declares it (and FTS5 stores it).
constexpr std::string_view kDeclaration =
    "CREATE VIRTUAL TABLE embedding_fulltext_search USING fts5(string_value, tokenize='trigram')";
constexpr int64_t kAveragesRowid = 1;    // FTS5_AVERAGES_ROWID
constexpr int64_t kStructureRowid = 10;  // FTS5_STRUCTURE_ROWID

class SegmentRows : public fts5::Fts5SegmentWriter::Sink {
 public:
  SegmentRows(Stmt* data, Stmt* idx) : data_(data), idx_(idx) {}
  Status Data(int64_t rowid, std::span<const uint8_t> block) override {
    CM_RETURN_IF_ERROR(data_->BindInt(1, rowid));
    CM_RETURN_IF_ERROR(data_->BindBlob(2, block.data(), block.size()));
    return data_->Run();
  }
  Status Idx(int segid, std::span<const uint8_t> term, int64_t pgno) override {
    static const uint8_t kEmpty = 0;  // an empty term is a zero-length blob, not NULL
    CM_RETURN_IF_ERROR(idx_->BindInt(1, segid));
    CM_RETURN_IF_ERROR(idx_->BindBlob(2, term.empty() ? &kEmpty : term.data(), term.size()));
    CM_RETURN_IF_ERROR(idx_->BindInt(3, pgno));
    return idx_->Run();
  }

 private:
  Stmt* data_;
  Stmt* idx_;
};

Result<std::string> OneText(Db& db, std::string_view sql) {
  CM_ASSIGN_OR_RETURN(Stmt q, db.Prepare(sql));
  bool row = false;
  CM_RETURN_IF_ERROR(q.Step(&row));
  if (!row) return std::string();
  if (q.ColumnType(0) == SQLITE_BLOB) return std::string(q.ColumnBlob(0));
  return q.ColumnText(0);
}

}  // namespace

Result<std::unique_ptr<FulltextIndexWriter>> FulltextIndexWriter::Start(Db* db, std::string scratch_dir,
                                                                        size_t memory_budget, size_t threads) {
  CM_ASSIGN_OR_RETURN(std::string declared,
                      OneText(*db, "SELECT sql FROM sqlite_master WHERE name = 'embedding_fulltext_search'"));
  if (declared != kDeclaration) {
    return Status::Internal(fmt::format("embedding_fulltext_search is declared as \"{}\", not as Chroma 1.x declares it", declared));
  }
  CM_ASSIGN_OR_RETURN(std::string structure,
                      OneText(*db, fmt::format("SELECT block FROM embedding_fulltext_search_data WHERE id = {}", kStructureRowid)));
  CM_ASSIGN_OR_RETURN(std::string rows, OneText(*db, "SELECT count(*) FROM embedding_fulltext_search_content"));
  // A new table's structure record: the 4-byte cookie, then no levels, no segments, no writes.
  if (structure.size() != 7 || structure.compare(4, 3, std::string(3, '\0')) != 0 || rows != "0") {
    return Status::Internal("embedding_fulltext_search is not empty; its index can only be written from scratch");
  }
  std::unique_ptr<FulltextIndexWriter> w(new FulltextIndexWriter(db, std::move(scratch_dir), memory_budget));
  std::memcpy(w->cookie_, structure.data(), 4);
  if (threads == 0) threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  for (size_t i = 0; i < threads; ++i) {
    auto g = std::make_unique<Gatherer>();
    CM_ASSIGN_OR_RETURN(g->tokenizer, fts5::SqliteTokenizer::Create(db->handle(), "trigram"));
    w->idle_gatherers_.push_back(std::move(g));
  }
  CM_ASSIGN_OR_RETURN(w->content_, db->Prepare("INSERT INTO embedding_fulltext_search_content (id, c0) VALUES (?, ?)"));
  CM_ASSIGN_OR_RETURN(w->docsize_, db->Prepare("INSERT INTO embedding_fulltext_search_docsize (id, sz) VALUES (?, ?)"));
  CM_ASSIGN_OR_RETURN(w->data_, db->Prepare("INSERT OR REPLACE INTO embedding_fulltext_search_data (id, block) VALUES (?, ?)"));
  CM_ASSIGN_OR_RETURN(w->idx_, db->Prepare("INSERT INTO embedding_fulltext_search_idx (segid, term, pgno) VALUES (?, ?, ?)"));
  w->gather_ = std::make_unique<WorkQueue<Batch>>(threads, kMaxQueuedBytes, [p = w.get()](Batch& b) { return p->Gather(b); });
  return w;
}

Status FulltextIndexWriter::Add(int64_t rowid, std::string_view document) {
  if (rowid <= last_rowid_) {
    return Status::Internal(fmt::format("full-text row {} added after row {}: rows must come in increasing order",
                                        rowid, last_rowid_));
  }
  last_rowid_ = rowid;
  CM_RETURN_IF_ERROR(content_.BindInt(1, rowid));
  CM_RETURN_IF_ERROR(content_.BindText(2, document));
  CM_RETURN_IF_ERROR(content_.Run());
  open_.docs.push_back({rowid, std::string(document)});
  open_bytes_ += document.size() + sizeof(Document);
  text_bytes_ += document.size();
  ++rows_;
  if (open_bytes_ < kBatchBytes) return Status::Ok();
  CM_RETURN_IF_ERROR(Submit());
  if (text_bytes_ * kPostingBytesPerTextByte > budget_) return Spill();
  return Status::Ok();
}

Status FulltextIndexWriter::Submit() {
  if (open_.docs.empty()) return Status::Ok();
  const size_t bytes = open_bytes_;
  open_bytes_ = 0;
  Batch next{open_.index + 1, {}};
  return gather_->Submit(std::exchange(open_, std::move(next)), bytes);
}

Status FulltextIndexWriter::Gather(Batch& batch) {
  std::unique_ptr<Gatherer> g;
  {
    std::lock_guard<std::mutex> lock(mu_);
    g = std::move(idle_gatherers_.back());
    idle_gatherers_.pop_back();
  }
  Status s;
  for (const Document& d : batch.docs) {
    g->builder.BeginDocument(d.rowid);
    s = g->tokenizer->Tokenize(
        d.text, [&](std::span<const uint8_t> token, bool colocated) { return g->builder.AddToken(token, colocated); });
    if (!s.ok()) {
      s = s.WithContext(fmt::format("the full-text index of row {}", d.rowid));
      break;
    }
    g->builder.EndDocument();
  }
  fts5::PostingsRun run = g->builder.Finish();
  std::lock_guard<std::mutex> lock(mu_);
  idle_gatherers_.push_back(std::move(g));
  if (s.ok()) runs_.emplace_back(batch.index, std::move(run));
  return s;
}

Result<std::vector<fts5::PostingsRun>> FulltextIndexWriter::TakeGathered() {
  CM_RETURN_IF_ERROR(Submit());
  CM_RETURN_IF_ERROR(gather_->Drain());
  // The gathering threads are idle: their runs are this thread's now.
  std::sort(runs_.begin(), runs_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<fts5::PostingsRun> runs;
  runs.reserve(runs_.size());
  for (auto& [index, run] : runs_) runs.push_back(std::move(run));
  runs_.clear();
  open_.index = 0;
  text_bytes_ = 0;
  for (const fts5::PostingsRun& run : runs) {
    tokens_ += run.tokens;
    for (const auto& [rowid, size] : run.sizes) {
      uint8_t sz[fts5::kMaxVarintBytes];
      CM_RETURN_IF_ERROR(docsize_.BindInt(1, rowid));
      CM_RETURN_IF_ERROR(docsize_.BindBlob(2, sz, fts5::PutVarint(sz, size)));
      CM_RETURN_IF_ERROR(docsize_.Run());
    }
  }
  return runs;
}

Status FulltextIndexWriter::Spill() {
  CM_ASSIGN_OR_RETURN(std::vector<fts5::PostingsRun> runs, TakeGathered());
  if (runs.empty()) return Status::Ok();
  if (!spilled_) {
    CM_ASSIGN_OR_RETURN(spilled_, fts5::SpilledRuns::Create(scratch_dir_));
  }
  std::vector<std::unique_ptr<fts5::RunCursor>> cursors;
  std::vector<fts5::RunCursor*> order;
  for (const auto& run : runs) {
    cursors.push_back(fts5::CursorOver(run));
    order.push_back(cursors.back().get());
  }
  ++spills_made_;
  return spilled_->Spill(order);
}

Status FulltextIndexWriter::Finish() {
  CM_ASSIGN_OR_RETURN(std::vector<fts5::PostingsRun> runs, TakeGathered());
  // The gathering threads are idle until the next Add: their scratch is not needed for the last
  // merge, whose read buffers and runs are the peak of the index's memory.
  for (auto& g : idle_gatherers_) g->builder.ReleaseScratch();
  // One segment from the spilled runs (the older documents) and those still in memory.
  std::vector<std::unique_ptr<fts5::RunCursor>> cursors;
  if (spilled_) {
    CM_ASSIGN_OR_RETURN(cursors, spilled_->Cursors());
  }
  for (const auto& run : runs) cursors.push_back(fts5::CursorOver(run));
  if (!cursors.empty()) {
    std::vector<fts5::RunCursor*> order;
    for (const auto& c : cursors) order.push_back(c.get());
    const int id = static_cast<int>(segments_.size()) + 1;
    if (id > 2000) return Status::Internal("the full-text index would need more than 2,000 segments (FTS5_MAX_SEGMENT)");
    SegmentRows rows(&data_, &idx_);
    fts5::Fts5SegmentWriter writer(id, fts5::kDefaultPageSize, &rows);
    CM_RETURN_IF_ERROR(fts5::WriteSegment(order, writer));
    CM_ASSIGN_OR_RETURN(int64_t last, writer.Finish());
    if (last > 0) segments_.push_back({id, last});
    cursors.clear();
    if (spilled_) spilled_->Clear();
  }
  if (rows_ == 0) return Status::Ok();
  std::vector<uint8_t> averages;  // rows, then each column's tokens
  fts5::AppendVarint(averages, rows_);
  fts5::AppendVarint(averages, tokens_);
  CM_RETURN_IF_ERROR(data_.BindInt(1, kAveragesRowid));
  CM_RETURN_IF_ERROR(data_.BindBlob(2, averages.data(), averages.size()));
  CM_RETURN_IF_ERROR(data_.Run());
  // The structure: the segments oldest first, all on level 1 above an empty level 0, as FTS5's
  // 'optimize' leaves an index (its segment on a level above those it merged). On level 0 they
  // would be merged with the small segments Chroma's later writes flush there: all at once when
  // the level reaches 16 segments (crisismerge), however large they are, inside some later add.
  // On level 1 FTS5 merges them a little at each write (automerge). The write counter is the
  // leaves written, as FTS5 counts them.
  std::vector<uint8_t> s(cookie_, cookie_ + 4);
  uint64_t leaves = 0;
  for (const Segment& seg : segments_) leaves += static_cast<uint64_t>(seg.last_page);
  fts5::AppendVarint(s, segments_.empty() ? 0 : 2);  // levels
  fts5::AppendVarint(s, segments_.size());
  fts5::AppendVarint(s, leaves);
  if (!segments_.empty()) {
    fts5::AppendVarint(s, 0);  // level 0: no merge under way, no segment
    fts5::AppendVarint(s, 0);
    fts5::AppendVarint(s, 0);  // level 1: no merge under way, every segment
    fts5::AppendVarint(s, segments_.size());
    for (const Segment& seg : segments_) {
      fts5::AppendVarint(s, static_cast<uint64_t>(seg.id));
      fts5::AppendVarint(s, 1);  // first leaf
      fts5::AppendVarint(s, static_cast<uint64_t>(seg.last_page));
    }
  }
  CM_RETURN_IF_ERROR(data_.BindInt(1, kStructureRowid));
  CM_RETURN_IF_ERROR(data_.BindBlob(2, s.data(), s.size()));
  return data_.Run();
}

}  // namespace cm
