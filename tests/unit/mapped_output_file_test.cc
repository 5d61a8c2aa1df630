#include "io/mapped_output_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "test_env.h"

namespace cm {
namespace {

bool Exists(const std::string& path) { return std::ifstream(path).good(); }

TEST(MappedOutputFile, StoredBytesAreTheFileAfterTruncate) {
  std::string path = test::MakeTempDir("mapped-out") + "/f.bin";
  {
    auto f = MappedOutputFile::Create(path, 1 << 20);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(f->size(), size_t{1} << 20);
    std::memcpy(f->data(), "chroma", 6);
    f->data()[4095] = 'x';
    ASSERT_TRUE(f->Truncate(4096).ok());
  }
  std::string bytes = test::ReadFileOrDie(path);
  ASSERT_EQ(bytes.size(), 4096u);
  EXPECT_EQ(bytes.substr(0, 6), "chroma");
  EXPECT_EQ(bytes[6], '\0');
  EXPECT_EQ(bytes[4095], 'x');
}

TEST(MappedOutputFile, RefusesAnExistingFileAndLeavesIt) {
  std::string path = test::MakeTempDir("mapped-out") + "/f.bin";
  std::ofstream(path) << "keep";
  auto f = MappedOutputFile::Create(path, 64);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find(path + ": cannot create"), std::string::npos) << f.status().message();
  EXPECT_EQ(test::ReadFileOrDie(path), "keep");
}

TEST(MappedOutputFile, DiscardRemovesTheFile) {
  std::string path = test::MakeTempDir("mapped-out") + "/f.bin";
  auto f = MappedOutputFile::Create(path, 64);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(Exists(path));
  f->Discard();
  EXPECT_FALSE(Exists(path));
  EXPECT_EQ(f->data(), nullptr);
}

TEST(MappedOutputFile, NoDirectoryIsAnErrorNamingThePath) {
  std::string path = test::MakeTempDir("mapped-out") + "/missing/f.bin";
  auto f = MappedOutputFile::Create(path, 64);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace cm
