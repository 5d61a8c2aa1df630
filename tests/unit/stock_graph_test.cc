// StockGraph: a graph built by hnswlib (as Chroma 0.3 saved it) reads back element for element
// and writes the very segment files a fresh build writes; the chroma-hnswlib variant with a
// length block is recognised; and every damage (truncation anywhere, counts, neighbour ids,
// levels, header fields) is Corrupt with the file named, never a crash (ASan runs this).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <fstream>
#include <random>

#include "formats/hnsw/hnsw_builder.h"
#include "formats/hnsw/stock_graph.h"
#include "hnsw_test_support.h"
#include "test_env.h"

namespace cm {
namespace {

struct Built {
  std::string dir, header, level0, links;
  std::string stock() const { return header.substr(4) + level0 + links; }
};

Built BuildSegment(size_t n, size_t dim) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n * dim);
  for (float& x : v) x = u(rng);
  auto index = test::BuildIndex(v.data(), n, dim, HnswBuildOptions{});
  Built b;
  b.dir = test::MakeTempDir("stock-graph");
  EXPECT_TRUE(index->WriteChromaSegment(b.dir).ok());
  b.header = test::ReadFileOrDie(b.dir + "/header.bin");
  b.level0 = test::ReadFileOrDie(b.dir + "/data_level0.bin");
  b.links = test::ReadFileOrDie(b.dir + "/link_lists.bin");
  return b;
}

std::string Put(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return path;
}

template <typename T>
void Poke(std::string* bytes, size_t at, T v) {
  std::memcpy(bytes->data() + at, &v, sizeof v);
}

TEST(StockGraph, ReadsBackAndWritesTheSameSegment) {
  const size_t n = 2000, dim = 16;
  Built b = BuildSegment(n, dim);
  auto g = StockGraph::Load(Put(b.dir, "stock.bin", b.stock()));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ((*g)->size(), n);
  EXPECT_EQ((*g)->dim(), dim);
  EXPECT_EQ((*g)->deleted(), 0u);
  EXPECT_FALSE((*g)->has_length_block());
  EXPECT_EQ((*g)->header().M, 16u);
  EXPECT_EQ((*g)->header().ef_construction, 100u);
  std::string out = test::MakeTempDir("stock-graph-out");
  ASSERT_TRUE((*g)->WriteChromaSegment(out, std::vector<float>(n, 0.0f)).ok());
  EXPECT_EQ(test::ReadFileOrDie(out + "/header.bin"), b.header);
  EXPECT_EQ(test::ReadFileOrDie(out + "/data_level0.bin"), b.level0);
  EXPECT_EQ(test::ReadFileOrDie(out + "/link_lists.bin"), b.links);
  EXPECT_EQ(test::ReadFileOrDie(out + "/length.bin"), test::ReadFileOrDie(b.dir + "/length.bin"));
}

TEST(StockGraph, RecognisesTheChromaForkLengthBlock) {
  Built b = BuildSegment(500, 8);
  std::string variant = b.header.substr(4) + b.level0 + std::string(500 * 4, '\0') + b.links;
  auto g = StockGraph::Load(Put(b.dir, "variant.bin", variant));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_TRUE((*g)->has_length_block());
  EXPECT_EQ((*g)->size(), 500u);
}

TEST(StockGraph, EveryTruncationIsCorruptAndNamesTheFile) {
  Built b = BuildSegment(300, 8);
  std::string full = b.stock();
  for (size_t len = 0; len < full.size(); len += (len < 200 ? 1 : 37)) {
    std::string path = Put(b.dir, "cut.bin", full.substr(0, len));
    auto g = StockGraph::Load(path);
    ASSERT_FALSE(g.ok()) << "truncated to " << len;
    EXPECT_NE(g.status().message().find(path), std::string::npos) << g.status().message();
  }
}

TEST(StockGraph, DamageIsCorruptWithWhereAndWhat) {
  Built b = BuildSegment(300, 8);
  const std::string good = b.stock();
  uint64_t spe, offset_data;
  std::memcpy(&spe, good.data() + 24, 8);
  std::memcpy(&offset_data, good.data() + 40, 8);
  const size_t e7 = 96 + 7 * spe;  // element 7's level-0 list
  struct Case {
    const char* name;
    std::function<void(std::string*)> damage;
    std::string expect;
  } cases[] = {
      {"level-0 count", [&](std::string* s) { Poke<uint16_t>(s, e7, 33); }, "element 7 has 33 level-0 neighbours"},
      {"neighbour id", [&](std::string* s) { Poke<uint32_t>(s, e7 + 4, 300); },
       fmt::format("at offset {}: element 7 links to element 300", e7 + 4)},
      {"offsetData", [](std::string* s) { Poke<uint64_t>(s, 40, 100); }, "header field offsetData = 100; expected maxM0*4+4 = 132"},
      {"entry point", [](std::string* s) { Poke<uint32_t>(s, 52, 300); }, "header field enterpoint_node = 300; expected < cur_element_count (300)"},
      {"maxlevel", [](std::string* s) { Poke<int32_t>(s, 48, 40); }, "the entry point"},
      {"mult", [](std::string* s) { Poke<double>(s, 80, -1.0); }, "implausible hnswlib header"},
      {"link size", [&](std::string* s) { Poke<uint32_t>(s, 96 + 300 * spe, 5); }, "neither hnswlib's stock layout"},
  };
  for (const Case& c : cases) {
    std::string bytes = good;
    c.damage(&bytes);
    std::string path = Put(b.dir, "damaged.bin", bytes);
    auto g = StockGraph::Load(path);
    ASSERT_FALSE(g.ok()) << c.name;
    EXPECT_EQ(g.status().code(), StatusCode::kCorrupt) << c.name;
    EXPECT_NE(g.status().message().find(path), std::string::npos) << c.name << ": " << g.status().message();
    EXPECT_NE(g.status().message().find(c.expect), std::string::npos) << c.name << ": " << g.status().message();
  }
}

TEST(StockGraph, AnUpperLevelLinkToAnElementNotOnThatLevelIsCorrupt) {
  Built b = BuildSegment(2000, 8);
  std::string bytes = b.stock();
  uint64_t n, spe;
  std::memcpy(&n, bytes.data() + 16, 8);
  std::memcpy(&spe, bytes.data() + 24, 8);
  // Find an element with a level-1 list that has a neighbour, and a level-0-only element.
  size_t pos = 96 + n * spe, with_links = 0, at = 0;
  uint32_t level0_only = UINT32_MAX;
  std::vector<size_t> starts;
  for (size_t i = 0; i < n; ++i) {
    uint32_t size;
    std::memcpy(&size, bytes.data() + pos, 4);
    if (size == 0 && level0_only == UINT32_MAX) level0_only = static_cast<uint32_t>(i);
    uint16_t count = 0;
    if (size) std::memcpy(&count, bytes.data() + pos + 4, 2);
    if (size && count && !at) {
      with_links = i;
      at = pos + 4 + 4;
    }
    pos += 4 + size;
  }
  ASSERT_NE(at, 0u);
  ASSERT_NE(level0_only, UINT32_MAX);
  Poke<uint32_t>(&bytes, at, level0_only);
  auto g = StockGraph::Load(Put(b.dir, "level.bin", bytes));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find(fmt::format("element {} links at level 1 to element {}, which is not on that level",
                                                  with_links, level0_only)),
            std::string::npos)
      << g.status().message();
}

// The fuzz corpus's seeds are accepted graphs (one with an upper level), so fuzzing starts from
// the accepting path, not only from rejections.
TEST(StockGraph, FuzzSeedsAreValidGraphs) {
  for (const char* seed : {"seed-level0.bin", "seed-two-levels.bin"}) {
    auto g = StockGraph::Load(std::string(CM_SOURCE_DIR) + "/tests/fuzz/corpus/stock_graph/" + seed);
    ASSERT_TRUE(g.ok()) << seed << ": " << g.status().ToString();
    EXPECT_EQ((*g)->label(0), 1u);
  }
}

}  // namespace
}  // namespace cm
