#include "test_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace cm::test {
namespace {

std::vector<std::string>& MadeByThisTest() {
  static std::vector<std::string> dirs;
  return dirs;
}

// Removes the temporary directories a test made once it has ended without failing (a failed
// test's stay, to be looked at); build/test-tmp otherwise grows by gigabytes over many runs.
// Directories made outside a test (SetUpTestSuite) are left alone.
class TempDirCleaner : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { MadeByThisTest().clear(); }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!info.result()->Failed()) {
      for (const std::string& dir : MadeByThisTest()) {
        std::error_code ec;
        fs::remove_all(dir, ec);
      }
    }
    MadeByThisTest().clear();
  }
};

const bool kCleanerInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new TempDirCleaner);
  return true;
}();

}  // namespace

std::string SourceDir() { return CM_SOURCE_DIR; }

std::string SharedDir() {
  if (const char* env = std::getenv("CM_SHARED_DIR")) return env;
  fs::path p = fs::path(SourceDir()).parent_path() / "shared";
  return fs::exists(p) ? p.string() : "";
}

std::string FixturesDir() {
  std::string shared = SharedDir();
  if (shared.empty()) return "";
  fs::path p = fs::path(shared) / "fixtures";
  return fs::exists(p) ? p.string() : "";
}

std::string NodeModulesDir() {
  fs::path p = fs::path(SourceDir()) / ".engines" / "node_modules";
  return fs::exists(p / "@duckdb" / "node-api") ? p.string() : "";
}

std::string MakeTempDir(const std::string& tag) {
  fs::path root = fs::path(CM_BINARY_DIR) / "test-tmp";
  fs::create_directories(root);
  std::string templ = (root / (tag + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + templ);
  MadeByThisTest().push_back(templ);
  return templ;
}

int RunCommand(const std::string& command, std::string* stdout_text) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 65536> buf{};
  std::string out;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = ::pclose(pipe);
  if (stdout_text != nullptr) *stdout_text = std::move(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool EnginesRequired() {
  const char* env = std::getenv("CM_REQUIRE_ENGINES");
  return env != nullptr && std::string(env) == "1";
}

}  // namespace cm::test
