// Builds an HNSW index for tests the way the persist-dir writer does: an HnswBuilder fed by
// IndexFeeder worker threads (several threads insert at once, so internal ids come out of label
// order, which length.bin must follow).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "formats/hnsw/cosine.h"
#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/hnsw_builder.h"
#include "sinks/index_feeder.h"

namespace cm::test {

// Adds rows [from, to) of `vectors` (label = row + 1) to `builder` through an IndexFeeder with
// `threads` graph threads, in chunks of 256 rows, as the writer feeds it; whether all went in.
inline bool AddRows(HnswBuilder* builder, const float* vectors, size_t dim, size_t from, size_t to, size_t threads) {
  IndexFeeder feeder(threads, size_t{8} << 20, nullptr);
  for (size_t start = from; start < to; start += 256) {
    IndexFeeder::Chunk c;
    c.builder = builder;
    c.dim = dim;
    for (size_t r = start; r < std::min(to, start + 256); ++r) c.labels.push_back(r + 1);
    c.vectors.assign(vectors + start * dim, vectors + (start + c.labels.size()) * dim);
    Status s = feeder.Submit(std::move(c));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  Status s = feeder.Drain();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return s.ok();
}

// Row r of `vectors` (rows × dim) gets label r + 1. Null (with a test failure) on error.
inline std::unique_ptr<HnswIndex> BuildIndex(const float* vectors, size_t rows, size_t dim,
                                             const HnswBuildOptions& options, size_t threads = 2) {
  auto builder = HnswBuilder::Create(dim, rows, options);
  EXPECT_TRUE(builder.ok()) << builder.status().ToString();
  if (!builder.ok()) return nullptr;
  if (!AddRows(builder->get(), vectors, dim, 0, rows, threads)) return nullptr;
  return (*builder)->Finish();
}

// The vector a segment must store for `orig`: unit-normalised for cosine, as it is otherwise.
inline std::vector<float> AsStored(const float* orig, size_t dim, Space space) {
  std::vector<float> v(orig, orig + dim);
  if (space == Space::kCosine) NormalizeForCosine(v.data(), dim, v.data());
  return v;
}

// Options for a build on int16 copies of `vecs` (rows × dim; captured by reference, so it must
// outlive the build), with the scale the writer would choose.
inline HnswBuildOptions FixedPointOptions(const std::vector<float>& vecs, size_t dim, Space space) {
  FixedPointStats stats(dim);
  for (size_t r = 0; r < vecs.size() / dim; ++r) stats.Add(AsStored(vecs.data() + r * dim, dim, space).data());
  std::optional<float> scale = stats.Scale(space);
  EXPECT_TRUE(scale.has_value());
  HnswBuildOptions o;
  o.space = space;
  o.fixed_point_scale = scale.value_or(0.0f);
  o.exact_vectors = [&vecs, dim](const uint64_t* labels, size_t k, float* out) {
    for (size_t i = 0; i < k; ++i) std::memcpy(out + i * dim, vecs.data() + (labels[i] - 1) * dim, dim * 4);
    return Status::Ok();
  };
  return o;
}

}  // namespace cm::test
