// VectorSpill: vectors put by label in any order (runs of consecutive labels buffered, others
// written where they belong) come back exactly, in any order; the file is unlinked at once;
// errors name the file, the collection and the offset.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <vector>

#include "sinks/vector_spill.h"
#include "test_env.h"

namespace cm {
namespace {

TEST(VectorSpill, VectorsPutInAnyOrderComeBackByLabel) {
  const std::string dir = test::MakeTempDir("vector-spill");
  const size_t dim = 300, n = 2000;  // 1.2 KB rows: the 1 MiB buffer fills several times
  auto spill = VectorSpill::Create(dir, dim, "collection \"c\"");
  ASSERT_TRUE(spill.ok()) << spill.status().ToString();
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "the file must be unlinked at once";
  auto value = [](uint64_t label, size_t j) { return static_cast<float>(label) * 1000.0f + static_cast<float>(j); };
  std::vector<float> v(dim);
  // Labels 1..1500 in order, then 2000 down to 1501 (each its own run).
  auto put = [&](uint64_t label) {
    for (size_t j = 0; j < dim; ++j) v[j] = value(label, j);
    ASSERT_TRUE((*spill)->Put(label, v.data()).ok());
  };
  for (uint64_t l = 1; l <= 1500; ++l) put(l);
  for (uint64_t l = n; l > 1500; --l) put(l);
  ASSERT_TRUE((*spill)->Flush().ok());

  std::vector<uint64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = i + 1;
  std::shuffle(labels.begin(), labels.end(), std::mt19937(7));
  std::vector<float> out(64 * dim);
  for (size_t i = 0; i < n; i += 64) {
    size_t k = std::min<size_t>(64, n - i);
    ASSERT_TRUE((*spill)->Read(labels.data() + i, k, out.data()).ok());
    for (size_t r = 0; r < k; ++r) {
      for (size_t j = 0; j < dim; ++j) ASSERT_EQ(out[r * dim + j], value(labels[i + r], j)) << labels[i + r] << " " << j;
    }
  }
}

TEST(VectorSpill, ALabelNeverPutIsAnErrorNamingTheFile) {
  const std::string dir = test::MakeTempDir("vector-spill-bad");
  auto spill = VectorSpill::Create(dir, 4, "collection \"c\"");
  ASSERT_TRUE(spill.ok());
  float v[4] = {1, 2, 3, 4}, out[4];
  ASSERT_TRUE((*spill)->Put(1, v).ok());
  ASSERT_TRUE((*spill)->Flush().ok());
  uint64_t label = 2;
  Status s = (*spill)->Read(&label, 1, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(dir + "/vectors-"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("collection \"c\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("label 2"), std::string::npos) << s.message();
}

TEST(VectorSpill, ADirectoryThatDoesNotExistIsNamed) {
  auto spill = VectorSpill::Create("/nonexistent/staging", 4, "collection \"c\"");
  ASSERT_FALSE(spill.ok());
  EXPECT_EQ(spill.status().code(), StatusCode::kIoError);
  EXPECT_NE(spill.status().message().find("/nonexistent/staging/vectors-"), std::string::npos) << spill.status().message();
  EXPECT_NE(spill.status().message().find("No such file"), std::string::npos) << spill.status().message();
}

}  // namespace
}  // namespace cm
