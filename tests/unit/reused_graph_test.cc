// ReusedGraph: a stock graph is adopted only when its parameters, size and pickle agree; each
// record claims its element only with an equal vector (cosine: equal unit vector) and a claim
// that fails changes nothing; the written segment carries the new labels, the records' own
// vectors and (cosine) their norms. A modern source's segment folder is adopted the same way,
// its records claiming by id through index_metadata.pickle.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "formats/hnsw/hnsw_builder.h"
#include "formats/pickle/index_metadata_pickle.h"
#include "hnsw_test_support.h"
#include "sinks/reused_graph.h"
#include "test_env.h"

namespace cm {
namespace {

std::string RowUuid(size_t i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012zu", i);
  return buf;
}

// dict[uuid hex → label] as Chroma 0.3 pickled it (protocol 2 opcodes our reader handles).
std::string LabelsPickle(size_t n, size_t skip = SIZE_MAX) {
  std::string p = "\x80\x02}(";
  for (size_t i = 0; i < n; ++i) {
    if (i == skip) continue;
    std::string hex = RowUuid(i);
    hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
    p += 'X';
    uint32_t len = static_cast<uint32_t>(hex.size());
    p.append(reinterpret_cast<const char*>(&len), 4);
    p += hex;
    p += 'J';
    int32_t label = static_cast<int32_t>(i + 1);
    p.append(reinterpret_cast<const char*>(&label), 4);
  }
  return p + "u.";
}

struct Cache {
  std::string dir, index, labels;
  std::vector<float> vectors;
  size_t n, dim;
};

Cache MakeCache(Space space, size_t n = 300, size_t dim = 8, size_t skip = SIZE_MAX) {
  Cache c{test::MakeTempDir("reused"), "", "", {}, n, dim};
  std::mt19937 rng(9);
  std::normal_distribution<float> x(0, 1);
  c.vectors.resize(n * dim);
  for (float& v : c.vectors) v = x(rng) * 3;
  HnswBuildOptions o;
  o.space = space;
  auto index = test::BuildIndex(c.vectors.data(), n, dim, o);
  EXPECT_TRUE(index->WriteChromaSegment(c.dir).ok());
  std::string stock = test::ReadFileOrDie(c.dir + "/header.bin").substr(4) + test::ReadFileOrDie(c.dir + "/data_level0.bin") +
                      test::ReadFileOrDie(c.dir + "/link_lists.bin");
  c.index = c.dir + "/index_x.bin";
  c.labels = c.dir + "/uuid_to_id_x.pkl";
  std::ofstream(c.index, std::ios::binary) << stock;
  std::ofstream(c.labels, std::ios::binary) << LabelsPickle(n, skip);
  return c;
}

HnswParams Params(Space space) {
  HnswParams p;
  p.space = space;
  return p;
}

TEST(ReusedGraph, OpensOnlyWhenParametersSizeAndPickleAgree) {
  Cache c = MakeCache(Space::kL2);
  EXPECT_TRUE(ReusedGraph::Open(c.index, c.labels, Params(Space::kL2), c.n).ok());
  auto stale = ReusedGraph::Open(c.index, c.labels, Params(Space::kL2), c.n - 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.status().message().find("holds 300 elements but the collection has 299 records"), std::string::npos);
  HnswParams m32 = Params(Space::kL2);
  m32.max_neighbors = 32;
  auto other = ReusedGraph::Open(c.index, c.labels, m32, c.n);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("built with M 16 and ef_construction 100, the collection is configured for 32"),
            std::string::npos) << other.status().message();
  Cache short_pickle = MakeCache(Space::kL2, 300, 8, 17);
  auto missing = ReusedGraph::Open(short_pickle.index, short_pickle.labels, Params(Space::kL2), 300);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("names 299 elements"), std::string::npos) << missing.status().message();
}

TEST(ReusedGraph, AFailedClaimChangesNothing) {
  Cache c = MakeCache(Space::kL2);
  auto g = ReusedGraph::Open(c.index, c.labels, Params(Space::kL2), c.n);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::vector<float> v(c.vectors.begin() + 5 * 8, c.vectors.begin() + 6 * 8);
  EXPECT_NE((*g)->Claim("not-a-uuid", v.data(), 8, 1)->find("is not a uuid"), std::string::npos);
  EXPECT_NE((*g)->Claim(RowUuid(999), v.data(), 8, 1)->find("is not in " + c.labels), std::string::npos);
  EXPECT_NE((*g)->Claim(RowUuid(5), v.data(), 7, 1)->find("it has 7 dimensions, the cache 8"), std::string::npos);
  std::vector<float> changed = v;
  changed[3] = std::nextafter(changed[3], 100.0f);  // one ulp: l2 and ip compare bit for bit
  auto why = (*g)->Claim(RowUuid(5), changed.data(), 8, 1);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("differs from the cache's in component 3"), std::string::npos) << *why;
  EXPECT_EQ((*g)->claimed(), 0u);
  EXPECT_FALSE((*g)->Claim(RowUuid(5), v.data(), 8, 1));
  EXPECT_NE((*g)->Claim(RowUuid(5), v.data(), 8, 2)->find("claimed twice"), std::string::npos);
  EXPECT_EQ((*g)->claimed(), 1u);
  std::vector<std::pair<uint64_t, std::vector<float>>> seen;
  ASSERT_TRUE((*g)->ForEachClaimed([&](uint64_t label, const float* x) {
    seen.emplace_back(label, std::vector<float>(x, x + 8));
    return Status::Ok();
  }).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 1u);
  EXPECT_EQ(seen[0].second, v);
  EXPECT_FALSE((*g)->Write(test::MakeTempDir("reused-incomplete")).ok());
}

void ExpectRecordsWritten(const std::string& out, const Cache& c, std::map<uint64_t, size_t>& row_of_label, Space space);

// Records arrive in another order and get other labels (the writer's row order): shuffled, or
// nearly the graph's element order (neighbours swapped, a stretch reversed, as a parallel insert
// leaves them), which Claim finds near its guess.
void ClaimAllAndWrite(Space space, bool nearly_in_order = false) {
  Cache c = MakeCache(space);
  auto g = ReusedGraph::Open(c.index, c.labels, Params(space), c.n);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::vector<size_t> order(c.n);
  for (size_t i = 0; i < c.n; ++i) order[i] = i;
  if (nearly_in_order) {
    for (size_t i = 0; i + 1 < c.n; i += 3) std::swap(order[i], order[i + 1]);
    std::reverse(order.begin() + c.n / 3, order.begin() + c.n / 2);
  } else {
    std::shuffle(order.begin(), order.end(), std::mt19937(4));
  }
  std::map<uint64_t, size_t> row_of_label;
  for (size_t k = 0; k < c.n; ++k) {
    size_t row = order[k];
    auto why = (*g)->Claim(RowUuid(row), c.vectors.data() + row * c.dim, c.dim, 1000 + k);
    ASSERT_FALSE(why) << *why;
    row_of_label[1000 + k] = row;
  }
  ASSERT_TRUE((*g)->complete());
  std::string out = test::MakeTempDir("reused-out");
  ASSERT_TRUE((*g)->Write(out).ok());
  ExpectRecordsWritten(out, c, row_of_label, space);
}

// Each element of the written segment carries a new label of `row_of_label` and that row's
// vector (cosine: as unit vector and norm).
void ExpectRecordsWritten(const std::string& out, const Cache& c, std::map<uint64_t, size_t>& row_of_label, Space space) {
  std::string level0 = test::ReadFileOrDie(out + "/data_level0.bin");
  std::string lengths = test::ReadFileOrDie(out + "/length.bin");
  const size_t offset_data = 32 * 4 + 4, label_offset = offset_data + c.dim * 4, spe = label_offset + 8;
  ASSERT_EQ(level0.size(), c.n * spe);
  for (size_t i = 0; i < c.n; ++i) {
    uint64_t label;
    std::memcpy(&label, level0.data() + i * spe + label_offset, 8);
    ASSERT_TRUE(row_of_label.count(label)) << label;
    const float* want = c.vectors.data() + row_of_label[label] * c.dim;
    const float* stored = reinterpret_cast<const float*>(level0.data() + i * spe + offset_data);
    float norm;
    std::memcpy(&norm, lengths.data() + i * 4, 4);
    for (size_t j = 0; j < c.dim; ++j) {
      if (space == Space::kCosine) {
        EXPECT_NEAR(stored[j] * norm, want[j], 1e-5f);
      } else {
        EXPECT_EQ(stored[j], want[j]);
        EXPECT_EQ(norm, 0.0f);
      }
    }
  }
}

// MakeCache's folder is also a Chroma segment; this gives it the pickle Chroma 1.x writes, with
// record ids "rec-<row>" with labels row + 1 (`skip`: a row the pickle leaves out).
std::string SegmentPickle(const Cache& c, size_t skip = SIZE_MAX) {
  IndexMetadata m;
  m.dimensionality = static_cast<int64_t>(c.dim);
  m.total_elements_added = static_cast<uint32_t>(c.n);
  for (size_t i = 0; i < c.n; ++i) {
    if (i != skip) m.id_to_label.emplace_back("rec-" + std::to_string(i), static_cast<uint32_t>(i + 1));
  }
  std::string path = c.dir + "/index_metadata.pickle";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << EncodeIndexMetadataPickle(m);
  return path;
}

TEST(ReusedGraph, SegmentOpensOnlyWhenSizeAndPickleAgree) {
  Cache c = MakeCache(Space::kL2);
  std::string pickle = SegmentPickle(c);
  EXPECT_TRUE(ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n).ok());
  auto more = ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n + 2);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.status().message().find("holds 300 elements but the collection has 302 records"), std::string::npos)
      << more.status().message();
  pickle = SegmentPickle(c, 40);
  auto missing = ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("names 299 elements"), std::string::npos) << missing.status().message();
  // A level-0 link (data_level0.bin) to an element that does not exist.
  pickle = SegmentPickle(c);
  std::string level0 = test::ReadFileOrDie(c.dir + "/data_level0.bin");
  uint32_t bad = 5000;
  std::memcpy(level0.data() + 4, &bad, 4);
  std::ofstream(c.dir + "/data_level0.bin", std::ios::binary | std::ios::trunc) << level0;
  auto broken = ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("links to element 5000"), std::string::npos) << broken.status().message();
}

// The label map a modern source already parsed stands in for the pickle, which is then not read
// (here it is gone), and is emptied; without a map the file is read as before.
TEST(ReusedGraph, SegmentTakesTheSourcesParsedLabels) {
  Cache c = MakeCache(Space::kL2);
  std::string pickle = c.dir + "/index_metadata.pickle";
  std::optional<std::unordered_map<uint64_t, std::string>> parsed(std::in_place);
  for (size_t i = 0; i < c.n; ++i) (*parsed)[i + 1] = "rec-" + std::to_string(i);
  auto g = ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n, &parsed);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_FALSE(parsed.has_value());
  EXPECT_FALSE((*g)->Claim("rec-7", c.vectors.data() + 7 * c.dim, c.dim, 1)) << "rec-7 claims its own element";
  std::optional<std::unordered_map<uint64_t, std::string>> none;
  auto unparsed = ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n, &none);
  ASSERT_FALSE(unparsed.ok());
  EXPECT_NE(unparsed.status().message().find("index_metadata.pickle"), std::string::npos) << unparsed.status().message();
}

void ClaimSegmentByIdAndWrite(Space space) {
  Cache c = MakeCache(space);
  std::string pickle = SegmentPickle(c);
  auto g = ReusedGraph::OpenSegment(c.dir, pickle, Params(space), c.n);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE((*g)->keyed_by_id());
  std::vector<float> other(c.vectors.begin() + 8 * c.dim, c.vectors.begin() + 9 * c.dim);
  auto wrong = (*g)->Claim("rec-7", other.data(), c.dim, 1);
  ASSERT_TRUE(wrong);
  EXPECT_NE(wrong->find("differs from the cache's"), std::string::npos) << *wrong;
  auto unknown = (*g)->Claim("rec-300", c.vectors.data(), c.dim, 1);
  ASSERT_TRUE(unknown);
  EXPECT_NE(unknown->find("its id rec-300 is not in " + pickle), std::string::npos) << *unknown;
  std::vector<size_t> order(c.n);
  for (size_t i = 0; i < c.n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  std::map<uint64_t, size_t> row_of_label;
  for (size_t k = 0; k < c.n; ++k) {
    size_t row = order[k];
    auto why = (*g)->Claim("rec-" + std::to_string(row), c.vectors.data() + row * c.dim, c.dim, k + 1);
    ASSERT_FALSE(why) << *why;
    row_of_label[k + 1] = row;
  }
  ASSERT_TRUE((*g)->complete());
  std::string out = test::MakeTempDir("reused-segment-out");
  ASSERT_TRUE((*g)->Write(out).ok());
  // Same edges as the source segment; the labels are the new ones and the vectors the records'.
  ExpectRecordsWritten(out, c, row_of_label, space);
  EXPECT_EQ(test::ReadFileOrDie(out + "/link_lists.bin"), test::ReadFileOrDie(c.dir + "/link_lists.bin"));
  std::string level0 = test::ReadFileOrDie(out + "/data_level0.bin"), source = test::ReadFileOrDie(c.dir + "/data_level0.bin");
  const size_t links = 32 * 4 + 4, spe = links + c.dim * 4 + 8;
  ASSERT_EQ(level0.size(), source.size());
  for (size_t i = 0; i < c.n; ++i) {
    EXPECT_EQ(level0.substr(i * spe, links), source.substr(i * spe, links)) << "element " << i << ": level-0 links";
  }
}

// Flags the element of `row` (label row + 1) deleted in the cache's level 0 (the segment's
// data_level0.bin, and the stock file); returns its element number.
size_t MarkDeleted(const Cache& c, size_t row) {
  const size_t label_offset = 32 * 4 + 4 + c.dim * 4, spe = label_offset + 8;
  std::string level0 = test::ReadFileOrDie(c.dir + "/data_level0.bin");
  size_t element = 0;
  for (uint64_t label = 0; element < c.n; ++element) {
    std::memcpy(&label, level0.data() + element * spe + label_offset, 8);
    if (label == row + 1) break;
  }
  EXPECT_LT(element, c.n);
  for (const std::string& path : {c.dir + "/data_level0.bin", c.index}) {
    std::string bytes = test::ReadFileOrDie(path);
    size_t at = (path == c.index ? 96 : 0) + element * spe + 2;
    bytes[at] = static_cast<char>(bytes[at] | 1);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  return element;
}

TEST(ReusedGraph, SegmentKeepsDeletedElementsFlaggedWithLabelsAfterTheRecords) {
  Cache c = MakeCache(Space::kL2);
  const size_t deleted = MarkDeleted(c, 40);
  // A legacy cache with a deleted element is still refused.
  auto legacy = ReusedGraph::Open(c.index, c.labels, Params(Space::kL2), c.n);
  ASSERT_FALSE(legacy.ok());
  EXPECT_NE(legacy.status().message().find("has 1 deleted elements"), std::string::npos) << legacy.status().message();
  // The pickle must not name it.
  std::string pickle = SegmentPickle(c);
  auto named = ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n - 1);
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.status().message().find("names 300 elements"), std::string::npos) << named.status().message();
  pickle = SegmentPickle(c, 50);
  auto swapped = ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n - 1);
  ASSERT_FALSE(swapped.ok());
  EXPECT_NE(swapped.status().message().find("names label 41, a deleted element"), std::string::npos)
      << swapped.status().message();
  pickle = SegmentPickle(c, 40);
  auto g = ReusedGraph::OpenSegment(c.dir, pickle, Params(Space::kL2), c.n - 1);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ((*g)->size(), c.n - 1);
  EXPECT_EQ((*g)->extra_labels(), 1u);
  uint64_t label = 0;
  for (size_t row = 0; row < c.n; ++row) {
    if (row == 40) continue;
    auto why = (*g)->Claim("rec-" + std::to_string(row), c.vectors.data() + row * c.dim, c.dim, ++label);
    ASSERT_FALSE(why) << *why;
  }
  ASSERT_TRUE((*g)->complete());
  std::string out = test::MakeTempDir("reused-deleted-out");
  ASSERT_TRUE((*g)->Write(out).ok());
  std::string level0 = test::ReadFileOrDie(out + "/data_level0.bin");
  const size_t offset_data = 32 * 4 + 4, label_offset = offset_data + c.dim * 4, spe = label_offset + 8;
  std::vector<uint64_t> labels;
  for (size_t i = 0; i < c.n; ++i) {
    uint64_t l;
    std::memcpy(&l, level0.data() + i * spe + label_offset, 8);
    labels.push_back(l);
    EXPECT_EQ(static_cast<uint8_t>(level0[i * spe + 2]) & 1, i == deleted ? 1 : 0) << "element " << i;
  }
  EXPECT_EQ(labels[deleted], c.n) << "the deleted element's label follows the records' 1.." << c.n - 1;
  std::sort(labels.begin(), labels.end());
  for (size_t i = 0; i < c.n; ++i) EXPECT_EQ(labels[i], i + 1);
}

TEST(ReusedGraph, SegmentL2ClaimsByIdAndKeepsItsEdges) { ClaimSegmentByIdAndWrite(Space::kL2); }
TEST(ReusedGraph, SegmentCosineClaimsByIdAndKeepsItsEdges) { ClaimSegmentByIdAndWrite(Space::kCosine); }

TEST(ReusedGraph, L2WritesNewLabelsAndTheRecordsVectors) { ClaimAllAndWrite(Space::kL2); }
TEST(ReusedGraph, CosineWritesUnitVectorsAndNorms) { ClaimAllAndWrite(Space::kCosine); }
TEST(ReusedGraph, ClaimsArrivingNearlyInElementOrder) { ClaimAllAndWrite(Space::kCosine, true); }

}  // namespace
}  // namespace cm
