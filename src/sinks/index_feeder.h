// IndexFeeder: worker threads that insert vectors into HNSW builders while the reading thread
// goes on reading, converting and writing SQLite rows.
//
// The reading thread hands over chunks of rows (copied into the chunk); the queue holds at
// most `max_pending_bytes` of vectors, so Submit blocks when the builders fall behind and
// memory stays bounded however large the collection. Chunks of different builders may be in
// flight at once (legacy sources interleave collections). The first failure of any insertion
// is kept and returned by every later Submit/Drain; after it the workers stop inserting.
//
// One thread calls Submit/Drain; the workers are internal. Destruction stops and joins them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "formats/hnsw/hnsw_builder.h"

namespace cm {

class IndexFeeder {
 public:
  struct Chunk {
    HnswBuilder* builder = nullptr;
    std::atomic<uint64_t>* inserted = nullptr;  // counts rows inserted (for progress); may be null
    std::vector<uint64_t> labels;
    std::vector<float> vectors;  // labels.size() × dim
    size_t dim = 0;
  };

  IndexFeeder(size_t threads, size_t max_pending_bytes, const std::atomic<bool>* cancel);
  ~IndexFeeder();
  IndexFeeder(const IndexFeeder&) = delete;
  IndexFeeder& operator=(const IndexFeeder&) = delete;

  size_t threads() const { return workers_.size(); }

  // Queues a chunk; blocks while the queue is full.
  Status Submit(Chunk chunk);
  // Waits until every queued chunk has been inserted (or failed).
  Status Drain();
  // True once nothing is queued or running; false after `timeout` otherwise.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  void Work();
  size_t Bytes(const Chunk& c) const { return c.vectors.size() * sizeof(float); }

  const std::atomic<bool>* cancel_;
  size_t max_pending_bytes_;
  std::mutex mu_;
  std::condition_variable has_work_, has_room_, idle_;
  std::deque<Chunk> queue_;
  size_t pending_bytes_ = 0;  // queued or being inserted
  size_t busy_ = 0;
  bool stopping_ = false;
  Status error_;
  std::vector<std::thread> workers_;
};

}  // namespace cm
