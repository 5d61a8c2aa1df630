#include "core/idle_priority.h"

#include <sched.h>
#include <unistd.h>

namespace cm {
namespace {

// Sets thread `tid`'s policy (a Linux thread id; 0: the caller).
bool SetPolicy(pid_t tid, int policy) {
  sched_param none{};
  return sched_setscheduler(tid, policy, &none) == 0;
}

}  // namespace

bool IdlePriority::Enter() {
#ifdef SCHED_IDLE
  if (hastened_.load()) return false;
  const pid_t self = gettid();
  if (!SetPolicy(0, SCHED_IDLE)) return false;
  tid_.store(self);
  // Hasten may have run between the check above and the store: it then saw no thread to hasten,
  // and this sees its flag. (Both may restore; restoring twice is harmless.)
  if (hastened_.load()) {
    Leave();
    return false;
  }
  return true;
#else
  return false;
#endif
}

void IdlePriority::Leave() {
  // A thread may always return to the normal policy at nice 0 (RLIMIT_NICE does not bind there).
  if (tid_.exchange(0) != 0) (void)SetPolicy(0, SCHED_OTHER);
}

void IdlePriority::Hasten() {
  hastened_.store(true);
  if (const pid_t tid = tid_.exchange(0); tid != 0) (void)SetPolicy(tid, SCHED_OTHER);
}

}  // namespace cm
