// MappedFile::ReadAt (io/mapped_file.h): reads what the mapping shows, from the file that was
// opened even after another file takes its name, and refuses a range past the end.
#include "io/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "test_env.h"

namespace cm {
namespace {

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(MappedFile, ReadAtGivesTheMappedBytesOfTheFileThatWasOpened) {
  const std::string dir = test::MakeTempDir("mapped-file-read-at");
  std::string want(10000, '\0');
  for (size_t i = 0; i < want.size(); ++i) want[i] = static_cast<char>(i * 7 + 3);
  Write(dir + "/f", want);
  auto f = MappedFile::Open(dir + "/f");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  // Another file takes the name: both the mapping and ReadAt still see the one that was opened.
  Write(dir + "/g", std::string(10000, 'x'));
  ASSERT_EQ(std::rename((dir + "/g").c_str(), (dir + "/f").c_str()), 0);

  for (auto [offset, n] : {std::pair<uint64_t, size_t>{0, 1}, {4095, 2}, {5000, 5000}, {0, 10000}, {10000, 0}}) {
    SCOPED_TRACE(offset);
    std::string got(n, '\0');
    ASSERT_TRUE(f->ReadAt(offset, got.data(), n).ok());
    EXPECT_EQ(got, want.substr(offset, n));
    EXPECT_EQ(got, std::string(f->bytes().substr(offset, n)));
  }
}

TEST(MappedFile, ReadAtPastTheEndIsAnErrorNamingTheFile) {
  const std::string dir = test::MakeTempDir("mapped-file-past-end");
  Write(dir + "/f", std::string(100, 'a'));
  auto f = MappedFile::Open(dir + "/f");
  ASSERT_TRUE(f.ok());
  char buf[8];
  for (uint64_t offset : {uint64_t{93}, uint64_t{101}, ~uint64_t{0}}) {
    Status st = f->ReadAt(offset, buf, sizeof buf);
    EXPECT_FALSE(st.ok()) << offset;
    EXPECT_NE(st.ToString().find(dir + "/f"), std::string::npos) << st.ToString();
  }
}

}  // namespace
}  // namespace cm
