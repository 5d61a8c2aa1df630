// The default insertion order of a built graph (InsertionOrder::kSpatial): a random sample of
// the collection first, then the rest grouped by where the vectors lie.
//
// Why: an insertion searches the graph near its own vector. In a random order consecutive
// insertions search far-apart parts of the graph, so once the graph outgrows the CPU's cache
// almost every vector it compares is fetched from memory (docs/performance.md, "Spatial
// insertion order"). Grouped, consecutive insertions search the same neighbourhood, which is
// still in cache. Grouping naively costs recall, which three rules bring back (each measured;
// docs/performance.md):
//  * a random tenth first: grouped from the first record, the graph is a chain of local patches
//    with few links between them (recall@10 0.90–0.91 instead of 0.99 at 100k);
//  * then rounds that double the graph (the next tenth, two tenths, four, the rest), each
//    grouped: so every record meets the graph about as dense around it as in a random order,
//    which is what gives HNSW its links at every scale (one grouped round: 0.810 at a million
//    against 0.830 for a random order);
//  * each round cut into `streams` contiguous parts, taken in turns `run` records at a time: the
//    graph threads, each taking the next run, then insert far-apart records at any moment.
//    hnswlib's concurrent insertions do not see each other, so two threads inserting neighbours
//    at once leave them unlinked (100k: 0.9939 with both threads in one neighbourhood, 0.9957
//    with one thread).
//
// Where a vector lies: which side of the median it falls on along each of 16 random directions
// (seeded), as a 16-bit key; a round is sorted by key, the key's first direction splitting it in
// halves, the second each half, and so on. Records with the same key keep the random order
// among themselves. Collecting the keys costs 16 dot products and 64 bytes of memory per record
// until the graph is built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cm {

class SpatialOrder {
 public:
  static constexpr size_t kDirections = 16;

  // How many of n records go first in a random order: a tenth.
  static size_t HeadOf(size_t n) { return (n + 9) / 10; }

  // `seed` draws the directions; `expected` records (a hint) sizes the keys' memory.
  SpatialOrder(size_t dim, uint64_t seed, size_t expected = 0);

  // The vector of `label` (1-based, each label once), as the graph will hold it.
  void Add(uint64_t label, const float* vector) { AddRows(&label, vector, 1); }
  // Add of `rows` consecutive vectors (rows × dim) under labels[0..rows): the same projections
  // bit for bit, four vectors' sums taken side by side (each is a chain of dependent additions).
  void AddRows(const uint64_t* labels, const float* vectors, size_t rows);
  // The k-th projection of `label`'s vector (for tests).
  float projection(uint64_t label, size_t k) const { return projections_[(label - 1) * kDirections + k]; }

  // Rearranges `order`, a random permutation of the labels 1..n that were added: its first
  // `head` entries stay where they are; the rest go in rounds that double what precedes them,
  // each sorted by key (stably) and woven from `streams` parts, `run` labels at a time.
  void Arrange(std::vector<uint32_t>* order, size_t head, size_t streams, size_t run) const;

 private:
  size_t dim_;
  std::vector<float> directions_;   // dim × kDirections, by dimension: one vector's 16 projections in one pass
  std::vector<float> projections_;  // kDirections per label, from label 1
};

}  // namespace cm
