// IdlePriority (core/idle_priority.h): SCHED_IDLE while entered, back to normal on Leave, and
// at once, from another thread, on Hasten, which also keeps later Enters from idling.
#include "core/idle_priority.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <thread>

namespace cm {
namespace {

// On threads of their own, so that a failure cannot leave the test runner idle.

TEST(IdlePriority, IdleInScopeNormalAfter) {
  std::thread([] {
    IdlePriority p;
    ASSERT_EQ(sched_getscheduler(0), SCHED_OTHER);
    {
      ScopedIdlePriority idle(p);
      ASSERT_TRUE(idle.idle()) << "Linux lets any thread lower itself to SCHED_IDLE";
      EXPECT_EQ(sched_getscheduler(0), SCHED_IDLE);
    }
    EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
  }).join();
}

TEST(IdlePriority, HastenFromAnotherThreadRestoresAtOnce) {
  IdlePriority p;
  std::atomic<int> step{0};
  std::atomic<int> policy_after{-1};
  std::thread idle([&] {
    ScopedIdlePriority scope(p);
    ASSERT_TRUE(scope.idle());
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    policy_after = sched_getscheduler(0);  // before the scope ends: Hasten's doing, not Leave's
  });
  while (step.load() != 1) std::this_thread::yield();
  p.Hasten();
  step = 2;
  idle.join();
  EXPECT_EQ(policy_after.load(), SCHED_OTHER);
}

TEST(IdlePriority, NoIdlingOnceHastened) {
  std::thread([] {
    IdlePriority p;
    p.Hasten();
    ScopedIdlePriority scope(p);
    EXPECT_FALSE(scope.idle());
    EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
  }).join();
}

}  // namespace
}  // namespace cm
