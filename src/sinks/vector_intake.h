// VectorIntake: one thread that takes each spilled vector's own work off the reading thread.
//
// With the spatial and shuffled insertion orders the graph waits for a collection's last record,
// and until then each vector is normalized (cosine), counted into the fixed-point statistics,
// given its spatial key and written to the spill (CollectionWriter::Intake). On the reading
// thread that was a third of its work at 20,000 × 1536, while the second core had time to spare
// (the row writer uses about half of it). Chunks run one at a time, in the order submitted, so
// each collection's statistics, keys and spill see its vectors in the order they were read, as
// before. The queue holds at most `max_pending_bytes` of vectors: Submit blocks while it is full.
// The first failure is kept and returned by every later Submit/Drain; the chunks after it are
// dropped.
//
// One thread calls Submit/Drain. Destruction finishes the queued chunks and joins the thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"

namespace cm {

class VectorIntake {
 public:
  // Runs on the intake thread: n vectors of `labels` (n × dim floats at `vectors`).
  using Work = std::function<Status(const uint64_t* labels, const float* vectors, size_t n)>;

  explicit VectorIntake(size_t max_pending_bytes);
  ~VectorIntake();
  VectorIntake(const VectorIntake&) = delete;
  VectorIntake& operator=(const VectorIntake&) = delete;

  // Queues a chunk (its vectors are labels.size() × dim floats); blocks while the queue is full.
  Status Submit(const Work* work, std::vector<uint64_t> labels, std::vector<float> vectors);
  // Waits until every chunk submitted so far has run (or failed).
  Status Drain();

 private:
  struct Chunk {
    const Work* work;
    std::vector<uint64_t> labels;
    std::vector<float> vectors;
  };
  void Run();

  size_t max_pending_bytes_;
  std::mutex mu_;
  std::condition_variable has_work_, has_room_, idle_;
  std::deque<Chunk> queue_;
  size_t pending_bytes_ = 0;  // queued or running
  bool busy_ = false, stopping_ = false;
  Status error_;
  std::thread thread_;
};

}  // namespace cm
