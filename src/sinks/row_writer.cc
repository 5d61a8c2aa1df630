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
  CM_ASSIGN_OR_RETURN(w->emb_, db->Prepare("INSERT INTO embeddings (id, segment_id, embedding_id, seq_id) VALUES (?, ?, ?, ?)"));
  CM_ASSIGN_OR_RETURN(w->meta_, db->Prepare(
      "INSERT INTO embedding_metadata (id, key, string_value, int_value, float_value, bool_value) VALUES (?, ?, ?, ?, ?, ?)"));
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
  for (Job& job : q.batch) {
    Status s = Write(job);
    if (!s.ok()) return s.WithContext(fmt::format("collection \"{}\", record id \"{}\"", *job.collection_name, job.record.id));
    if (job.written) *job.written = std::move(job.record);
  }
  for (const std::string& sql : q.sql) CM_RETURN_IF_ERROR(db_->Exec(sql));
  return Status::Ok();
}

Status RowWriter::Write(const Job& job) {
  const ConvertedRecord& r = job.record;
  CM_RETURN_IF_ERROR(emb_.BindInt(1, job.rowid));
  CM_RETURN_IF_ERROR(emb_.BindText(2, *job.metadata_segment));
  CM_RETURN_IF_ERROR(emb_.BindText(3, r.id));
  CM_RETURN_IF_ERROR(emb_.BindInt(4, static_cast<int64_t>(job.seq_id)));
  CM_RETURN_IF_ERROR(emb_.Run());
  for (const auto& e : r.metadata) {
    CM_RETURN_IF_ERROR(meta_.BindInt(1, job.rowid));
    CM_RETURN_IF_ERROR(BindMetadataValue(meta_, e.key, e.value));
    CM_RETURN_IF_ERROR(meta_.Run());
  }
  if (r.document) {
    CM_RETURN_IF_ERROR(meta_.BindInt(1, job.rowid));
    CM_RETURN_IF_ERROR(BindMetadataValue(meta_, kDocumentKey, *r.document));
    CM_RETURN_IF_ERROR(meta_.Run());
    CM_RETURN_IF_ERROR(fts_.BindInt(1, job.rowid));
    CM_RETURN_IF_ERROR(fts_.BindText(2, *r.document));
    CM_RETURN_IF_ERROR(fts_.Run());
  }
  if (r.uri) {
    CM_RETURN_IF_ERROR(meta_.BindInt(1, job.rowid));
    CM_RETURN_IF_ERROR(BindMetadataValue(meta_, kUriKey, *r.uri));
    CM_RETURN_IF_ERROR(meta_.Run());
  }
  return Status::Ok();
}

}  // namespace cm
