#include "formats/hnsw/hnsw_builder.h"

#include <fmt/format.h>
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "formats/hnsw/cosine.h"
#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/graph_insert.h"
#include "formats/hnsw/segment_files.h"
#include "formats/hnsw/vector_rows.h"
#include "io/huge_pages.h"

namespace cm {
namespace {

// hnswlib spaces over int16 fixed-point copies (fixed_point.h), giving the distances hnswlib's
// float spaces would give, to within the rounding.
struct FixedPointParam {
  size_t dim;
  float inv_scale_sq;
};

const int16_t* Int16Row(const void* v) { return static_cast<const int16_t*>(v); }

// The distances as functors, which GraphInserter inlines; hnswlib's space calls the same ones
// through a function pointer (FixedPointSpace), so both give the same floats.
struct FixedPointIp {
  FixedPointParam p;
  float operator()(const void* a, const void* b) const { return Of(FixedPointDot(Int16Row(a), Int16Row(b), p.dim)); }
  // The distances from q to a and to b, computed together (GraphInserter's layer search).
  void Pair(const void* q, const void* a, const void* b, float* qa, float* qb) const {
    int32_t x = 0, y = 0;
    FixedPointDot2(Int16Row(q), Int16Row(a), Int16Row(b), p.dim, &x, &y);
    *qa = Of(x);
    *qb = Of(y);
  }
  float Of(int32_t dot) const { return 1.0f - static_cast<float>(dot) * p.inv_scale_sq; }
};
struct FixedPointL2 {
  FixedPointParam p;
  float operator()(const void* a, const void* b) const { return Of(FixedPointL2Sq(Int16Row(a), Int16Row(b), p.dim)); }
  void Pair(const void* q, const void* a, const void* b, float* qa, float* qb) const {
    int32_t x = 0, y = 0;
    FixedPointL2Sq2(Int16Row(q), Int16Row(a), Int16Row(b), p.dim, &x, &y);
    *qa = Of(x);
    *qb = Of(y);
  }
  float Of(int32_t sq) const { return static_cast<float>(sq) * p.inv_scale_sq; }
};

float FixedPointIpDistance(const void* a, const void* b, const void* param) {
  return FixedPointIp{*static_cast<const FixedPointParam*>(param)}(a, b);
}
float FixedPointL2Distance(const void* a, const void* b, const void* param) {
  return FixedPointL2{*static_cast<const FixedPointParam*>(param)}(a, b);
}

// int16 slots an element's copy takes: an even number, so that the element (links, copy, label)
// stays a multiple of 4 bytes and hnswlib's next element's link count stays 4-byte aligned.
// The padding slot is zero and never read by the kernels.
size_t FixedPointSlots(size_t dim) { return (dim + 1) / 2 * 2; }

// in_block: the copies are kept in hnswlib's level-0 block (for hnswlib's own addPoint); else
// apart, in VectorRows, and the block holds no data.
class FixedPointSpace final : public hnswlib::SpaceInterface<float> {
 public:
  FixedPointSpace(size_t dim, float scale, bool l2, bool in_block)
      : param_{dim, 1.0f / (scale * scale)}, l2_(l2), in_block_(in_block) {}
  size_t get_data_size() override { return in_block_ ? FixedPointSlots(param_.dim) * sizeof(int16_t) : 0; }
  hnswlib::DISTFUNC<float> get_dist_func() override { return l2_ ? FixedPointL2Distance : FixedPointIpDistance; }
  void* get_dist_func_param() override { return &param_; }

 private:
  FixedPointParam param_;
  bool l2_;
  bool in_block_;
};

// One of hnswlib's float spaces whose vectors are kept in VectorRows: its distance, and no data
// in the level-0 block.
class RowsSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit RowsSpace(std::unique_ptr<hnswlib::SpaceInterface<float>> space) : space_(std::move(space)) {}
  size_t get_data_size() override { return 0; }
  hnswlib::DISTFUNC<float> get_dist_func() override { return space_->get_dist_func(); }
  void* get_dist_func_param() override { return space_->get_dist_func_param(); }

 private:
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
};

using Graph = hnswlib::HierarchicalNSW<float>;
using Neighbours = std::vector<std::pair<float, uint64_t>>;

// hnswlib's searchKnn, closest first.
Neighbours SearchKnn(Graph& graph, const void* query, size_t k, size_t ef) {
  graph.setEf(std::max(ef, k));
  auto pq = graph.searchKnn(query, k);
  Neighbours out;
  while (!pq.empty()) {
    out.emplace_back(pq.top().first, pq.top().second);
    pq.pop();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

struct SpaceDistance {  // hnswlib's float spaces, through their function pointer
  hnswlib::DISTFUNC<float> f;
  void* param;
  float operator()(const void* a, const void* b) const { return f(a, b, param); }
};

// Inserts into the graph: GraphInserter (the default), or hnswlib's own addPoint.
class PointInserter {
 public:
  virtual ~PointInserter() = default;
  virtual Status Insert(const void* point, uint64_t label) = 0;
  // The graph has grown to hold `capacity` elements (no insertion runs meanwhile).
  virtual void Grown(size_t capacity) = 0;
  // The k nearest (distance, label), closest first, of a point as Insert takes it.
  virtual Neighbours Nearest(const void* query, size_t k, size_t ef) = 0;
};

template <class Distance>
class NativeInserter final : public PointInserter {
 public:
  NativeInserter(Graph& graph, Distance d, VectorRows* rows) : inserter_(graph, d, rows) {}
  Status Insert(const void* point, uint64_t label) override { return inserter_.Insert(point, label); }
  void Grown(size_t capacity) override { inserter_.Grown(capacity); }
  Neighbours Nearest(const void* query, size_t k, size_t ef) override { return inserter_.Nearest(query, k, ef); }

 private:
  GraphInserter<Graph, Distance> inserter_;
};

class HnswlibInserter final : public PointInserter {
 public:
  explicit HnswlibInserter(Graph& graph) : graph_(graph) {}
  void Grown(size_t) override {}
  Neighbours Nearest(const void* query, size_t k, size_t ef) override { return SearchKnn(graph_, query, k, ef); }
  Status Insert(const void* point, uint64_t label) override {
    try {
      graph_.addPoint(point, static_cast<hnswlib::labeltype>(label));
    } catch (const std::exception& e) {
      return Status::Internal(fmt::format("hnswlib failed to insert label {}: {}", label, e.what()));
    }
    return Status::Ok();
  }

 private:
  Graph& graph_;
};

// Elements of data_level0.bin made on two threads from this many per chunk.
constexpr size_t kParallelFillElements = 256;

class HnswIndexImpl final : public HnswIndex {
 public:
  Status Load(const std::string& path) {
    try {
      index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), path);
    } catch (const std::exception& e) {
      return Status::Corrupt(fmt::format("{}: hnswlib cannot load it: {}", path, e.what()));
    }
    norms_.assign(index_->cur_element_count, 0.0f);
    return Status::Ok();
  }

  // A build by GraphInserter keeps its vectors in aligned rows (vector_rows.h) and the level-0
  // block only links and labels; hnswlib's own insertion, and a loaded index, keep them in the block.
  HnswIndexImpl(size_t dim, Space space, const HnswBuildOptions* o = nullptr) : dim_(dim), space_kind_(space) {
    const bool in_rows = o && !o->hnswlib_insertion;
    if (o && space == Space::kCosine) unit_norms_ = o->unit_norms;
    if (o && o->fixed_point_scale > 0) {
      scale_ = o->fixed_point_scale;
      exact_vectors_ = o->exact_vectors;
      space_ = std::make_unique<FixedPointSpace>(dim, scale_, space == Space::kL2, !in_rows);
      if (in_rows) rows_ = std::make_unique<VectorRows>(FixedPointSlots(dim) * sizeof(int16_t));
      return;
    }
    std::unique_ptr<hnswlib::SpaceInterface<float>> floats;
    if (space == Space::kL2) {
      floats = std::make_unique<hnswlib::L2Space>(dim);
    } else {
      floats = std::make_unique<hnswlib::InnerProductSpace>(dim);
    }
    if (!in_rows) {
      space_ = std::move(floats);
      return;
    }
    space_ = std::make_unique<RowsSpace>(std::move(floats));
    rows_ = std::make_unique<VectorRows>(dim * sizeof(float));
  }

  // An empty graph with room for `capacity` vectors.
  Status Init(size_t capacity, const HnswBuildOptions& o) {
    try {
      index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), capacity, o.max_neighbors,
                                                                 o.ef_construction, o.seed);
    } catch (const std::exception& e) {
      return Status::IoError(fmt::format("cannot allocate an HNSW index of {} × {}: {}", capacity, dim_, e.what()));
    }
    norms_.assign(capacity, 0.0f);
    AdviseHugeLevel0();
    if (rows_) CM_RETURN_IF_ERROR(rows_->Reserve(capacity, o.warm_rows));
    if (o.hnswlib_insertion) {
      inserter_ = std::make_unique<HnswlibInserter>(*index_);
    } else if (scale_ > 0) {
      const FixedPointParam p{dim_, 1.0f / (scale_ * scale_)};
      if (space_kind_ == Space::kL2) {
        inserter_ = std::make_unique<NativeInserter<FixedPointL2>>(*index_, FixedPointL2{p}, rows_.get());
      } else {
        inserter_ = std::make_unique<NativeInserter<FixedPointIp>>(*index_, FixedPointIp{p}, rows_.get());
      }
    } else {
      inserter_ = std::make_unique<NativeInserter<SpaceDistance>>(
          *index_, SpaceDistance{space_->get_dist_func(), space_->get_dist_func_param()}, rows_.get());
    }
    return Status::Ok();
  }

  size_t capacity() const { return index_->max_elements_; }

  // Thread-safe (both inserters are; norms_ slots are distinct per label).
  Status AddOne(const float* v, uint64_t label) {
    if (label == 0 || label > norms_.size()) {
      return Status::Internal(fmt::format("HNSW label {} outside 1..{}", label, norms_.size()));
    }
    thread_local std::vector<float> buf;
    thread_local std::vector<int16_t> fixed;
    if (unit_norms_ != nullptr) {
      if (label > unit_norms_->size()) return Status::Internal(fmt::format("no norm for HNSW label {}", label));
      norms_[label - 1] = (*unit_norms_)[label - 1];  // v is already the unit vector
    } else if (space_kind_ == Space::kCosine) {
      buf.resize(dim_);
      norms_[label - 1] = NormalizeForCosine(v, dim_, buf.data());
      v = buf.data();
    }
    return inserter_->Insert(InSpace(v, &fixed), label);
  }

  Status Grow(size_t capacity) {
    if (capacity <= norms_.size()) return Status::Ok();
    try {
      index_->resizeIndex(capacity);
      AdviseHugeLevel0();
    } catch (const std::exception& e) {
      return Status::IoError(fmt::format("cannot grow the HNSW index to {} × {}: {}", capacity, dim_, e.what()));
    }
    if (rows_) CM_RETURN_IF_ERROR(rows_->Reserve(capacity));
    norms_.resize(capacity, 0.0f);
    if (inserter_) inserter_->Grown(capacity);
    return Status::Ok();
  }

  Status WriteChromaSegment(const std::string& dir) const override {
    const auto& ix = *index_;
    size_t n = ix.cur_element_count;
    SegmentParts p;
    HnswHeader& h = p.header;
    h.offset_level0 = ix.offsetLevel0_;
    h.max_elements = ix.max_elements_;
    h.cur_element_count = ix.cur_element_count;
    h.size_data_per_element = ix.size_data_per_element_;
    h.label_offset = ix.label_offset_;
    h.offset_data = ix.offsetData_;
    h.maxlevel = ix.maxlevel_;
    h.enterpoint_node = ix.enterpoint_node_;
    h.maxM = ix.maxM_;
    h.maxM0 = ix.maxM0_;
    h.M = ix.M_;
    h.mult = ix.mult_;
    h.ef_construction = ix.ef_construction_;
    p.level0 = FillFromMemory(ix.data_level0_memory_);
    if (rows_ || scale_ > 0) {
      // The elements as hnswlib lays out a float32 graph: links, the vector, the label.
      h.size_data_per_element = ix.size_links_level0_ + dim_ * sizeof(float) + sizeof(hnswlib::labeltype);
      h.offset_data = ix.size_links_level0_;
      h.label_offset = ix.size_links_level0_ + dim_ * sizeof(float);
      p.level0 = [this, &h](size_t offset, char* dst, size_t len) { return FillFloatLevel0(h, offset, dst, len); };
    }
    std::vector<float> lengths(n, 0.0f);
    if (space_kind_ == Space::kCosine) {
      for (size_t internal = 0; internal < n; ++internal) {
        hnswlib::labeltype label = ix.getExternalLabel(static_cast<hnswlib::tableint>(internal));
        lengths[internal] = norms_[label - 1];
      }
    }
    p.lengths = lengths.data();
    p.links = [&ix](size_t i) {
      int level = ix.element_levels_[i];
      size_t size = level > 0 ? ix.size_links_per_element_ * static_cast<size_t>(level) : 0;
      return std::string_view(ix.linkLists_[i], size);
    };
    return WriteChromaSegmentFiles(dir, p);
  }

  // A built graph is searched by its inserter (its vectors may be apart from the block); a
  // loaded one by hnswlib.
  Neighbours Search(const float* query, size_t k, size_t ef) const override {
    std::vector<int16_t> fixed;
    const void* q = InSpace(query, &fixed);
    return inserter_ ? inserter_->Nearest(q, k, ef) : SearchKnn(*index_, q, k, ef);
  }

  size_t size() const override { return index_->cur_element_count; }

 private:
  // The level-0 block, which the build reads at random, on huge pages (io/huge_pages.h). After
  // Init it is untouched yet (hnswlib mallocs it), so the build faults it in as huge pages;
  // after a resize (hnswlib reallocs it) khugepaged merges the pages already copied.
  void AdviseHugeLevel0() {
    AdviseHugePages(index_->data_level0_memory_, index_->max_elements_ * index_->size_data_per_element_);
  }

  // `v` as the space takes it: itself, or its int16 copy in `*fixed` (padded with zero).
  const void* InSpace(const float* v, std::vector<int16_t>* fixed) const {
    if (scale_ == 0) return v;
    fixed->assign(FixedPointSlots(dim_), 0);
    QuantizeFixedPoint(v, dim_, scale_, fixed->data());
    return fixed->data();
  }

  // Bytes [offset, offset + len) of a float32 data_level0.bin laid out by `h`, from the block's
  // links and labels and the vectors (the exact ones for a fixed-point graph, else the rows).
  // The elements wholly inside are
  // made in place, half of them on a second thread when there are many; the (at most two) that
  // the range's edges cut go through a buffer.
  Status FillFloatLevel0(const HnswHeader& h, size_t offset, char* dst, size_t len) const {
    if (scale_ > 0 && !exact_vectors_) {
      return Status::Internal("a fixed-point HNSW graph was written without its exact vectors");
    }
    const size_t element = h.size_data_per_element, n = index_->cur_element_count;
    const size_t first = offset / element, end = std::min(n, (offset + len + element - 1) / element);
    if (first >= end) return Status::Ok();
    // Whole elements: [whole_first, whole_end).
    const size_t whole_first = first * element >= offset ? first : first + 1;
    const size_t whole_end = std::max(whole_first, std::min(end, (offset + len) / element));
    for (size_t e : {first, end - 1}) {
      if (e >= whole_first && e < whole_end) continue;
      std::vector<char> bytes(element);
      CM_RETURN_IF_ERROR(MakeFloatElement(h, e, bytes.data()));
      const size_t from = std::max(offset, e * element), to = std::min(offset + len, (e + 1) * element);
      std::memcpy(dst + (from - offset), bytes.data() + (from - e * element), to - from);
      if (first == end - 1) break;
    }
    auto make = [&](size_t from, size_t to) {
      for (size_t e = from; e < to; ++e) CM_RETURN_IF_ERROR(MakeFloatElement(h, e, dst + (e * element - offset)));
      return Status::Ok();
    };
    const size_t count = whole_end - whole_first;
    if (count < kParallelFillElements) return make(whole_first, whole_end);
    const size_t mid = whole_first + count / 2;
    Status second;
    std::thread helper([&] { second = make(mid, whole_end); });
    Status own = make(whole_first, mid);
    helper.join();
    CM_RETURN_IF_ERROR(own);
    return second;
  }

  // Element e of a float32 data_level0.bin laid out by `h`, at `out`: its links, its exact
  // vector (normalized for cosine, as hnswlib stores it; a float32 build's row holds it so), its
  // label.
  Status MakeFloatElement(const HnswHeader& h, size_t e, char* out) const {
    const auto& ix = *index_;
    const hnswlib::labeltype label = ix.getExternalLabel(static_cast<hnswlib::tableint>(e));
    std::memcpy(out, ix.data_level0_memory_ + e * ix.size_data_per_element_, ix.size_links_level0_);
    float* v = reinterpret_cast<float*>(out + h.offset_data);
    if (scale_ > 0) {
      const uint64_t wanted = label;
      CM_RETURN_IF_ERROR(exact_vectors_(&wanted, 1, v));
      if (space_kind_ == Space::kCosine && unit_norms_ == nullptr) NormalizeForCosine(v, dim_, v);
    } else {
      std::memcpy(v, rows_->row(e), dim_ * sizeof(float));
    }
    std::memcpy(out + h.label_offset, &label, sizeof label);
    return Status::Ok();
  }

  size_t dim_;
  Space space_kind_;
  float scale_ = 0;  // nonzero: the graph holds int16 copies (fixed_point.h)
  std::function<Status(const uint64_t*, size_t, float*)> exact_vectors_;
  const std::vector<float>* unit_norms_ = nullptr;  // cosine: the vectors come normalised (HnswBuildOptions)
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
  std::unique_ptr<Graph> index_;
  std::unique_ptr<VectorRows> rows_;  // the vectors the graph compares, unless hnswlib inserts (in its block then)
  std::unique_ptr<PointInserter> inserter_;  // set by Init (a loaded index is not added to)
  std::vector<float> norms_;  // by row (label - 1)
};

class HnswBuilderImpl final : public HnswBuilder {
 public:
  explicit HnswBuilderImpl(std::unique_ptr<HnswIndexImpl> index) : index_(std::move(index)) {}
  size_t capacity() const override { return index_->capacity(); }
  Status Add(const float* vector, uint64_t label) override { return index_->AddOne(vector, label); }
  Status Reserve(size_t capacity) override { return index_->Grow(capacity); }
  std::unique_ptr<HnswIndex> Finish() override { return std::move(index_); }

 private:
  std::unique_ptr<HnswIndexImpl> index_;
};

}  // namespace

size_t FixedPointRowsBytes(size_t dim, size_t capacity) {
  return VectorRows::BytesFor(FixedPointSlots(dim) * sizeof(int16_t), capacity);
}

Result<std::unique_ptr<HnswBuilder>> HnswBuilder::Create(size_t dim, size_t capacity, const HnswBuildOptions& options) {
  if (dim == 0) return Status::InvalidArgument("an HNSW index needs at least one dimension");
  if (options.fixed_point_scale > 0 && !options.exact_vectors) {
    return Status::Internal("a fixed-point HNSW build needs the exact vectors back");
  }
  auto index = std::make_unique<HnswIndexImpl>(dim, options.space, &options);
  CM_RETURN_IF_ERROR(index->Init(std::max<size_t>(capacity, 1), options));
  return std::unique_ptr<HnswBuilder>(std::make_unique<HnswBuilderImpl>(std::move(index)));
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::LoadStockFile(const std::string& path, size_t dim, Space space) {
  auto index = std::make_unique<HnswIndexImpl>(dim, space);
  CM_RETURN_IF_ERROR(index->Load(path));
  return std::unique_ptr<HnswIndex>(std::move(index));
}

}  // namespace cm
