#include "formats/hnsw/hnsw_builder.h"

#include <fmt/format.h>
#include <hnswlib/hnswlib.h>

#include <algorithm>

#include "formats/hnsw/cosine.h"
#include "formats/hnsw/segment_files.h"

namespace cm {
namespace {

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

  HnswIndexImpl(size_t dim, Space space) : dim_(dim), space_kind_(space) {
    if (space == Space::kL2) {
      space_ = std::make_unique<hnswlib::L2Space>(dim);
    } else {
      space_ = std::make_unique<hnswlib::InnerProductSpace>(dim);
    }
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
    return Status::Ok();
  }

  size_t capacity() const { return index_->max_elements_; }

  // Thread-safe (hnswlib's addPoint is; norms_ slots are distinct per label).
  Status AddOne(const float* v, uint64_t label) {
    if (label == 0 || label > norms_.size()) {
      return Status::Internal(fmt::format("HNSW label {} outside 1..{}", label, norms_.size()));
    }
    thread_local std::vector<float> buf;
    if (space_kind_ == Space::kCosine) {
      buf.resize(dim_);
      norms_[label - 1] = NormalizeForCosine(v, dim_, buf.data());
      v = buf.data();
    }
    try {
      index_->addPoint(v, static_cast<hnswlib::labeltype>(label));
    } catch (const std::exception& e) {
      return Status::Internal(fmt::format("hnswlib failed to insert label {}: {}", label, e.what()));
    }
    return Status::Ok();
  }

  Status Grow(size_t capacity) {
    if (capacity <= norms_.size()) return Status::Ok();
    try {
      index_->resizeIndex(capacity);
    } catch (const std::exception& e) {
      return Status::IoError(fmt::format("cannot grow the HNSW index to {} × {}: {}", capacity, dim_, e.what()));
    }
    norms_.resize(capacity, 0.0f);
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
    p.level0 = ix.data_level0_memory_;
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

  std::vector<std::pair<float, uint64_t>> Search(const float* query, size_t k, size_t ef) const override {
    index_->setEf(std::max(ef, k));
    auto pq = index_->searchKnn(query, k);
    std::vector<std::pair<float, uint64_t>> out;
    while (!pq.empty()) {
      out.emplace_back(pq.top().first, pq.top().second);
      pq.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  size_t size() const override { return index_->cur_element_count; }

 private:
  size_t dim_;
  Space space_kind_;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
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

Result<std::unique_ptr<HnswBuilder>> HnswBuilder::Create(size_t dim, size_t capacity, const HnswBuildOptions& options) {
  if (dim == 0) return Status::InvalidArgument("an HNSW index needs at least one dimension");
  auto index = std::make_unique<HnswIndexImpl>(dim, options.space);
  CM_RETURN_IF_ERROR(index->Init(std::max<size_t>(capacity, 1), options));
  return std::unique_ptr<HnswBuilder>(std::make_unique<HnswBuilderImpl>(std::move(index)));
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::LoadStockFile(const std::string& path, size_t dim, Space space) {
  auto index = std::make_unique<HnswIndexImpl>(dim, space);
  CM_RETURN_IF_ERROR(index->Load(path));
  return std::unique_ptr<HnswIndex>(std::move(index));
}

}  // namespace cm
