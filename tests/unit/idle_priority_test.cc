// ScopedIdlePriority (core/idle_priority.h): SCHED_IDLE while it lives, the normal policy after.
#include "core/idle_priority.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

namespace cm {
namespace {

TEST(IdlePriority, IdleInScopeNormalAfter) {
  // On a thread of its own, so that a failure cannot leave the test runner idle.
  std::thread([] {
    ASSERT_EQ(sched_getscheduler(0), SCHED_OTHER);
    {
      ScopedIdlePriority idle;
      ASSERT_TRUE(idle.idle()) << "Linux lets any thread lower itself to SCHED_IDLE";
      EXPECT_EQ(sched_getscheduler(0), SCHED_IDLE);
    }
    EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
  }).join();
}

}  // namespace
}  // namespace cm
