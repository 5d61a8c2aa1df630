#include "sinks/server_sink.h"

#include "sinks/server_batch.h"

namespace cm {

Result<std::unique_ptr<ServerWriter>> ServerWriter::Create(const ApiClient& prototype, size_t concurrency,
                                                           size_t byte_budget, std::function<Status(const WriteJob&)> on_done) {
  std::unique_ptr<ServerWriter> w(new ServerWriter());
  concurrency = std::max<size_t>(1, concurrency);
  w->max_jobs_ = 2 * concurrency;
  w->byte_budget_ = byte_budget;
  w->on_done_ = std::move(on_done);
  for (size_t i = 0; i < concurrency; ++i) {
    CM_ASSIGN_OR_RETURN(auto c, prototype.Clone());
    w->clients_.push_back(std::move(c));
  }
  for (auto& c : w->clients_) w->threads_.emplace_back([p = w.get(), api = c.get()] { p->Work(api); });
  return w;
}

ServerWriter::~ServerWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();  // jobs not started are abandoned (a failed or cancelled run; resume redoes them)
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

Status ServerWriter::Submit(WriteJob job) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] {
    if (!error_.ok()) return true;
    size_t jobs = queue_.size() + busy_;
    if (jobs == 0) return true;  // a single oversized job must still go through
    return jobs < max_jobs_ && bytes_ + job.estimated_bytes <= byte_budget_;
  });
  if (!error_.ok()) return error_;
  bytes_ += job.estimated_bytes;
  queue_.push_back(std::move(job));
  cv_.notify_all();
  return Status::Ok();
}

Status ServerWriter::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return (queue_.empty() && busy_ == 0) || !error_.ok(); });
  if (!error_.ok()) {
    cv_.wait(lock, [&] { return busy_ == 0; });
  }
  return error_;
}

Status ServerWriter::RunJob(ApiClient* api, const WriteJob& job) {
  if (!job.delete_first.empty()) CM_RETURN_IF_ERROR(api->Delete(*job.collection, job.delete_first));
  if (job.records.size() == 0) return Status::Ok();
  std::string body = EncodeWriteBody(job.records, api->info().supports_base64);
  return api->Write(*job.collection, job.mode, body, job.records.ids.front(), job.records.size());
}

void ServerWriter::Work(ApiClient* api) {
  for (;;) {
    WriteJob job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || (!queue_.empty() && error_.ok()); });
      if (stop_ && (queue_.empty() || !error_.ok())) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    Status s = RunJob(api, job);
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) s = on_done_(job);
    if (!s.ok() && error_.ok()) error_ = s;
    bytes_ -= job.estimated_bytes;
    --busy_;
    cv_.notify_all();
  }
}

}  // namespace cm
