// VectorIntake (sinks/vector_intake.h): chunks run one at a time in the order submitted, the
// queue is bounded, and the first failure is kept and returned.
#include "sinks/vector_intake.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace cm {
namespace {

TEST(VectorIntake, RunsChunksInOrderOneAtATime) {
  VectorIntake intake(1 << 20);
  std::vector<uint64_t> seen;
  std::atomic<int> running{0};
  bool overlapped = false;
  VectorIntake::Work work = [&](const uint64_t* labels, const float* vectors, size_t n) {
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
    ASSERT_TRUE(intake.Submit(&work, std::move(labels), std::move(vectors)).ok());
  }
  ASSERT_TRUE(intake.Drain().ok());
  EXPECT_FALSE(overlapped);
  ASSERT_EQ(seen.size(), next - 1);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

TEST(VectorIntake, SubmitWaitsWhileTheQueueIsFull) {
  VectorIntake intake(64 * sizeof(float));  // room for one 64-float chunk
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  VectorIntake::Work work = [&](const uint64_t*, const float*, size_t) {
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    done.fetch_add(1);
    return Status::Ok();
  };
  ASSERT_TRUE(intake.Submit(&work, {1}, std::vector<float>(64)).ok());  // running, blocked in work
  std::atomic<bool> second_in{false};
  std::thread submitter([&] {
    EXPECT_TRUE(intake.Submit(&work, {2}, std::vector<float>(64)).ok());
    second_in = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(second_in.load()) << "the second chunk went in over the bound";
  release = true;
  submitter.join();
  EXPECT_TRUE(intake.Drain().ok());
  EXPECT_EQ(done.load(), 2);
}

TEST(VectorIntake, TheFirstFailureIsKeptAndTheRestDropped) {
  VectorIntake intake(1 << 20);
  int runs = 0;
  VectorIntake::Work work = [&](const uint64_t* labels, const float*, size_t) {
    ++runs;
    if (labels[0] == 2) return Status::IoError("spill: disk full at label 2");
    if (labels[0] == 3) return Status::IoError("a later failure");
    return Status::Ok();
  };
  for (uint64_t label = 1; label <= 3; ++label) (void)intake.Submit(&work, {label}, {1.0f});
  Status drained = intake.Drain();
  ASSERT_FALSE(drained.ok());
  EXPECT_EQ(drained.message(), "spill: disk full at label 2");
  EXPECT_EQ(runs, 2) << "the chunk after the failure still ran";
  Status later = intake.Submit(&work, {4}, {1.0f});
  EXPECT_FALSE(later.ok());
  EXPECT_EQ(later.message(), "spill: disk full at label 2");
}

}  // namespace
}  // namespace cm
