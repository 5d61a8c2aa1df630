#include "sinks/vector_intake.h"

namespace cm {

VectorIntake::VectorIntake(size_t max_pending_bytes) : max_pending_bytes_(max_pending_bytes) {
  thread_ = std::thread([this] { Run(); });
}

VectorIntake::~VectorIntake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_one();
  thread_.join();
}

Status VectorIntake::Submit(const Work* work, std::vector<uint64_t> labels, std::vector<float> vectors) {
  const size_t bytes = vectors.size() * sizeof(float);
  std::unique_lock<std::mutex> lock(mu_);
  // A chunk larger than the whole allowance still goes in once the queue is empty.
  has_room_.wait(lock, [&] { return !error_.ok() || pending_bytes_ == 0 || pending_bytes_ + bytes <= max_pending_bytes_; });
  if (!error_.ok()) return error_;
  pending_bytes_ += bytes;
  queue_.push_back(Chunk{work, std::move(labels), std::move(vectors)});
  lock.unlock();
  has_work_.notify_one();
  return Status::Ok();
}

Status VectorIntake::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
  return error_;
}

void VectorIntake::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, with everything done
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    const bool skip = !error_.ok();
    lock.unlock();
    Status s = skip ? Status::Ok() : (*c.work)(c.labels.data(), c.vectors.data(), c.labels.size());
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = s;
    pending_bytes_ -= c.vectors.size() * sizeof(float);
    busy_ = false;
    has_room_.notify_all();
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace cm
