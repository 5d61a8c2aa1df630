#include "sinks/index_feeder.h"

#include <algorithm>

namespace cm {

IndexFeeder::IndexFeeder(size_t threads, size_t max_pending_bytes, const std::atomic<bool>* cancel)
    : cancel_(cancel), max_pending_bytes_(max_pending_bytes) {
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) workers_.emplace_back([this] { Work(); });
}

IndexFeeder::~IndexFeeder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_all();
  for (auto& t : workers_) t.join();
}

Status IndexFeeder::Submit(Chunk chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  // A chunk larger than the whole allowance still goes in once the queue is empty.
  has_room_.wait(lock, [&] {
    return !error_.ok() || pending_bytes_ == 0 || pending_bytes_ + Bytes(chunk) <= max_pending_bytes_;
  });
  if (!error_.ok()) return error_;
  pending_bytes_ += Bytes(chunk);
  queue_.push_back(std::move(chunk));
  lock.unlock();
  has_work_.notify_one();
  return Status::Ok();
}

Status IndexFeeder::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });
  return error_;
}

bool IndexFeeder::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && busy_ == 0; });
}

void IndexFeeder::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    bool skip = !error_.ok();
    lock.unlock();
    Status s;
    if (c.task && !skip) s = (*c.task)(c.labels.data(), c.vectors.data(), c.labels.size());
    for (size_t i = 0; !c.task && !skip && i < c.labels.size(); ++i) {
      if (cancel_ && cancel_->load()) {
        s = Status::Cancelled("interrupted; nothing was written");
        break;
      }
      s = c.builder->Add(c.vectors.data() + i * c.dim, c.labels[i]);
      if (!s.ok()) break;
      if (c.inserted) c.inserted->fetch_add(1, std::memory_order_relaxed);
    }
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = s;
    pending_bytes_ -= Bytes(c);
    --busy_;
    has_room_.notify_all();
    if (queue_.empty() && busy_ == 0) idle_.notify_all();
  }
}

}  // namespace cm
