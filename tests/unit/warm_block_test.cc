// WarmBlock (io/warm_block.h): memory faulted in ahead by a thread of its own, then handed over.
#include "io/warm_block.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "formats/hnsw/vector_rows.h"
#include "io/huge_pages.h"

namespace cm {
namespace {

// Pages of [p, p + bytes) the kernel has mapped (mincore), as a fraction.
double Resident(const char* p, size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((bytes + page - 1) / page);
  if (mincore(const_cast<char*>(p), bytes, in.data()) != 0) return -1;
  size_t n = 0;
  for (unsigned char c : in) n += c & 1;
  return static_cast<double>(n) / static_cast<double>(in.size());
}

TEST(WarmBlock, FaultsInEveryPageThenHandsTheBlockOver) {
  auto warm = WarmBlock::Start(5 * kHugePageBytes + 1, /*idle=*/false);
  ASSERT_NE(warm, nullptr);
  EXPECT_EQ(warm->size(), 6 * kHugePageBytes);  // whole huge pages
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (warm->warmed() < warm->size() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(warm->warmed(), warm->size());
  char* p = warm->Take();
  EXPECT_TRUE(warm->taken());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePageBytes, 0u);
  EXPECT_EQ(Resident(p, warm->size()), 1.0);  // the kernel's view, not the thread's count
  std::memset(p, 'q', warm->size());          // the taker's to write
  EXPECT_EQ(p[warm->size() - 1], 'q');
  warm.reset();  // the taken memory stays
  EXPECT_EQ(p[0], 'q');
  std::free(p);
}

TEST(WarmBlock, TakeStopsTheThreadBeforeItReturns) {
  auto warm = WarmBlock::Start(256 * kHugePageBytes, /*idle=*/false);  // 512 MiB: not done at once
  ASSERT_NE(warm, nullptr);
  char* p = warm->Take();
  const size_t at_take = warm->warmed();
  std::memset(p, 'w', kHugePageBytes);  // were the thread still writing zeros, some would show
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(warm->warmed(), at_take);
  for (size_t i = 0; i < kHugePageBytes; i += 4096) ASSERT_EQ(p[i], 'w') << "byte " << i;
  warm.reset();
  std::free(p);
}

TEST(WarmBlock, AnUntakenBlockIsFreedWithIt) {
  // Under the sanitizers' leak check this fails if the memory is not freed.
  auto warm = WarmBlock::Start(3 * kHugePageBytes);  // at idle priority, stopped wherever it is
  ASSERT_NE(warm, nullptr);
  EXPECT_FALSE(warm->taken());
  warm.reset();
}

TEST(WarmBlock, VectorRowsTakeABlockLargeEnoughAndOnlyThat) {
  const size_t row_bytes = 3072, rows = 1000;
  auto small = WarmBlock::Start(VectorRows::BytesFor(row_bytes, rows) - kHugePageBytes, false);
  VectorRows a(row_bytes);
  ASSERT_TRUE(a.Reserve(rows, small.get()).ok());
  EXPECT_FALSE(small->taken());
  auto fits = WarmBlock::Start(VectorRows::BytesFor(row_bytes, rows), false);
  VectorRows b(row_bytes);
  ASSERT_TRUE(b.Reserve(rows, fits.get()).ok());
  EXPECT_TRUE(fits->taken());
  fits.reset();  // the rows keep the memory
  for (size_t i = 0; i < rows; ++i) std::memset(b.row(i), static_cast<int>(i & 0x7f), row_bytes);
  ASSERT_TRUE(b.Reserve(4 * rows).ok());  // grown as usual, the rows written kept
  for (size_t i = 0; i < rows; ++i) ASSERT_EQ(b.row(i)[row_bytes - 1], static_cast<char>(i & 0x7f)) << "row " << i;
}

}  // namespace
}  // namespace cm
