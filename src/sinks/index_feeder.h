// IndexFeeder: worker threads that insert vectors into HNSW builders while the reading thread
// goes on reading, converting and writing SQLite rows.
//
// The reading thread hands over chunks of rows (copied into the chunk) through a WorkQueue that
// holds at most `max_pending_bytes` of vectors, so Submit blocks when the builders fall behind
// and memory stays bounded however large the collection. Chunks of different builders may be in
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
#include <cstdint>
#include <functional>
#include <vector>

#include "core/status.h"
#include "core/work_queue.h"
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

  IndexFeeder(size_t threads, size_t max_pending_bytes, const std::atomic<bool>* cancel)
      : cancel_(cancel), queue_(threads, max_pending_bytes, [this](Chunk& c) { return Run(c); }) {}

  size_t threads() const { return queue_.threads(); }

  // Queues a chunk; blocks while the queue is full.
  Status Submit(Chunk chunk) {
    const size_t bytes = chunk.vectors.size() * sizeof(float);
    return queue_.Submit(std::move(chunk), bytes);
  }
  // Waits until every queued chunk has been inserted or run (or failed).
  Status Drain() { return queue_.Drain(); }
  // True once nothing is queued or running; false after `timeout` otherwise.
  bool WaitIdle(std::chrono::milliseconds timeout) { return queue_.WaitIdle(timeout); }

 private:
  Status Run(const Chunk& c) const;

  const std::atomic<bool>* cancel_;
  WorkQueue<Chunk> queue_;  // last: its workers call Run
};

}  // namespace cm
