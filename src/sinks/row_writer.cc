#include "sinks/row_writer.h"

#include <fmt/format.h>

#include <optional>

#include "chroma/record_json.h"
#include "core/idle_priority.h"
#include "sinks/metadata_binding.h"

namespace cm {
namespace {

size_t Bytes(const ConvertedRecord& r) {
  size_t n = sizeof(ConvertedRecord) + r.id.size() + r.embedding.size() * sizeof(float) + r.source_row.size();
  if (r.document) n += r.document->size();
  if (r.uri) n += r.uri->size();
  for (const auto& e : r.metadata) {
    n += sizeof e + e.key.size();
    if (auto* s = std::get_if<std::string>(&e.value)) n += s->size();
  }
  return n;
}

}  // namespace

Result<std::unique_ptr<RowWriter>> RowWriter::Start(Db* db, size_t max_pending_bytes, const std::string& scratch_dir) {
  std::unique_ptr<RowWriter> w(new RowWriter(db));
  CM_ASSIGN_OR_RETURN(w->emb_, MultiRowInsert::Prepare(*db, "embeddings", {"id", "segment_id", "embedding_id", "seq_id", "created_at"}));
  CM_ASSIGN_OR_RETURN(w->meta_, MultiRowInsert::Prepare(*db, "embedding_metadata",
                                                        {"id", "key", "string_value", "int_value", "float_value", "bool_value"}));
  CM_ASSIGN_OR_RETURN(w->now_, db->Prepare("SELECT CURRENT_TIMESTAMP"));
  CM_ASSIGN_OR_RETURN(w->fulltext_, FulltextIndexWriter::Start(db, scratch_dir));
  w->queue_ = std::make_unique<WorkQueue<Queued>>(1, max_pending_bytes, [p = w.get()](Queued& q) { return p->Run(q); });
  return w;
}

RowWriter::~RowWriter() {
  if (sql_idle_) sql_idle_->Hasten();
}

Status RowWriter::Submit(Job job) {
  // A batch holds one collection's records, so that an error names the right one.
  if (!open_.empty() && open_.back().collection_name != job.collection_name) CM_RETURN_IF_ERROR(Push());
  open_bytes_ += Bytes(job.record);
  open_.push_back(std::move(job));
  if (open_.size() < kBatchRecords) return queue_->error();
  return Push();
}

Status RowWriter::SubmitSql(std::vector<std::string> statements, bool finish_fulltext) {
  if (!sql_idle_) sql_idle_ = std::make_shared<IdlePriority>();
  return Push(std::move(statements), sql_idle_, finish_fulltext);
}

Status RowWriter::FinishFulltext() { return fulltext_->Finish(); }

Status RowWriter::Push(std::vector<std::string> sql, std::shared_ptr<IdlePriority> idle, bool finish_fulltext) {
  const size_t bytes = open_bytes_;
  Status s = queue_->Submit(Queued{std::move(open_), std::move(sql), std::move(idle), finish_fulltext}, bytes);
  open_ = {};
  open_.reserve(kBatchRecords);
  open_bytes_ = 0;
  return s;
}

Status RowWriter::Drain() {
  if (!open_.empty()) CM_RETURN_IF_ERROR(Push());
  // Someone now waits for the statements: they run at normal priority from here on, so that a
  // machine busy with other work cannot hold them (core/idle_priority.h).
  if (sql_idle_) sql_idle_->Hasten();
  sql_idle_.reset();
  return queue_->Drain();
}

Status RowWriter::Run(Queued& q) {
  if (!q.batch.empty()) {
    // embeddings.created_at is CURRENT_TIMESTAMP, as Chroma leaves it, taken once per batch (see
    // MultiRowInsert: the column's default would cost a statement savepoint).
    bool row = false;
    CM_RETURN_IF_ERROR(now_.Step(&row));
    created_at_ = row ? now_.ColumnText(0) : std::string();
    now_.Reset();
    if (created_at_.empty()) return Status::Internal("SELECT CURRENT_TIMESTAMP returned nothing");
    Status s = WriteBatch(q.batch);
    if (!s.ok()) return s.WithContext(fmt::format("collection \"{}\"", *q.batch.front().collection_name));
    for (Job& job : q.batch) {
      if (job.written) *job.written = std::move(job.record);
    }
  }
  // The statements are the deferred index builds (SubmitSql), which nothing waits for until the
  // commit: they take the CPU the graph's threads leave (core/idle_priority.h), and mostly run
  // while the segment is written to disk.
  if (q.sql.empty() && !q.finish_fulltext) return Status::Ok();
  // The full-text segment is the one piece of this that cannot start before the last record:
  // at idle priority it waited for the graph's threads and then ran alone (20,000 × 1536 with
  // ~1,080-character documents: 3.07 s; at normal priority 2.91 s, four alternating pairs).
  if (q.finish_fulltext) CM_RETURN_IF_ERROR(fulltext_->Finish());
  std::optional<ScopedIdlePriority> idle;
  if (q.idle) idle.emplace(*q.idle);
  for (const std::string& sql : q.sql) CM_RETURN_IF_ERROR(db_->Exec(sql));
  return Status::Ok();
}

Status RowWriter::WriteBatch(const Batch& batch) {
  for (const Job& job : batch) CM_RETURN_IF_ERROR(Write(job));
  // The rows still waiting view the batch's records: insert them before the records move.
  CM_RETURN_IF_ERROR(emb_.Flush());
  return meta_.Flush();
}

Status RowWriter::Write(const Job& job) {
  using V = MultiRowInsert::Value;
  const ConvertedRecord& r = job.record;
  CM_RETURN_IF_ERROR(emb_.Add(r.id, {job.rowid, std::string_view(*job.metadata_segment), std::string_view(r.id),
                               static_cast<int64_t>(job.seq_id), std::string_view(created_at_)}));
  for (const auto& e : r.metadata) CM_RETURN_IF_ERROR(AddMetadataRow(meta_, r.id, job.rowid, e.key, e.value));
  if (r.document) {
    CM_RETURN_IF_ERROR(meta_.Add(r.id, {job.rowid, kDocumentKey, std::string_view(*r.document), V{}, V{}, V{}}));
    Status s = fulltext_->Add(job.rowid, *r.document);
    if (!s.ok()) return s.WithContext(fmt::format("record \"{}\"", r.id));
  }
  if (r.uri) CM_RETURN_IF_ERROR(meta_.Add(r.id, {job.rowid, kUriKey, std::string_view(*r.uri), V{}, V{}, V{}}));
  return Status::Ok();
}

}  // namespace cm
