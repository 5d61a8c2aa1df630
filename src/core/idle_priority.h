// Work that should take only the CPU nothing else wants.
//
// On the two cores of the bench machine every core is busy from the first record to the last
// link, so work that can wait (faulting memory in ahead, building SQLite indexes whose rows are
// all in) only slows the graph's threads when it runs beside them. At SCHED_IDLE the kernel
// runs a thread only when a core would otherwise be idle: in the gaps of the reading phase, and
// after the graph while the segment is written to disk. Where cores are to spare it runs at
// once, as before.
#pragma once

namespace cm {

// The calling thread at SCHED_IDLE while this lives (best effort: where the kernel refuses, it
// runs as before), then back at its normal priority.
class ScopedIdlePriority {
 public:
  ScopedIdlePriority();
  ~ScopedIdlePriority();
  ScopedIdlePriority(const ScopedIdlePriority&) = delete;
  ScopedIdlePriority& operator=(const ScopedIdlePriority&) = delete;

  bool idle() const { return idle_; }

 private:
  bool idle_ = false;
};

}  // namespace cm
