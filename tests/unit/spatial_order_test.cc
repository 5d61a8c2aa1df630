// SpatialOrder: the head stays, the tail is grouped by where the vectors lie, every label once.
#include "sinks/spatial_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace cm {
namespace {

constexpr size_t kDim = 32;

struct Clustered {
  std::vector<float> vectors;       // by label - 1
  std::vector<int> cluster;         // by label - 1
};

// `clusters` tight groups around far-apart random centres, stored round-robin (record i in
// cluster i % clusters), so the stored order interleaves them as much as it can.
Clustered MakeClustered(size_t n, int clusters, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss;
  std::vector<float> centres(static_cast<size_t>(clusters) * kDim);
  for (float& c : centres) c = 10.0f * gauss(rng);
  Clustered out;
  for (size_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % static_cast<size_t>(clusters));
    out.cluster.push_back(c);
    for (size_t d = 0; d < kDim; ++d) out.vectors.push_back(centres[static_cast<size_t>(c) * kDim + d] + 0.1f * gauss(rng));
  }
  return out;
}

std::vector<uint32_t> Permutation(size_t n, uint64_t seed) {
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), uint32_t{1});
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

// How often consecutive entries of order[from..) change cluster.
size_t ClusterChanges(const std::vector<uint32_t>& order, size_t from, const Clustered& data) {
  size_t changes = 0;
  for (size_t i = from + 1; i < order.size(); ++i) {
    changes += data.cluster[order[i] - 1] != data.cluster[order[i - 1] - 1];
  }
  return changes;
}

std::vector<uint32_t> Arranged(const Clustered& data, size_t n, size_t head, uint64_t direction_seed,
                               size_t streams = 1, size_t run = 64) {
  SpatialOrder spatial(kDim, direction_seed);
  for (size_t label = 1; label <= n; ++label) spatial.Add(label, &data.vectors[(label - 1) * kDim]);
  std::vector<uint32_t> order = Permutation(n, 3);
  spatial.Arrange(&order, head, streams, run);
  return order;
}

// The rounds after the head: [head, 2 head), [2 head, 4 head), ... up to n.
std::vector<std::pair<size_t, size_t>> Rounds(size_t head, size_t n) {
  std::vector<std::pair<size_t, size_t>> rounds;
  for (size_t begin = head; begin < n; begin = std::min(n, 2 * begin)) rounds.emplace_back(begin, std::min(n, 2 * begin));
  return rounds;
}

TEST(SpatialOrder, KeepsTheHeadThenGroupsEachDoublingRoundByCluster) {
  const size_t n = 4000;
  const int clusters = 20;
  Clustered data = MakeClustered(n, clusters, 1);
  const std::vector<uint32_t> random = Permutation(n, 3);
  const size_t head = SpatialOrder::HeadOf(n);
  ASSERT_EQ(head, 400u);
  std::vector<uint32_t> order = Arranged(data, n, head, 9);

  EXPECT_TRUE(std::equal(order.begin(), order.begin() + head, random.begin())) << "the head is the permutation's";
  const auto rounds = Rounds(head, n);
  ASSERT_EQ(rounds.size(), 4u);  // 400–800, 800–1600, 1600–3200, 3200–4000
  for (auto [begin, end] : rounds) {
    // The round holds the permutation's records of those positions, rearranged.
    std::vector<uint32_t> got(order.begin() + begin, order.begin() + end), want(random.begin() + begin, random.begin() + end);
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << "round " << begin << "–" << end;
    // In a random order almost every step changes cluster (19 in 20); grouped, a round changes
    // cluster only where one cluster's run ends, or where a median plane cuts a cluster in two.
    std::vector<uint32_t> round_random(random.begin() + begin, random.begin() + end);
    std::vector<uint32_t> round_grouped(order.begin() + begin, order.begin() + end);
    const size_t random_changes = ClusterChanges(round_random, 0, data);
    const size_t grouped_changes = ClusterChanges(round_grouped, 0, data);
    EXPECT_GT(random_changes, (end - begin) * 8 / 10) << "round " << begin;
    EXPECT_LE(grouped_changes, 2u * clusters) << "round " << begin << "; random: " << random_changes;
  }
}

TEST(SpatialOrder, StreamsWeaveContiguousPartsOfEachRoundRunByRun) {
  const size_t n = 4000, head = 400, streams = 3, run = 64;
  Clustered data = MakeClustered(n, 20, 4);
  const std::vector<uint32_t> one = Arranged(data, n, head, 9, 1, run);
  const std::vector<uint32_t> woven = Arranged(data, n, head, 9, streams, run);
  EXPECT_TRUE(std::equal(woven.begin(), woven.begin() + head, one.begin()));
  for (auto [begin, end] : Rounds(head, n)) {
    // Take the woven round apart: run r belongs to part r % streams; the parts, one after
    // another, must give back the round sorted as one stream.
    const size_t len = end - begin, part = (len + streams - 1) / streams;
    std::vector<std::vector<uint32_t>> parts(streams);
    size_t at = begin;
    for (size_t offset = 0; offset < part; offset += run) {
      for (size_t s = 0; s < streams; ++s) {
        const size_t take = std::min({run, part - offset, len > s * part + offset ? len - (s * part + offset) : 0});
        for (size_t i = 0; i < take; ++i) parts[s].push_back(woven[at++]);
      }
    }
    EXPECT_EQ(at, end) << "round " << begin;
    std::vector<uint32_t> joined;
    for (const auto& p : parts) joined.insert(joined.end(), p.begin(), p.end());
    EXPECT_EQ(joined, std::vector<uint32_t>(one.begin() + begin, one.begin() + end)) << "round " << begin;
  }
  // And consecutive runs come from parts far apart in the sorted round, so mostly from other
  // clusters; as one stream, the same positions mostly stay in a cluster.
  size_t same_woven = 0, same_one = 0, boundaries = 0;
  for (auto [begin, end] : Rounds(head, n)) {
    const size_t part = (end - begin + streams - 1) / streams;
    for (size_t i = begin + run; i < begin + part / run * run * streams; i += run, ++boundaries) {
      same_woven += data.cluster[woven[i] - 1] == data.cluster[woven[i - 1] - 1];
      same_one += data.cluster[one[i] - 1] == data.cluster[one[i - 1] - 1];
    }
  }
  EXPECT_GT(boundaries, 40u);
  EXPECT_LT(same_woven * 4, boundaries) << same_woven << " of " << boundaries << " run boundaries stay in one cluster";
  EXPECT_GT(same_one * 2, boundaries) << "one stream: " << same_one << " of " << boundaries;
}

TEST(SpatialOrder, IsDeterministicAndKeepsTheRandomOrderAmongEqualKeys) {
  const size_t n = 1000;
  Clustered data = MakeClustered(n, 8, 2);
  EXPECT_EQ(Arranged(data, n, 100, 9), Arranged(data, n, 100, 9)) << "the same seeds, the same order";
  EXPECT_NE(Arranged(data, n, 100, 9), Arranged(data, n, 100, 10)) << "other directions, another grouping";

  // Every vector the same: every key the same, so the tail keeps the permutation's order.
  SpatialOrder same(kDim, 9);
  std::vector<float> v(kDim, 0.5f);
  for (size_t label = 1; label <= n; ++label) same.Add(label, v.data());
  std::vector<uint32_t> order = Permutation(n, 3);
  same.Arrange(&order, 100, 1, 64);
  EXPECT_EQ(order, Permutation(n, 3));
}

TEST(SpatialOrder, RowsProjectAsOneAtATime) {
  const size_t n = 11;  // two groups of four and a tail
  Clustered data = MakeClustered(n, 3, 4);
  SpatialOrder one(kDim, 9), together(kDim, 9);
  std::vector<uint64_t> labels(n);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = n - i;  // any labels, in any order
    one.Add(labels[i], data.vectors.data() + i * kDim);
  }
  together.AddRows(labels.data(), data.vectors.data(), n);
  for (uint64_t label = 1; label <= n; ++label) {
    for (size_t k = 0; k < SpatialOrder::kDirections; ++k) {
      EXPECT_EQ(one.projection(label, k), together.projection(label, k)) << "label " << label << ", direction " << k;
    }
  }
}

TEST(SpatialOrder, AHeadAsLongAsTheOrderLeavesItAlone) {
  Clustered data = MakeClustered(50, 5, 3);
  EXPECT_EQ(Arranged(data, 50, 50, 9), Permutation(50, 3));
  EXPECT_EQ(SpatialOrder::HeadOf(0), 0u);
  EXPECT_EQ(SpatialOrder::HeadOf(1), 1u);
  EXPECT_EQ(SpatialOrder::HeadOf(11), 2u);
}

}  // namespace
}  // namespace cm
