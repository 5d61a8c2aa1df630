// WorkQueue (core/work_queue.h), the bounded queue under IndexFeeder and RowWriter: what its
// users' tests (index_feeder_test.cc) do not reach — several workers, an item larger than the
// whole allowance, and destruction with items still queued.
#include "core/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace cm {
namespace {

TEST(WorkQueue, SeveralWorkersRunEveryItemOnce) {
  std::vector<std::atomic<int>> runs(1000);
  {
    WorkQueue<size_t> q(4, 64, [&](size_t& i) {
      runs[i].fetch_add(1);
      return Status::Ok();
    });
    EXPECT_EQ(q.threads(), 4u);
    for (size_t i = 0; i < runs.size(); ++i) ASSERT_TRUE(q.Submit(i, 8).ok());  // 8 items' room: Submit waits often
    ASSERT_TRUE(q.Drain().ok());
  }
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << "item " << i;
}

TEST(WorkQueue, AnItemLargerThanTheAllowanceGoesInOnceTheQueueIsEmpty) {
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  WorkQueue<int> q(1, 100, [&](int&) {
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    done.fetch_add(1);
    return Status::Ok();
  });
  ASSERT_TRUE(q.Submit(1, 10).ok());
  std::atomic<bool> big_in{false};
  std::thread submitter([&] {
    EXPECT_TRUE(q.Submit(2, 1000).ok());
    big_in = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(big_in.load()) << "the large item went in beside another";
  release = true;
  submitter.join();
  EXPECT_TRUE(big_in.load());
  ASSERT_TRUE(q.Drain().ok());
  EXPECT_EQ(done.load(), 2);
}

TEST(WorkQueue, DestructionRunsWhatIsStillQueued) {
  std::atomic<int> done{0};
  {
    WorkQueue<int> q(1, 1 << 20, [&](int&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      done.fetch_add(1);
      return Status::Ok();
    });
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(q.Submit(i, 1).ok());
  }
  EXPECT_EQ(done.load(), 20);
}

TEST(WorkQueue, WaitIdleTimesOutWhileAnItemRuns) {
  std::atomic<bool> release{false};
  WorkQueue<int> q(1, 1 << 20, [&](int&) {
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Status::Ok();
  });
  EXPECT_TRUE(q.WaitIdle(std::chrono::milliseconds(1)));
  ASSERT_TRUE(q.Submit(1, 1).ok());
  EXPECT_FALSE(q.WaitIdle(std::chrono::milliseconds(20)));
  release = true;
  EXPECT_TRUE(q.WaitIdle(std::chrono::seconds(10)));
  EXPECT_TRUE(q.error().ok());
}

}  // namespace
}  // namespace cm
