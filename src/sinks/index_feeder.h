// IndexFeeder: worker threads that insert vectors into HNSW builders while the reading thread
// goes on reading, converting and writing SQLite rows.
//
// The reading thread hands over chunks of rows (copied into the chunk); the queue holds at
// most `max_pending_bytes` of vectors, so Submit blocks when the builders fall behind and
// memory stays bounded however large the collection. Chunks of different builders may be in
// flight at once (legacy sources interleave collections). The first failure of any insertion
// is kept and returned by every later Submit/Drain; after it the workers stop inserting.
//
// A chunk may carry a task instead of a builder: the rows' own work before a graph exists
// (CollectionWriter's intake of spilled vectors: normalization, statistics, spatial keys, the
// spill write). With one worker, chunks run one at a time in the order submitted, which that
// intake relies on.
//
// One thread calls Submit/Drain; the workers are internal. Destruction finishes the queued
// chunks and joins them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "formats/hnsw/hnsw_builder.h"

namespace cm {

class IndexFeeder {
 public:
  // Runs on a worker: n rows, `labels` and their vectors (n × dim floats).
  using Task = std::function<Status(const uint64_t* labels, const float* vectors, size_t n)>;

  struct Chunk {
    HnswBuilder* builder = nullptr;
    std::atomic<uint64_t>* inserted = nullptr;  // counts rows inserted (for progress); may be null
    std::vector<uint64_t> labels;
    std::vector<float> vectors;  // labels.size() × dim
    size_t dim = 0;
    const Task* task = nullptr;  // set: run this on the rows instead of inserting them into builder
  };

  IndexFeeder(size_t threads, size_t max_pending_bytes, const std::atomic<bool>* cancel);
  ~IndexFeeder();
  IndexFeeder(const IndexFeeder&) = delete;
  IndexFeeder& operator=(const IndexFeeder&) = delete;

  size_t threads() const { return workers_.size(); }

  // Queues a chunk; blocks while the queue is full.
  Status Submit(Chunk chunk);
  // Waits until every queued chunk has been inserted or run (or failed).
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
