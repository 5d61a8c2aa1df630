// WriteAroundCache (io/direct_write.h): the bytes that arrive are the bytes given, at every size
// around the direct path's threshold, block size and bounce buffer; errors name the file.
#include "io/direct_write.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <utility>

#include "test_env.h"

namespace cm {
namespace {

std::string Pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(DirectWrite, EverySizeArrivesWhole) {
  const std::string dir = test::MakeTempDir("direct-write-sizes");
  // Small (page cache), just past the threshold, a whole bounce buffer, a ragged tail, several buffers.
  for (size_t n : {size_t{0}, size_t{1000}, size_t{1} << 20, (size_t{1} << 20) + 1, size_t{8} << 20,
                   (size_t{8} << 20) + 4095, (size_t{21} << 20) + 123}) {
    SCOPED_TRACE(n);
    std::string want = Pattern(n, static_cast<uint32_t>(n));
    std::string path = dir + "/f" + std::to_string(n);
    ASSERT_TRUE(WriteAroundCache(path, want.data(), want.size()).ok());
    EXPECT_EQ(std::filesystem::file_size(path), n);
    EXPECT_TRUE(test::ReadFileOrDie(path) == want) << "content differs";
  }
}

// Bytes made as they are written: asked for in order, in chunks of 8 MiB at most, and the file
// holds exactly what the fill gave.
TEST(DirectWrite, FilledBytesArriveWhole) {
  const std::string dir = test::MakeTempDir("direct-write-fill");
  for (size_t n : {size_t{1000}, (size_t{1} << 20) + 1, (size_t{21} << 20) + 123}) {
    SCOPED_TRACE(n);
    std::string want = Pattern(n, static_cast<uint32_t>(n) + 7);
    std::string path = dir + "/f" + std::to_string(n);
    size_t next = 0;
    Status s = WriteAroundCache(path, n, [&](size_t off, char* dst, size_t len) {
      EXPECT_EQ(off, next);
      EXPECT_LE(len, size_t{8} << 20);
      next = off + len;
      std::memcpy(dst, want.data() + off, len);
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(next, n);
    EXPECT_TRUE(test::ReadFileOrDie(path) == want) << "content differs";
  }
}

// A fill that fails is returned as it is, and no partial file is left behind: at once, after the
// first chunk was written, and while the second chunk's write is in flight on the writer thread.
TEST(DirectWrite, AFailedFillLeavesNoFile) {
  const std::string dir = test::MakeTempDir("direct-write-fill-fails");
  const size_t big = (size_t{21} << 20) + 123;
  for (auto [n, fail_at] : {std::pair{size_t{1000}, size_t{0}}, std::pair{big, size_t{8} << 20}, std::pair{big, size_t{16} << 20}}) {
    SCOPED_TRACE(testing::Message() << n << " bytes, failing at " << fail_at);
    std::string path = dir + "/f" + std::to_string(n) + "-" + std::to_string(fail_at);
    Status s = WriteAroundCache(path, n, [fail_at](size_t off, char* dst, size_t len) {
      if (off >= fail_at) return Status::IoError(fmt::format("source: cannot read at {}", off));
      std::memset(dst, 1, len);
      return Status::Ok();
    });
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find(fmt::format("source: cannot read at {}", fail_at)), std::string::npos) << s.message();
    EXPECT_FALSE(std::filesystem::exists(path));
  }
}

TEST(DirectWrite, AnExistingFileIsNeverReplaced) {
  const std::string dir = test::MakeTempDir("direct-write-existing");
  std::string path = dir + "/taken";
  std::string old = Pattern(10, 1), big = Pattern(size_t{2} << 20, 2);
  ASSERT_TRUE(WriteAroundCache(path, old.data(), old.size()).ok());
  Status s = WriteAroundCache(path, big.data(), big.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path + ": cannot create: File exists"), std::string::npos) << s.message();
  EXPECT_EQ(test::ReadFileOrDie(path), old);
}

TEST(DirectWrite, AMissingDirectoryIsNamed) {
  const std::string dir = test::MakeTempDir("direct-write-missing");
  std::string path = dir + "/no/such/file";
  std::string big = Pattern(size_t{2} << 20, 3);
  Status s = WriteAroundCache(path, big.data(), big.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path + ": cannot create: No such file or directory"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace cm
