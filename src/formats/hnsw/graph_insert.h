// HNSW insertion into an hnswlib graph, made as hnswlib 0.6.2's addPoint makes it, with less
// bookkeeping per step.
//
// It works on hnswlib's own structures (the level-0 block, the upper link lists, the element
// levels, the level generator), so the graph is hnswlib's in every byte it writes: HnswIndex
// writes it as any other. What differs is how an insertion gets there (docs/performance.md,
// "Graph insertion"):
//   * the layer search keeps its ef best candidates in one sorted array and expands the closest
//     one not yet expanded, where hnswlib keeps two binary heaps (the candidates and the best
//     ef) and pops one to expand it; both expand the same elements in the same order and stop
//     at the same point (when every one of the best ef has been expanded, which is hnswlib's
//     "the closest candidate is farther than the ef-th best");
//   * a node's neighbour list is copied out under its lock and the lock released before the
//     distances are computed (hnswlib holds it through them); the neighbours not yet visited
//     are picked out first, their marks fetched together, then compared in the list's order,
//     each vector fetched two comparisons ahead;
//   * the place of a new candidate is found by a binary search without branches;
//   * the distance is a functor the compiler inlines, kernel and all (fixed_point_kernels.h),
//     not a function pointer;
//   * the vectors may be kept apart from hnswlib's level-0 block, in 64-byte aligned rows
//     (VectorRows; the builder's do): the block then holds links and labels only, and
//     the graph is searched here (Nearest, as hnswlib's searchKnn searches), since hnswlib
//     would look for the vectors in the block;
//   * an element's lock is a byte of its own array (ElementLock), not hnswlib's std::mutex,
//     taken around the same sections;
//   * when a full level-0 list is pruned, the links the heuristic kept the last time it chose
//     that list are not compared with one another again (settled_): the heuristic would find
//     what it found then. Only the links appended since, and the new one, are compared with the
//     rest. The same links are kept; about 40 % of the heuristic's comparisons are left out at
//     100k × 384 (docs/performance.md, "Graph insertion"). And the distances of a list's links
//     to its element are kept from when each link was made, not computed again.
// The neighbour selection (hnswlib's heuristic, getNeighborsByHeuristic2), the order links are
// written in (farthest first, as hnswlib's heap pops them), the levels (hnswlib's generator, the
// same draws in the same order) and what is locked while links are read or changed are
// hnswlib's. With one thread the graph is the same as hnswlib's byte for byte, up to the order of
// candidates at exactly equal distances (hnswlib orders those by its heaps' layout); a unit test
// checks it.
//
// A template over the index so that this header does not include hnswlib's, which define
// non-inline functions: hnsw_builder.cc, which includes them, instantiates it.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/hnsw/vector_rows.h"
#include "io/huge_pages.h"

namespace cm {

// Index: hnswlib::HierarchicalNSW<float>. Distance: float(const void* a, const void* b), the
// distance between two elements' vectors; if it also has Pair(q, a, b, &qa, &qb), giving the
// same two distances computed together, the layer search compares its neighbours two at a
// time. Rows: null when the vectors are in the index's level-0 block (as hnswlib keeps them),
// else where they are kept instead (grown by its owner, with the index, before Grown); the
// index's space then has no data of its own.
template <class Index, class Distance>
class GraphInserter {
 public:
  GraphInserter(Index& index, Distance distance, VectorRows* rows = nullptr)
      : ix_(index),
        distance_(distance),
        rows_(rows),
        locks_(new std::atomic<uint8_t>[index.max_elements_]()),
        settled_(new uint16_t[index.max_elements_]()),
        link_distance_(NewLinkDistances(index.max_elements_)),
        capacity_(index.max_elements_),
        first_(index.cur_element_count) {}

  // The index was resized (hnswlib's resizeIndex) to hold `capacity` elements. As that resize,
  // not while an insertion runs.
  void Grown(size_t capacity) {
    locks_.reset(new std::atomic<uint8_t>[capacity]());
    std::unique_ptr<uint16_t[]> settled(new uint16_t[capacity]());
    std::copy_n(settled_.get(), std::min(capacity, capacity_), settled.get());
    settled_ = std::move(settled);
    std::unique_ptr<float[]> distances = NewLinkDistances(capacity);
    std::copy_n(link_distance_.get(), std::min(capacity, capacity_) * ix_.maxM0_, distances.get());
    link_distance_ = std::move(distances);
    capacity_ = capacity;
  }

  // Inserts `point` (the index's data size, as the space takes it) under `label`. Several
  // threads may call it at once, as hnswlib's addPoint. A label given twice is an error (hnswlib
  // would update the element; the builder gives each label once).
  Status Insert(const void* point, uint64_t label) {
    uint32_t cur;
    {
      std::lock_guard<std::mutex> lock(ix_.cur_element_count_guard_);
      if (ix_.label_lookup_.count(label)) return Status::Internal(fmt::format("HNSW label {} inserted twice", label));
      if (ix_.cur_element_count >= ix_.max_elements_) {
        return Status::Internal(fmt::format("HNSW graph full ({} elements) at label {}", ix_.max_elements_, label));
      }
      if (rows_ && ix_.cur_element_count >= rows_->capacity()) {
        return Status::Internal(fmt::format("HNSW vector rows full ({}) at label {}", rows_->capacity(), label));
      }
      cur = static_cast<uint32_t>(ix_.cur_element_count++);
      ix_.label_lookup_[label] = cur;
    }
    // As hnswlib: the new element's lock is held until it is linked at every level, so another
    // insertion that reaches it through a neighbour's new back-link waits for it.
    ElementLock own(locks_[cur]);
    int level;
    {
      std::lock_guard<std::mutex> lock(level_mutex_);  // hnswlib draws unguarded; same sequence
      level = ix_.getRandomLevel(ix_.mult_);
    }
    ix_.element_levels_[cur] = level;

    std::unique_lock<std::mutex> global(ix_.global);
    const int max_level = ix_.maxlevel_;
    if (level <= max_level) global.unlock();
    uint32_t entry = ix_.enterpoint_node_;

    char* element = ix_.data_level0_memory_ + cur * ix_.size_data_per_element_;
    std::memset(element + ix_.offsetLevel0_, 0, ix_.size_data_per_element_);
    std::memcpy(ix_.getExternalLabeLp(cur), &label, sizeof label);
    if (rows_) {
      std::memcpy(rows_->row(cur), point, rows_->row_bytes());
    } else {
      std::memcpy(ix_.getDataByInternalId(cur), point, ix_.data_size_);
    }
    const Vectors vec = VectorsNow();
    if (level > 0) {
      const size_t bytes = ix_.size_links_per_element_ * static_cast<size_t>(level) + 1;
      ix_.linkLists_[cur] = static_cast<char*>(std::malloc(bytes));  // hnswlib frees it
      if (!ix_.linkLists_[cur]) return Status::IoError(fmt::format("out of memory for HNSW label {}'s links", label));
      std::memset(ix_.linkLists_[cur], 0, bytes);
    }

    if (entry == static_cast<uint32_t>(-1)) {  // the first element
      ix_.enterpoint_node_ = cur;
      ix_.maxlevel_ = level;
      return Status::Ok();
    }
    const char* q = vec.at(cur);
    if (level < max_level) entry = Descend(q, entry, max_level, level, vec);
    for (int l = std::min(level, max_level); l >= 0; --l) {
      SearchLayer(q, entry, l, ix_.ef_construction_, vec);
      entry = Connect(cur, l, vec);
    }
    if (level > max_level) {
      ix_.enterpoint_node_ = cur;
      ix_.maxlevel_ = level;
    }
    return Status::Ok();
  }

  // The k elements nearest `query` (the index's data size, as the space takes it), closest
  // first, as (distance, label): hnswlib's searchKnn (the greedy descent, then the layer search
  // with max(ef, k) candidates). Not while an insertion runs.
  std::vector<std::pair<float, uint64_t>> Nearest(const void* query, size_t k, size_t ef) {
    std::vector<std::pair<float, uint64_t>> out;
    if (ix_.cur_element_count == 0) return out;
    const Vectors vec = VectorsNow();
    const char* q = static_cast<const char*>(query);
    const uint32_t entry = Descend(q, ix_.enterpoint_node_, ix_.maxlevel_, 0, vec);
    SearchLayer(q, entry, 0, std::max(ef, k), vec);
    for (size_t i = 0; i < std::min(k, pool_.size()); ++i) {
      out.emplace_back(pool_[i].distance, ix_.getExternalLabel(pool_[i].id));
    }
    return out;
  }

 private:
  // Where the vectors are: element id's at base + id · stride. Taken afresh by each insertion
  // and search (a resize moves hnswlib's block), and kept in locals, which the compiler need not
  // load again after every distance call.
  struct Vectors {
    const char* base;
    size_t stride;
    const char* at(uint32_t id) const { return base + size_t{id} * stride; }
  };
  Vectors VectorsNow() const {
    if (rows_) return {rows_->data(), rows_->stride()};
    return {ix_.data_level0_memory_ + ix_.offsetData_, ix_.size_data_per_element_};
  }

  struct Candidate {
    float distance;
    uint32_t id;
    bool expanded;
    bool settled;  // in a prune: one of the links the heuristic kept last time (settled_)
  };

  uint32_t* LinksAt(uint32_t id, int level) const {
    return level == 0 ? reinterpret_cast<uint32_t*>(ix_.get_linklist0(id))
                      : reinterpret_cast<uint32_t*>(ix_.get_linklist(id, level));
  }

  // links_ = id's neighbours at `level`, copied under its lock (the first 16 bits of the count
  // word are the count, as hnswlib's getListCount reads them).
  void CopyLinks(uint32_t id, int level) {
    ElementLock lock(locks_[id]);
    const uint32_t* list = LinksAt(id, level);
    const size_t count = *reinterpret_cast<const uint16_t*>(list);
    links_.assign(list + 1, list + 1 + count);
  }

  // From `entry` at level `top` down to level `bottom` + 1, the closest element greedily
  // (hnswlib's descent in addPoint and searchKnn): the entry point at `bottom`.
  uint32_t Descend(const char* q, uint32_t entry, int top, int bottom, const Vectors vec) {
    float best = distance_(q, vec.at(entry));
    for (int l = top; l > bottom; --l) {
      for (bool changed = true; changed;) {
        changed = false;
        CopyLinks(entry, l);
        for (uint32_t n : links_) {
          float d = distance_(q, vec.at(n));
          if (d < best) best = d, entry = n, changed = true;
        }
      }
    }
    return entry;
  }

  // pool_ = the ef elements of `level` nearest `q` found from `entry`, closest first (hnswlib's
  // searchBaseLayer).
  void SearchLayer(const char* q, uint32_t entry, int level, const size_t ef, const Vectors vec) {
    // Locals, not members: the distance call could change any member as far as the compiler
    // knows, so these would be loaded again for every neighbour.
    const char* const data = vec.base;
    const size_t stride = vec.stride;
    std::vector<Candidate>& pool = pool_;
    std::vector<uint32_t>& links = links_;
    auto* visited_list = ix_.visited_list_pool_->getFreeVisitedList();
    auto* const visited = visited_list->mass;
    const auto tag = visited_list->curV;
    pool.clear();
    pool.push_back({distance_(q, data + size_t{entry} * stride), entry, false, false});
    visited[entry] = tag;
    size_t k = 0;  // every candidate before k is expanded
    while (k < pool.size()) {
      pool[k].expanded = true;
      CopyLinks(pool[k].id, level);
      size_t lowest_new = pool.size();
      // First the neighbours not yet visited (their marks fetched together), then their
      // distances, each vector fetched ahead of its turn.
      size_t n = 0;
      for (uint32_t id : links) __builtin_prefetch(visited + id);
      for (uint32_t id : links) {  // without a branch: whether one was visited is not predictable
        const bool fresh = visited[id] != tag;
        visited[id] = tag;
        links[n] = id;
        n += fresh;
      }
      for (size_t j = 0; j < std::min(n, kAhead); ++j) Prefetch(data + size_t{links[j]} * stride);
      auto consider = [&](uint32_t id, float d) {
        if (pool.size() >= ef && !(d < pool.back().distance)) return;
        const size_t at = Position(pool, d, id);
        if (pool.size() >= ef) pool.pop_back();
        pool.insert(pool.begin() + static_cast<std::ptrdiff_t>(at), Candidate{d, id, false, false});
        lowest_new = std::min(lowest_new, at);
      };
      size_t j = 0;
      if constexpr (kPairs) {  // the same distances, considered in the same order
        for (; j + 1 < n; j += 2) {
          if (j + kAhead < n) Prefetch(data + size_t{links[j + kAhead]} * stride);
          if (j + 1 + kAhead < n) Prefetch(data + size_t{links[j + 1 + kAhead]} * stride);
          float d0 = 0, d1 = 0;
          distance_.Pair(q, data + size_t{links[j]} * stride, data + size_t{links[j + 1]} * stride, &d0, &d1);
          consider(links[j], d0);
          consider(links[j + 1], d1);
        }
      }
      for (; j < n; ++j) {
        if (j + kAhead < n) Prefetch(data + size_t{links[j + kAhead]} * stride);
        const uint32_t id = links[j];
        consider(id, distance_(q, data + size_t{id} * stride));
      }
      k = lowest_new <= k ? lowest_new : k + 1;
      while (k < pool.size() && pool[k].expanded) ++k;
    }
    ix_.visited_list_pool_->releaseVisitedList(visited_list);
  }

  // While one neighbour is compared, the first two cache lines of the one kAhead further on
  // are fetched (insert_study: 2 and 128 bytes measured best of 1–3 ahead and 64–768 bytes,
  // though within the noise of one another).
  static constexpr size_t kAhead = 2;
  static constexpr bool kPairs = requires(const Distance& d, const char* v, float* f) { d.Pair(v, v, v, f, f); };
  static void Prefetch(const char* p) {
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);  // past a short vector's end: a harmless hint
  }

  // hnswlib's getNeighborsByHeuristic2: from `candidates` (closest first), each one closer to
  // the query than to every one already kept, until `m` are kept; all of them when fewer than m
  // (then it returns false: the heuristic did not run).
  // Two settled candidates are not compared: both were kept by the heuristic from the same base,
  // so the later one was found closer to the base than to the earlier one then, and the same
  // comparison would find it again (the same vectors, the same order; see settled_).
  bool SelectNeighbors(std::vector<Candidate>& candidates, size_t m, const Vectors vec) {
    if (candidates.size() < m) return false;
    size_t kept = 0;
    for (size_t i = 0; i < candidates.size() && kept < m; ++i) {
      const Candidate c = candidates[i];
      const char* c_data = vec.at(c.id);
      bool good = true;
      for (size_t s = 0; s < kept && good; ++s) {
        if (c.settled & candidates[s].settled) continue;
        good = !(distance_(vec.at(candidates[s].id), c_data) < c.distance);
      }
      if (good) candidates[kept++] = c;
    }
    candidates.resize(kept);
    return true;
  }

  // hnswlib's mutuallyConnectNewElement: links `cur` at `level` to its selected neighbours and
  // each of them back to it (pruned by the heuristic when full); returns the closest neighbour,
  // the next level's entry point.
  uint32_t Connect(uint32_t cur, int level, const Vectors vec) {
    const size_t max_links = level ? ix_.maxM_ : ix_.maxM0_;
    const bool ran = SelectNeighbors(pool_, ix_.M_, vec);
    // Written farthest first, as hnswlib pops them from its max-heap.
    uint32_t* own = LinksAt(cur, level);
    *reinterpret_cast<uint16_t*>(own) = static_cast<uint16_t>(pool_.size());
    for (size_t i = 0; i < pool_.size(); ++i) own[1 + i] = pool_[pool_.size() - 1 - i].id;
    if (float* known = Known(cur, level)) {
      settled_[cur] = ran ? static_cast<uint16_t>(pool_.size()) : 0;
      for (size_t i = 0; i < pool_.size(); ++i) known[i] = pool_[pool_.size() - 1 - i].distance;
    }
    // pool_[i].distance is cur's distance to its neighbour, as the back-link's too.
    for (size_t i = pool_.size(); i-- > 0;) {
      const uint32_t other = pool_[i].id;
      ElementLock lock(locks_[other]);
      uint32_t* list = LinksAt(other, level);
      const size_t count = *reinterpret_cast<const uint16_t*>(list);
      float* known = Known(other, level);
      if (count < max_links) {
        if (known) known[count] = pool_[i].distance;
        list[1 + count] = cur;
        *reinterpret_cast<uint16_t*>(list) = static_cast<uint16_t>(count + 1);
        continue;
      }
      const char* other_data = vec.at(other);
      const size_t settled = known ? settled_[other] : 0;
      prune_.clear();
      Place(prune_, {pool_[i].distance, cur, false, false});
      for (size_t j = 0; j < count; ++j) {
        const float d = known ? known[j] : distance_(vec.at(list[1 + j]), other_data);
        Place(prune_, {d, list[1 + j], false, j < settled});
      }
      SelectNeighbors(prune_, max_links, vec);
      for (size_t j = 0; j < prune_.size(); ++j) list[1 + j] = prune_[prune_.size() - 1 - j].id;
      *reinterpret_cast<uint16_t*>(list) = static_cast<uint16_t>(prune_.size());
      if (known) {
        settled_[other] = static_cast<uint16_t>(prune_.size());
        for (size_t j = 0; j < prune_.size(); ++j) known[j] = prune_[prune_.size() - 1 - j].distance;
      }
    }
    return pool_.front().id;
  }

  // Room for `elements` elements' link distances, left untouched (not zeroed: nothing reads a
  // slot before it is written) so that the build faults it in as huge pages; it is read at random.
  std::unique_ptr<float[]> NewLinkDistances(size_t elements) const {
    std::unique_ptr<float[]> distances(new float[elements * ix_.maxM0_]);
    AdviseHugePages(distances.get(), elements * ix_.maxM0_ * sizeof(float));
    return distances;
  }

  // The distances of id's level-0 links to id, in the list's order (link_distance_); null at
  // the upper levels and for an element that was in the index before this inserter.
  float* Known(uint32_t id, int level) const {
    return level == 0 && id >= first_ ? link_distance_.get() + size_t{id} * ix_.maxM0_ : nullptr;
  }

  // Where (d, id) goes in `sorted` (closest first): after every candidate it does not precede.
  // A binary search without branches (the halving is a conditional move): which way a search
  // goes cannot be predicted, and the branches' mispredictions were a tenth of the build.
  static size_t Position(const std::vector<Candidate>& sorted, float d, uint32_t id) {
    if (sorted.empty()) return 0;
    const Candidate* base = sorted.data();
    for (size_t n = sorted.size(); n > 1;) {
      const size_t half = n / 2;
      base += NotBefore(d, id, base[half]) ? half : 0;
      n -= half;
    }
    return static_cast<size_t>(base - sorted.data()) + NotBefore(d, id, *base);
  }
  // Whether (d, id) goes after c. The order is closer first and, at equal distance, the higher
  // id first: the order hnswlib's heuristic takes them in (its max-heap of (−distance, id)).
  static bool NotBefore(float d, uint32_t id, const Candidate& c) {
    return static_cast<bool>(!(d < c.distance) & !((d == c.distance) & (id > c.id)));
  }

  static void Place(std::vector<Candidate>& sorted, const Candidate& c) {
    sorted.insert(sorted.begin() + static_cast<std::ptrdiff_t>(Position(sorted, c.distance, c.id)), c);
  }

  // A spin lock of one byte per element, where hnswlib has a std::mutex (40 bytes) per element:
  // a layer search takes the lock of every node it expands, and hnswlib's array of mutexes is too
  // large to stay in cache (4 MB at 100k elements), so each lock was a miss; held as hnswlib holds
  // its own, so the critical sections are the same. A waiter spins, then yields (the one long
  // wait is for an element still being inserted, whose lock is held until it is linked).
  class ElementLock {
   public:
    explicit ElementLock(std::atomic<uint8_t>& byte) : byte_(byte) {
      for (int spins = 0; byte_.exchange(1, std::memory_order_acquire);) {
        while (byte_.load(std::memory_order_relaxed)) Wait(++spins);
      }
    }
    ~ElementLock() { byte_.store(0, std::memory_order_release); }
    ElementLock(const ElementLock&) = delete;
    ElementLock& operator=(const ElementLock&) = delete;

   private:
    static void Wait(int spins) {
      if (spins >= 1024) return std::this_thread::yield();
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }

    std::atomic<uint8_t>& byte_;
  };

  Index& ix_;
  Distance distance_;
  VectorRows* rows_;
  std::unique_ptr<std::atomic<uint8_t>[]> locks_;
  // What this inserter knows of the level-0 lists it made, for pruning them (Connect); changed
  // under the element's lock, with its list:
  //   * settled_[e]: how many of e's first links the heuristic kept the last time it chose them
  //     (its own selection, or the last prune of its list); links appended since come after
  //     (16 bits, as hnswlib's link count: 2 M links need not fit a byte);
  //   * link_distance_[e · maxM0 + j]: the distance from e to its j-th link, computed when the
  //     link was made (a prune would otherwise fetch every linked vector again for it; at a
  //     million records those are fetches from memory). 4 · maxM0 bytes per element.
  // Neither holds anything for the elements before first_ (Known).
  std::unique_ptr<uint16_t[]> settled_;
  std::unique_ptr<float[]> link_distance_;
  size_t capacity_;
  size_t first_;
  std::mutex level_mutex_;
  // Per-thread scratch (the inserter is shared by the graph threads).
  static thread_local std::vector<uint32_t> links_;
  static thread_local std::vector<Candidate> pool_;
  static thread_local std::vector<Candidate> prune_;
};

template <class Index, class Distance>
thread_local std::vector<uint32_t> GraphInserter<Index, Distance>::links_;
template <class Index, class Distance>
thread_local std::vector<typename GraphInserter<Index, Distance>::Candidate> GraphInserter<Index, Distance>::pool_;
template <class Index, class Distance>
thread_local std::vector<typename GraphInserter<Index, Distance>::Candidate> GraphInserter<Index, Distance>::prune_;

}  // namespace cm
