// HnswSegmentReader against segments written by hnswlib (through HnswIndex), and the corruption
// suite: truncated files, missing files and absurd header values, each with its exact message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "formats/hnsw/hnsw_builder.h"
#include "formats/hnsw/segment_reader.h"
#include "hnsw_test_support.h"
#include "test_env.h"

namespace cm {
namespace {

namespace fs = std::filesystem;

struct Built {
  std::string dir;
  std::vector<float> vectors;
};

Built BuildSegment(Space space, size_t rows, size_t dim) {
  Built b;
  b.dir = test::MakeTempDir("hnsw-seg");
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-2, 2);
  b.vectors.resize(rows * dim);
  for (float& f : b.vectors) f = u(rng);
  HnswBuildOptions o;
  o.space = space;
  o.max_neighbors = 4;
  auto idx = test::BuildIndex(b.vectors.data(), rows, dim, o);
  EXPECT_TRUE(idx && idx->WriteChromaSegment(b.dir).ok());
  return b;
}

void Overwrite(const std::string& path, size_t offset, const void* bytes, size_t n) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(n));
}

void Truncate(const std::string& path, size_t size) { fs::resize_file(path, size); }

std::string OpenError(const std::string& dir, std::optional<size_t> dim = std::nullopt, bool cosine = false) {
  auto r = HnswSegmentReader::Open(dir, dim, cosine);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(HnswSegmentReader, ReadsEveryVectorBackByLabel) {
  for (Space space : {Space::kL2, Space::kCosine}) {
    const size_t rows = 300, dim = 5;
    Built b = BuildSegment(space, rows, dim);
    auto r = HnswSegmentReader::Open(b.dir, dim, space == Space::kCosine);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->slot_count(), rows);
    EXPECT_EQ(r->dim(), dim);
    std::vector<bool> seen(rows + 1);
    std::vector<float> v(dim);
    for (size_t i = 0; i < rows; ++i) {
      EXPECT_FALSE(r->Deleted(i));
      uint64_t label = r->Label(i);
      ASSERT_GE(label, 1u);
      ASSERT_LE(label, rows);
      seen[label] = true;
      ASSERT_TRUE(r->ReadVector(i, space == Space::kCosine, v.data()).ok());
      const float* want = b.vectors.data() + (label - 1) * dim;
      for (size_t k = 0; k < dim; ++k) EXPECT_NEAR(v[k], want[k], 1e-5) << "label " << label;
    }
    for (size_t l = 1; l <= rows; ++l) EXPECT_TRUE(seen[l]);
  }
}

TEST(HnswSegmentReader, SeesDeleteMarks) {
  Built b = BuildSegment(Space::kL2, 20, 3);
  uint8_t flag = 1;
  Overwrite(b.dir + "/data_level0.bin", 2, &flag, 1);  // slot 0's flags byte
  auto r = HnswSegmentReader::Open(b.dir, 3, false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->Deleted(0));
  EXPECT_FALSE(r->Deleted(1));
}

TEST(HnswSegmentReader, NamesMissingFiles) {
  Built b = BuildSegment(Space::kCosine, 10, 3);
  fs::remove(b.dir + "/length.bin");
  EXPECT_EQ(OpenError(b.dir, 3, true),
            b.dir + "/length.bin: missing; a cosine index stores unit vectors and needs the norms in this file");
  fs::remove(b.dir + "/data_level0.bin");
  EXPECT_EQ(OpenError(b.dir, 3, true), b.dir + "/data_level0.bin: missing; header.bin says the index holds 10 elements "
                                                "of dimension 3, whose vectors are only in this file");
  fs::remove(b.dir + "/header.bin");
  EXPECT_EQ(OpenError(b.dir), b.dir + "/header.bin: missing (every HNSW segment folder has one)");
}

TEST(HnswSegmentReader, RejectsTruncatedFiles) {
  Built b = BuildSegment(Space::kCosine, 50, 4);
  const std::string data = b.dir + "/data_level0.bin";
  size_t per = fs::file_size(data) / 50;
  Truncate(data, per * 49 + 7);
  EXPECT_EQ(OpenError(b.dir, 4, true),
            data + ": " + std::to_string(per * 49 + 7) + " bytes hold 49 slots of " + std::to_string(per) +
                " bytes; header.bin says cur_element_count = 50");
  Built c = BuildSegment(Space::kCosine, 50, 4);
  Truncate(c.dir + "/length.bin", 4 * 49);
  EXPECT_EQ(OpenError(c.dir, 4, true),
            c.dir + "/length.bin: 196 bytes hold 49 norms; expected at least cur_element_count = 50");
  Built d = BuildSegment(Space::kL2, 400, 4);
  const std::string links = d.dir + "/link_lists.bin";
  ASSERT_GT(fs::file_size(links), 8u);
  Truncate(links, fs::file_size(links) - 3);
  std::string e = OpenError(d.dir, 4);
  EXPECT_NE(e.find(links + " at offset"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated while reading"), std::string::npos) << e;
  Built h = BuildSegment(Space::kL2, 5, 4);
  Truncate(h.dir + "/header.bin", 99);
  EXPECT_EQ(OpenError(h.dir), h.dir + "/header.bin: 99 bytes; expected exactly 100 (int32 version + the 96-byte hnswlib header)");
}

TEST(HnswSegmentReader, RejectsAbsurdHeaderValues) {
  struct Case {
    size_t offset;
    uint64_t value;
    size_t width;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {0, 2, 4, "header field version = 2; expected 1"},
      {20, 1ull << 40, 8, "header field cur_element_count = 1099511627776; expected ≤ max_elements"},
      {12, 1ull << 60, 8, "header field cur_element_count = "},  // max_elements huge: cur passes, but the file is small
      {68, 1ull << 40, 8, "header field maxM0 = 1099511627776; expected 1..4096"},
      {36, 3, 8, "header field label_offset = 3; expected offsetData"},
      {28, 12345, 8, "header field size_data_per_element = 12345; expected label_offset+8"},
      {56, 999999, 4, "header field enterpoint_node = 999999; expected < cur_element_count"},
      {52, 1000, 4, "header field maxlevel = 1000; expected -1..64"},
  };
  for (const Case& c : cases) {
    Built b = BuildSegment(Space::kL2, 30, 4);
    Overwrite(b.dir + "/header.bin", c.offset, &c.value, c.width);
    if (c.offset == 12) {  // max_elements 2^60 with cur 2^40: the data file cannot hold it
      uint64_t cur = 1ull << 40;
      Overwrite(b.dir + "/header.bin", 20, &cur, 8);
    }
    std::string e = OpenError(b.dir, 4);
    EXPECT_NE(e.find(c.expect), std::string::npos) << "offset " << c.offset << ": " << e;
  }
  Built b = BuildSegment(Space::kL2, 30, 4);
  EXPECT_EQ(OpenError(b.dir, 8),
            b.dir + "/header.bin: the header's offsets give dimension 4; the collection's dimension is 8");
}

TEST(HnswSegmentReader, RejectsNeighbourCountsBeyondMaxM0) {
  Built b = BuildSegment(Space::kL2, 30, 4);
  uint16_t count = 999;
  size_t per = fs::file_size(b.dir + "/data_level0.bin") / 30;
  Overwrite(b.dir + "/data_level0.bin", per * 3, &count, 2);
  EXPECT_EQ(OpenError(b.dir, 4), b.dir + "/data_level0.bin at offset " + std::to_string(per * 3) +
                                      ": slot 3 has 999 level-0 neighbours; maxM0 is 8");
}

}  // namespace
}  // namespace cm
