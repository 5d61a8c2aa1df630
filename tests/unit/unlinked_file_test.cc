// CreateUnlinkedFile (io/fs_util.h): the file it returns holds what is written to it, has no name
// in its directory from the start, and closes on exec; a directory that is missing gives an
// invalid descriptor with errno saying why.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "io/fs_util.h"
#include "io/positional_io.h"
#include "test_env.h"

namespace cm {
namespace {

TEST(UnlinkedFile, HoldsItsBytesAndLeavesNoNameBehind) {
  const std::string dir = test::MakeTempDir("unlinked-file");
  std::string name = dir + "/scratch-XXXXXX";
  UniqueFd fd = CreateUnlinkedFile(&name);
  ASSERT_TRUE(fd.valid()) << std::strerror(errno);
  EXPECT_EQ(name.find("XXXXXX"), std::string::npos) << name;
  EXPECT_EQ(name.rfind(dir + "/scratch-", 0), 0u) << name;
  EXPECT_FALSE(std::filesystem::exists(name)) << name;
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);

  const std::string want = "bytes that live only as long as the descriptor";
  ASSERT_TRUE(PwriteFull(fd.get(), want.data(), want.size(), 4096, name).ok());
  std::string got(want.size(), '\0');
  ASSERT_TRUE(PreadFull(fd.get(), got.data(), got.size(), 4096, name).ok());
  EXPECT_EQ(got, want);
}

TEST(UnlinkedFile, AMissingDirectoryIsAnInvalidDescriptorWithErrno) {
  std::string name = test::MakeTempDir("unlinked-file-missing") + "/not-there/scratch-XXXXXX";
  errno = 0;
  UniqueFd fd = CreateUnlinkedFile(&name);
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(errno, ENOENT);
}

}  // namespace
}  // namespace cm
