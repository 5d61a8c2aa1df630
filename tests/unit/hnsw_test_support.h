// Builds an HNSW index for tests the way the persist-dir writer does: an HnswBuilder fed by
// IndexFeeder worker threads (several threads insert at once, so internal ids come out of label
// order, which length.bin must follow).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "formats/hnsw/hnsw_builder.h"
#include "sinks/index_feeder.h"

namespace cm::test {

// Row r of `vectors` (rows × dim) gets label r + 1. Null (with a test failure) on error.
inline std::unique_ptr<HnswIndex> BuildIndex(const float* vectors, size_t rows, size_t dim,
                                             const HnswBuildOptions& options, size_t threads = 2) {
  auto builder = HnswBuilder::Create(dim, rows, options);
  EXPECT_TRUE(builder.ok()) << builder.status().ToString();
  if (!builder.ok()) return nullptr;
  {
    IndexFeeder feeder(threads, size_t{8} << 20, nullptr);
    for (size_t start = 0; start < rows; start += 256) {
      IndexFeeder::Chunk c;
      c.builder = builder->get();
      c.dim = dim;
      for (size_t r = start; r < std::min(rows, start + 256); ++r) c.labels.push_back(r + 1);
      c.vectors.assign(vectors + start * dim, vectors + (start + c.labels.size()) * dim);
      Status s = feeder.Submit(std::move(c));
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    Status s = feeder.Drain();
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return nullptr;
  }
  return (*builder)->Finish();
}

}  // namespace cm::test
