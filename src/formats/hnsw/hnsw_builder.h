// Builds an HNSW graph in hnswlib's structures (Debian's libhnswlib-dev; inserting with
// GraphInserter, graph_insert.h, which makes hnswlib's graph faster) and writes it as a Chroma 1.x
// vector-segment folder: header.bin, data_level0.bin, length.bin, link_lists.bin
// (modern-format.md §3). The pickle is written by the caller (it knows the ids).
//
// Space mapping follows Chroma: l2 → L2Space; ip → InnerProductSpace; cosine →
// InnerProductSpace over unit-normalised vectors, with each vector's original L2 norm kept in
// length.bin at its *internal* id (a parallel build puts internal ids out of label order).
// Labels are row + 1 (Chroma's labels start at 1).
//
// Debian's hnswlib 0.6.2 headers define non-inline functions, so they are included by
// hnsw_builder.cc alone: everything that needs hnswlib goes through this class.
//
// With a fixed-point scale (fixed_point.h) the graph is built on int16 copies of the vectors,
// which halves what hnswlib reads and compares; the segment still holds the exact float32
// vectors, which the builder asks back by label as it writes data_level0.bin. The vectors a
// build compares (int16 copies or float32) are kept apart from hnswlib's level-0 block, in
// aligned rows (vector_rows.h).
//
// HnswBuilder builds incrementally: vectors are added as they are read, from any number of
// threads at once (as hnswlib's addPoint), so records never have to be held beside the
// graph. Finish() gives the HnswIndex, which is not thread-safe and owns its graph memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/collection.h"
#include "core/status.h"

namespace cm {

class WarmBlock;  // io/warm_block.h

struct HnswBuildOptions {
  Space space = Space::kL2;
  size_t max_neighbors = 16;
  size_t ef_construction = 100;
  uint64_t seed = 100;
  // Nonzero: build on int16 copies at this scale (FixedPointStats::Scale for the collection's
  // vectors as the graph stores them). exact_vectors must then give back the float32 vectors
  // exactly as they were added (before normalisation), by label, when the segment is written.
  float fixed_point_scale = 0;
  std::function<Status(const uint64_t* labels, size_t n, float* out)> exact_vectors;
  // Insert with hnswlib's own addPoint instead of GraphInserter (graph_insert.h), which makes
  // the same graph with less bookkeeping: for the tests that compare the two, and A/B runs.
  bool hnswlib_insertion = false;
  // Cosine only. Set: the vectors given to Add, and those exact_vectors gives back, are already
  // unit vectors, NormalizeForCosine's floats (cosine.h), and (*unit_norms)[label - 1] is the
  // norm it returned for each; the builder does not normalise them again. Must outlive the
  // builder and the index it gives.
  const std::vector<float>* unit_norms = nullptr;
  // Memory for the rows a fixed-point build compares, faulted in ahead (warm_block.h; its size
  // from FixedPointRowsBytes); used when large enough, else the rows are allocated as usual.
  WarmBlock* warm_rows = nullptr;
};

// Bytes of the rows a fixed-point build of `capacity` vectors of `dim` compares, so that a
// caller who knows the count early can have them faulted in ahead (HnswBuildOptions::warm_rows).
size_t FixedPointRowsBytes(size_t dim, size_t capacity);

class HnswIndex {
 public:
  // Loads a stock hnswlib single-file index (legacy index/index_<uuid>.bin, or a Chroma segment
  // re-assembled without its version int). hnswlib trusts the file, so callers validate first.
  static Result<std::unique_ptr<HnswIndex>> LoadStockFile(const std::string& path, size_t dim, Space space);
  virtual ~HnswIndex() = default;

  // Writes the four Chroma segment files into `dir` (which must exist). IoError names the file.
  virtual Status WriteChromaSegment(const std::string& dir) const = 0;
  // k nearest labels of `query` (already in the index's space: not normalised here).
  virtual std::vector<std::pair<float, uint64_t>> Search(const float* query, size_t k, size_t ef) const = 0;
  virtual size_t size() const = 0;
};

class HnswBuilder {
 public:
  // An empty index with room for `capacity` vectors (raise it with Reserve). The memory is
  // allocated but only touched as vectors arrive.
  static Result<std::unique_ptr<HnswBuilder>> Create(size_t dim, size_t capacity, const HnswBuildOptions& options);
  virtual ~HnswBuilder() = default;

  virtual size_t capacity() const = 0;
  // Inserts `vector` (dim floats as the record holds them; normalised here for cosine) under
  // `label` (1 ≤ label ≤ capacity, each label once). Safe to call from several threads at once.
  virtual Status Add(const float* vector, uint64_t label) = 0;
  // Raises the capacity. Must not run while any Add is running.
  virtual Status Reserve(size_t capacity) = 0;
  // The finished index; no Add may be running, and the builder is spent.
  virtual std::unique_ptr<HnswIndex> Finish() = 0;
};

}  // namespace cm
