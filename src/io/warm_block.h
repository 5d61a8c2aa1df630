// A block of memory faulted in ahead of use, in the CPU time nothing else wants.
//
// The first write to a fresh huge page costs the kernel the zeroing of 2 MiB; in a VM whose
// host reclaims the guest's free memory (free page reporting, as in Firecracker), much more:
// the host backs the page again as the guest zeroes it, 0.35 GB/s where memory already backed
// is zeroed at 7.5 GB/s. A graph build paid that for its vector rows (61 MiB at 20,000 × 1536,
// 9 % of the graph threads' samples) on the threads that limit the run. A WarmBlock is
// allocated as soon as its size is known and faulted in by a thread at SCHED_IDLE
// (core/idle_priority.h), which runs only when a core would otherwise wait (the reading phase
// leaves a little of both cores unused); what it has not reached is faulted in by its user as
// before.
//
// The thread writes a zero into each page; Take stops it (hastened back to normal priority, so
// after at most the page it is faulting in) before the memory is handed over, so nothing it
// writes meets what its user writes.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>

#include "core/idle_priority.h"

namespace cm {

class WarmBlock {
 public:
  // `bytes` rounded up to whole huge pages, aligned to one and advised to them (huge_pages.h);
  // nullptr when out of memory. `idle` false runs the thread at normal priority (for tests,
  // which cannot wait for an idle core).
  static std::unique_ptr<WarmBlock> Start(size_t bytes, bool idle = true);
  ~WarmBlock();  // stops the thread; frees the memory unless taken
  WarmBlock(const WarmBlock&) = delete;
  WarmBlock& operator=(const WarmBlock&) = delete;

  size_t size() const { return bytes_; }
  // Stops the thread and hands over the memory (to be released with std::free); once.
  char* Take();
  bool taken() const { return taken_; }
  // Bytes faulted in so far (for tests and measurement).
  size_t warmed() const { return warmed_.load(std::memory_order_relaxed); }
  // WarmBlocks that exist in this process (for tests: a writer holds one at a time).
  static size_t Live() { return live_.load(std::memory_order_relaxed); }

 private:
  WarmBlock(char* data, size_t bytes, bool idle);
  void Run(bool idle);
  void Stop();

  char* data_;
  size_t bytes_;
  bool taken_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> warmed_{0};
  IdlePriority priority_;  // hastened by Stop, which must not wait on a starved thread
  std::thread thread_;
  static std::atomic<size_t> live_;
};

}  // namespace cm
