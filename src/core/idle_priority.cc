#include "core/idle_priority.h"

#include <pthread.h>
#include <sched.h>

namespace cm {

ScopedIdlePriority::ScopedIdlePriority() {
#ifdef SCHED_IDLE
  sched_param none{};
  idle_ = pthread_setschedparam(pthread_self(), SCHED_IDLE, &none) == 0;
#endif
}

ScopedIdlePriority::~ScopedIdlePriority() {
  // Back to the normal policy: a thread may always return to it at nice 0.
  sched_param none{};
  if (idle_) (void)pthread_setschedparam(pthread_self(), SCHED_OTHER, &none);
}

}  // namespace cm
