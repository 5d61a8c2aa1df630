// HugePageRange: only whole 2 MiB pages inside the block are advised, never a byte outside it.
#include "io/huge_pages.h"

#include <gtest/gtest.h>

#include <vector>

namespace cm {
namespace {

const void* At(uintptr_t address) { return reinterpret_cast<const void*>(address); }

TEST(HugePages, RangeIsTheWholeHugePagesInsideTheBlock) {
  const uintptr_t h = kHugePageBytes;
  EXPECT_EQ(HugePageRange(At(h), 3 * h), std::make_pair(h, 3 * h));                 // aligned both ends
  EXPECT_EQ(HugePageRange(At(h + 1), 3 * h), std::make_pair(2 * h, 2 * h));         // start rounded up
  EXPECT_EQ(HugePageRange(At(h), 3 * h - 1), std::make_pair(h, 2 * h));             // end rounded down
  EXPECT_EQ(HugePageRange(At(h + 4096), 2 * h - 8192).second, 0u);                   // no whole page
  EXPECT_EQ(HugePageRange(At(h - 1), 2).second, 0u);                                 // tiny, across a boundary
  EXPECT_EQ(HugePageRange(At(UINTPTR_MAX - 10), 5).second, 0u);                      // rounding would wrap
}

TEST(HugePages, AdvisingAHeapBlockLeavesItUsable) {
  std::vector<char> block(3 * kHugePageBytes + 123, 'x');
  AdviseHugePages(block.data(), block.size());
  AdviseHugePages(block.data(), 0);
  for (size_t i = 0; i < block.size(); i += 4096) block[i] = static_cast<char>(i);
  EXPECT_EQ(block[4096], static_cast<char>(4096));
  EXPECT_EQ(block.back(), 'x');
}

}  // namespace
}  // namespace cm
