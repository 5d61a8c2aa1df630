// WorkQueue: items handed from one thread to worker threads through a queue bounded in bytes,
// so that the thread producing them blocks when the workers fall behind and memory stays bounded
// however much data goes through. IndexFeeder (vectors into HNSW graphs) and RowWriter (records
// into SQLite) are its two users.
//
// `run` is called on a worker for each item, in the order submitted when there is one worker.
// The first failure is kept: every later Submit and Drain returns it, and the items still queued
// are dropped unrun (their bytes are given back). An item larger than the whole allowance still
// goes in once the queue is empty. One thread calls Submit/Drain; destruction lets the workers
// finish what is queued and joins them.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"

namespace cm {

template <class Item>
class WorkQueue {
 public:
  using Run = std::function<Status(Item&)>;

  WorkQueue(size_t threads, size_t max_pending_bytes, Run run)
      : max_pending_bytes_(max_pending_bytes), run_(std::move(run)) {
    for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) workers_.emplace_back([this] { Work(); });
  }
  ~WorkQueue() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    has_work_.notify_all();
    for (auto& t : workers_) t.join();
  }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  size_t threads() const { return workers_.size(); }

  // Queues `item`, which accounts for `bytes` of the allowance; blocks while there is no room.
  Status Submit(Item item, size_t bytes) {
    std::unique_lock<std::mutex> lock(mu_);
    has_room_.wait(lock, [&] {
      return !error_.ok() || pending_bytes_ == 0 || pending_bytes_ + bytes <= max_pending_bytes_;
    });
    if (!error_.ok()) return error_;
    pending_bytes_ += bytes;
    queue_.push_back(Queued{std::move(item), bytes});
    lock.unlock();
    has_work_.notify_one();
    return Status::Ok();
  }
  // Waits until every queued item has run (or been dropped after a failure).
  Status Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [&] { return Idle(); });
    return error_;
  }
  // True once nothing is queued or running; false after `timeout` otherwise.
  bool WaitIdle(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return idle_.wait_for(lock, timeout, [&] { return Idle(); });
  }
  // The first failure so far (Ok if none), without waiting.
  Status error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  struct Queued {
    Item item;
    size_t bytes;
  };

  bool Idle() const { return queue_.empty() && busy_ == 0; }

  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      size_t bytes = queue_.front().bytes;
      Status s;
      {
        Queued q = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
        const bool skip = !error_.ok();
        lock.unlock();
        if (!skip) s = run_(q.item);
      }  // the item is freed before the lock is taken again
      lock.lock();
      if (!s.ok() && error_.ok()) error_ = s;
      pending_bytes_ -= bytes;
      --busy_;
      has_room_.notify_all();
      if (Idle()) idle_.notify_all();
    }
  }

  const size_t max_pending_bytes_;
  const Run run_;
  std::mutex mu_;
  std::condition_variable has_work_, has_room_, idle_;
  std::deque<Queued> queue_;
  size_t pending_bytes_ = 0;  // queued or running
  size_t busy_ = 0;
  bool stopping_ = false;
  Status error_;
  std::vector<std::thread> workers_;  // last: started once everything above exists
};

}  // namespace cm
