// VectorRows (formats/hnsw/vector_rows.h): aligned rows that keep what was written as they grow.
#include "formats/hnsw/vector_rows.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace cm {
namespace {

TEST(VectorRows, RowsAreAlignedAndPadded) {
  VectorRows rows(3212);  // an odd size: padded to the next 64 bytes
  ASSERT_TRUE(rows.Reserve(10).ok());
  EXPECT_EQ(rows.row_bytes(), 3212u);
  EXPECT_EQ(rows.stride(), 3264u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(rows.row(i)) % VectorRows::kAlignment, 0u) << "row " << i;
  }
}

TEST(VectorRows, GrowingKeepsTheRowsWritten) {
  VectorRows rows(6);
  ASSERT_TRUE(rows.Reserve(3).ok());
  for (size_t i = 0; i < 3; ++i) std::memset(rows.row(i), static_cast<int>('a' + i), rows.row_bytes());
  const char* before = rows.data();
  ASSERT_TRUE(rows.Reserve(2).ok());  // never shrinks
  EXPECT_EQ(rows.data(), before);
  ASSERT_TRUE(rows.Reserve(500000).ok());  // past the first huge page: moved
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(std::string(rows.row(i), rows.row_bytes()), std::string(6, static_cast<char>('a' + i))) << "row " << i;
  }
  std::memset(rows.row(499999), 'z', rows.row_bytes());  // the last row is there to write
  EXPECT_EQ(rows.row(499999)[5], 'z');
}

}  // namespace
}  // namespace cm
