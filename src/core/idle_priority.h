// Work that should take only the CPU nothing else wants, until someone waits for it.
//
// On the two cores of the bench machine every core is busy from the first record to the last
// link, so work that can wait (faulting memory in ahead, building SQLite indexes whose rows are
// all in) only slows the graph's threads when it runs beside them. At SCHED_IDLE the kernel
// runs a thread only when a core would otherwise be idle: in the gaps of the reading phase, and
// after the graph while the segment is written to disk. Where cores are to spare it runs at
// once, as before.
//
// On a machine kept busy by other programs an idle thread may not run for a long time, so
// whoever comes to wait for its work first calls Hasten, which puts it back at its normal
// priority at once (and keeps it there).
#pragma once

#include <sys/types.h>

#include <atomic>

namespace cm {

class IdlePriority {
 public:
  IdlePriority() = default;
  IdlePriority(const IdlePriority&) = delete;
  IdlePriority& operator=(const IdlePriority&) = delete;

  // The calling thread at SCHED_IDLE until Leave, unless Hasten has been called (best effort:
  // where the kernel refuses, it runs as before). Whether it is idle now.
  bool Enter();
  // The calling thread (the one that entered) back at its normal priority.
  void Leave();
  // From any thread: the entered thread, if any, back at its normal priority now, and every
  // later Enter a no-op.
  void Hasten();

 private:
  std::atomic<pid_t> tid_{0};  // the idle thread, 0 when none
  std::atomic<bool> hastened_{false};
};

// Enter for the lifetime of a scope, Leave at its end.
class ScopedIdlePriority {
 public:
  explicit ScopedIdlePriority(IdlePriority& p) : p_(p) { idle_ = p_.Enter(); }
  ~ScopedIdlePriority() { p_.Leave(); }
  ScopedIdlePriority(const ScopedIdlePriority&) = delete;
  ScopedIdlePriority& operator=(const ScopedIdlePriority&) = delete;
  bool idle() const { return idle_; }

 private:
  IdlePriority& p_;
  bool idle_ = false;
};

}  // namespace cm
