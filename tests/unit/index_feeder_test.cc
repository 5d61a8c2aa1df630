// IndexFeeder (sinks/index_feeder.h): the first failure is kept and returned; chunks that carry a
// task run it on their rows, one at a time in the order submitted with one worker; the queue is
// bounded.
#include "sinks/index_feeder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace cm {
namespace {

IndexFeeder::Chunk TaskChunk(const IndexFeeder::Task* task, std::vector<uint64_t> labels, std::vector<float> vectors,
                             size_t dim) {
  IndexFeeder::Chunk c;
  c.labels = std::move(labels);
  c.vectors = std::move(vectors);
  c.dim = dim;
  c.task = task;
  return c;
}

TEST(IndexFeeder, AFailedInsertionIsReportedByDrainAndLaterSubmits) {
  HnswBuildOptions o;
  auto b = HnswBuilder::Create(2, 4, o);
  ASSERT_TRUE(b.ok());
  IndexFeeder feeder(2, 1 << 20, nullptr);
  IndexFeeder::Chunk ok{b->get(), nullptr, {1, 2}, {0, 1, 1, 0}, 2};
  ASSERT_TRUE(feeder.Submit(ok).ok());
  ASSERT_TRUE(feeder.Drain().ok());
  IndexFeeder::Chunk bad{b->get(), nullptr, {9}, {1, 1}, 2};
  ASSERT_TRUE(feeder.Submit(bad).ok());
  Status s = feeder.Drain();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("label 9"), std::string::npos) << s.message();
  EXPECT_FALSE(feeder.Submit(ok).ok());
}

TEST(IndexFeeder, OneWorkerRunsTasksInOrderOneAtATime) {
  IndexFeeder feeder(1, 1 << 20, nullptr);
  std::vector<uint64_t> seen;
  std::atomic<int> running{0};
  bool overlapped = false;
  IndexFeeder::Task task = [&](const uint64_t* labels, const float* vectors, size_t n) {
    if (running.fetch_add(1) != 0) overlapped = true;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(vectors[2 * i], static_cast<float>(labels[i])) << "the vectors travel with their labels";
      seen.push_back(labels[i]);
    }
    running.fetch_sub(1);
    return Status::Ok();
  };
  uint64_t next = 1;
  for (int chunk = 0; chunk < 50; ++chunk) {
    std::vector<uint64_t> labels;
    std::vector<float> vectors;
    for (int i = 0; i < 1 + chunk % 5; ++i, ++next) {
      labels.push_back(next);
      vectors.insert(vectors.end(), {static_cast<float>(next), 0.5f});
    }
    ASSERT_TRUE(feeder.Submit(TaskChunk(&task, std::move(labels), std::move(vectors), 2)).ok());
  }
  ASSERT_TRUE(feeder.Drain().ok());
  EXPECT_FALSE(overlapped);
  ASSERT_EQ(seen.size(), next - 1);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

TEST(IndexFeeder, SubmitWaitsWhileTheQueueIsFull) {
  IndexFeeder feeder(1, 64 * sizeof(float), nullptr);  // room for one 64-float chunk
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  IndexFeeder::Task task = [&](const uint64_t*, const float*, size_t) {
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    done.fetch_add(1);
    return Status::Ok();
  };
  ASSERT_TRUE(feeder.Submit(TaskChunk(&task, {1}, std::vector<float>(64), 64)).ok());  // running, blocked in task
  std::atomic<bool> second_in{false};
  std::thread submitter([&] {
    EXPECT_TRUE(feeder.Submit(TaskChunk(&task, {2}, std::vector<float>(64), 64)).ok());
    second_in = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(second_in.load()) << "the second chunk went in over the bound";
  release = true;
  submitter.join();
  EXPECT_TRUE(feeder.Drain().ok());
  EXPECT_EQ(done.load(), 2);
}

TEST(IndexFeeder, AFailedTaskIsKeptAndTheRestDropped) {
  IndexFeeder feeder(1, 1 << 20, nullptr);
  int runs = 0;
  IndexFeeder::Task task = [&](const uint64_t* labels, const float*, size_t) {
    ++runs;
    if (labels[0] == 2) return Status::IoError("spill: disk full at label 2");
    if (labels[0] == 3) return Status::IoError("a later failure");
    return Status::Ok();
  };
  for (uint64_t label = 1; label <= 3; ++label) (void)feeder.Submit(TaskChunk(&task, {label}, {1.0f}, 1));
  Status drained = feeder.Drain();
  ASSERT_FALSE(drained.ok());
  EXPECT_EQ(drained.message(), "spill: disk full at label 2");
  EXPECT_EQ(runs, 2) << "the chunk after the failure still ran";
  Status later = feeder.Submit(TaskChunk(&task, {4}, {1.0f}, 1));
  EXPECT_FALSE(later.ok());
  EXPECT_EQ(later.message(), "spill: disk full at label 2");
}

}  // namespace
}  // namespace cm
