#include "sinks/row_writer.h"

#include <fmt/format.h>

#include "chroma/record_json.h"
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

Result<std::unique_ptr<RowWriter>> RowWriter::Start(Db* db, size_t max_pending_bytes) {
  std::unique_ptr<RowWriter> w(new RowWriter(db, max_pending_bytes));
  CM_ASSIGN_OR_RETURN(w->emb_, MultiRowInsert::Prepare(*db, "embeddings", {"id", "segment_id", "embedding_id", "seq_id", "created_at"}));
  CM_ASSIGN_OR_RETURN(w->meta_, MultiRowInsert::Prepare(*db, "embedding_metadata",
                                                        {"id", "key", "string_value", "int_value", "float_value", "bool_value"}));
  CM_ASSIGN_OR_RETURN(w->now_, db->Prepare("SELECT CURRENT_TIMESTAMP"));
  CM_ASSIGN_OR_RETURN(w->fts_, db->Prepare("INSERT INTO embedding_fulltext_search (rowid, string_value) VALUES (?, ?)"));
  w->worker_ = std::thread([p = w.get()] { p->Work(); });
  return w;
}

RowWriter::~RowWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Status RowWriter::Submit(Job job) {
  // A batch holds one collection's records, so that an error names the right one.
  if (!open_.empty() && open_.back().collection_name != job.collection_name) CM_RETURN_IF_ERROR(Push());
  open_bytes_ += Bytes(job.record);
  open_.push_back(std::move(job));
  if (open_.size() < kBatchRecords) {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }
  return Push();
}

Status RowWriter::SubmitSql(std::vector<std::string> statements) { return Push(std::move(statements)); }

Status RowWriter::Push(std::vector<std::string> sql) {
  std::unique_lock<std::mutex> lock(mu_);
  // A batch larger than the whole allowance still goes in once the queue is empty.
  has_room_.wait(lock, [&] {
    return !error_.ok() || pending_bytes_ == 0 || pending_bytes_ + open_bytes_ <= max_pending_bytes_;
  });
  if (!error_.ok()) return error_;
  pending_bytes_ += open_bytes_;
  queue_.push_back(Queued{std::move(open_), open_bytes_, std::move(sql)});
  open_ = {};
  open_.reserve(kBatchRecords);
  open_bytes_ = 0;
  lock.unlock();
  has_work_.notify_one();
  return Status::Ok();
}

Status RowWriter::Drain() {
  if (!open_.empty()) CM_RETURN_IF_ERROR(Push());
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
  return error_;
}

void RowWriter::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    bool skip = !error_.ok();
    lock.unlock();
    Status s = skip ? Status::Ok() : Run(q);
    q.batch.clear();
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = s;
    pending_bytes_ -= q.bytes;
    busy_ = false;
    has_room_.notify_all();
    if (queue_.empty()) idle_.notify_all();
  }
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
    CM_RETURN_IF_ERROR(fts_.BindInt(1, job.rowid));
    CM_RETURN_IF_ERROR(fts_.BindText(2, *r.document));
    Status s = fts_.Run();
    if (!s.ok()) return s.WithContext(fmt::format("record \"{}\"", r.id));
  }
  if (r.uri) CM_RETURN_IF_ERROR(meta_.Add(r.id, {job.rowid, kUriKey, std::string_view(*r.uri), V{}, V{}, V{}}));
  return Status::Ok();
}

}  // namespace cm
