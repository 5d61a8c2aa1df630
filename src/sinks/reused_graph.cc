#include "sinks/reused_graph.h"

#include <fmt/format.h>

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "formats/hnsw/cosine.h"
#include "formats/hnsw/stock_graph.h"
#include "formats/pickle/index_metadata_reader.h"
#include "formats/pickle/pickle_reader.h"
#include "io/mapped_file.h"

namespace cm {
namespace {

// Chroma 0.3 normalised cosine vectors with a float sum (hnswlib's Python binding); ours sums in
// double. Unit-vector components then differ by a few ulps, never by this much.
constexpr float kCosineTolerance = 1e-4f;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<ReusedGraph::RowKey> ReusedGraph::ParseRowKey(std::string_view text) {
  RowKey k;
  int digits = 0;
  for (char c : text) {
    if (c == '-') continue;
    int d = HexDigit(c);
    if (d < 0 || digits == 32) return std::nullopt;
    uint64_t& half = digits < 16 ? k.hi : k.lo;
    half = (half << 4) | static_cast<uint64_t>(d);
    ++digits;
  }
  if (digits != 32) return std::nullopt;
  return k;
}

ReusedGraph::RowKey ReusedGraph::IdKey(std::string_view id) {
  RowKey k;
  k.hi = std::hash<std::string_view>{}(id);
  uint64_t fnv = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : id) fnv = (fnv ^ c) * 1099511628211ull;
  k.lo = fnv;
  return k;
}

ReusedGraph::~ReusedGraph() = default;

const std::string& ReusedGraph::path() const { return graph_->path(); }
size_t ReusedGraph::size() const { return graph_->size() - graph_->deleted(); }
size_t ReusedGraph::extra_labels() const { return graph_->deleted(); }

Result<std::unique_ptr<ReusedGraph>> ReusedGraph::Open(const std::string& index_path, const std::string& labels_path,
                                                       const HnswParams& params, uint64_t records) {
  CM_ASSIGN_OR_RETURN(uint64_t elements, StockGraph::PeekElementCount(index_path));
  if (elements != records) {
    return Status::Mismatch(fmt::format("{} holds {} elements but the collection has {} records (a stale "
                                                  "cache)", index_path, elements, records));
  }
  std::unique_ptr<ReusedGraph> g(new ReusedGraph());
  g->space_ = params.space;

  // The pickle first, while the graph is not in memory yet: dict[uuid hex → label].
  std::vector<std::pair<RowKey, uint64_t>> labels;
  {
    CM_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(labels_path));
    CM_ASSIGN_OR_RETURN(pickle::PickleRef root, pickle::ParsePickle(file.bytes(), labels_path));
    if (root->kind != pickle::PickleValue::Kind::kDict) {
      return Status::Corrupt(fmt::format("{}: a {} where a dict of uuid → label was expected", labels_path,
                                         root->KindName()));
    }
    labels.reserve(root->dict.size());
    for (const auto& [key, value] : root->dict) {
      std::optional<RowKey> k;
      if (key->kind == pickle::PickleValue::Kind::kString) k = ParseRowKey(key->s);
      if (!k || value->kind != pickle::PickleValue::Kind::kInt || value->i < 0) {
        return Status::Corrupt(fmt::format("{}: entry {} is not a uuid hex → label pair", labels_path, labels.size()));
      }
      labels.emplace_back(*k, static_cast<uint64_t>(value->i));
    }
  }

  // The parse tree was many small blocks: give them back before the graph's big one is taken, or
  // the allocator keeps them and the peak is tree + graph (glibc; 1M elements: ~400 MiB).
  malloc_trim(0);

  CM_ASSIGN_OR_RETURN(g->graph_, StockGraph::Load(index_path));
  return Adopt(std::move(g), labels, labels_path, params);
}

Result<std::unique_ptr<ReusedGraph>> ReusedGraph::OpenSegment(
    const std::string& dir, const std::string& pickle_path, const HnswParams& params, uint64_t records,
    std::optional<std::unordered_map<uint64_t, std::string>>* parsed_labels) {
  CM_ASSIGN_OR_RETURN(uint64_t elements, StockGraph::PeekSegmentElementCount(dir));
  if (elements < records) {
    return Status::Mismatch(fmt::format("{} holds {} elements but the collection has {} records (writes after its "
                                        "last persist are still in the queue)", dir, elements, records));
  }
  std::unique_ptr<ReusedGraph> g(new ReusedGraph());
  g->space_ = params.space;
  g->by_id_ = true;
  std::vector<std::pair<RowKey, uint64_t>> labels;
  if (parsed_labels && parsed_labels->has_value()) {
    labels.reserve((*parsed_labels)->size());
    for (const auto& [label, id] : **parsed_labels) labels.emplace_back(IdKey(id), label);
    parsed_labels->reset();
  } else {
    CM_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(pickle_path));
    CM_ASSIGN_OR_RETURN(ParsedIndexMetadata meta, ReadIndexMetadataPickle(file.bytes(), pickle_path));
    labels.reserve(meta.label_to_id.size());
    for (const auto& [label, id] : meta.label_to_id) labels.emplace_back(IdKey(id), label);
  }
  malloc_trim(0);  // as in Open: the map's many small blocks before the graph's big one
  CM_ASSIGN_OR_RETURN(g->graph_, StockGraph::LoadSegment(dir));
  if (g->size() != records) {
    return Status::Mismatch(fmt::format("{} holds {} live elements ({} deleted) but the collection has {} records "
                                        "(writes after its last persist are still in the queue)", dir, g->size(),
                                        g->graph_->deleted(), records));
  }
  return Adopt(std::move(g), labels, pickle_path, params);
}

Result<std::unique_ptr<ReusedGraph>> ReusedGraph::Adopt(std::unique_ptr<ReusedGraph> g,
                                                        const std::vector<std::pair<RowKey, uint64_t>>& labels,
                                                        const std::string& labels_path, const HnswParams& params) {
  g->labels_path_ = labels_path;
  const StockGraph& graph = *g->graph_;
  const std::string& index_path = graph.path();
  const auto& h = graph.header();
  if (graph.deleted() > 0 && !g->by_id_) {
    return Status::Mismatch(fmt::format("{} has {} deleted elements", index_path, graph.deleted()));
  }
  if (h.M != static_cast<uint64_t>(params.max_neighbors) || h.ef_construction != static_cast<uint64_t>(params.ef_construction)) {
    return Status::Mismatch(fmt::format(
        "{} was built with M {} and ef_construction {}, the collection is configured for {} and {}", index_path, h.M,
        h.ef_construction, params.max_neighbors, params.ef_construction));
  }
  if (labels.size() != g->size()) {
    return Status::Mismatch(fmt::format("{} names {} elements, {} holds {}", labels_path, labels.size(), index_path,
                                        g->size()) + (graph.deleted() ? fmt::format(" live ones ({} deleted)", graph.deleted()) : ""));
  }
  std::vector<std::pair<uint64_t, uint32_t>> element_of_label(graph.size());
  for (size_t i = 0; i < graph.size(); ++i) element_of_label[i] = {graph.label(i), static_cast<uint32_t>(i)};
  std::sort(element_of_label.begin(), element_of_label.end());
  for (size_t i = 1; i < element_of_label.size(); ++i) {
    if (element_of_label[i].first == element_of_label[i - 1].first) {
      return Status::Mismatch(fmt::format("{}: label {} is held by two elements", index_path, element_of_label[i].first));
    }
  }
  g->element_of_row_.reserve(labels.size());
  std::vector<bool> named(graph.size(), false);
  for (const auto& [key, label] : labels) {
    auto it = std::lower_bound(element_of_label.begin(), element_of_label.end(), std::make_pair(label, uint32_t{0}));
    if (it == element_of_label.end() || it->first != label) {
      return Status::Mismatch(fmt::format("{} names label {}, which {} does not hold", labels_path, label, index_path));
    }
    if (named[it->second]) return Status::Mismatch(fmt::format("{} names label {} twice", labels_path, label));
    if (graph.is_deleted(it->second)) {
      return Status::Mismatch(fmt::format("{} names label {}, a deleted element of {}", labels_path, label, index_path));
    }
    named[it->second] = true;
    g->element_of_row_.emplace_back(key, it->second);
  }
  std::sort(g->element_of_row_.begin(), g->element_of_row_.end());
  for (size_t i = 1; i < g->element_of_row_.size(); ++i) {
    if (g->element_of_row_[i].first == g->element_of_row_[i - 1].first) {
      return Status::Mismatch(fmt::format("{} names one {} twice", labels_path, g->by_id_ ? "id (or its hash)" : "row uuid"));
    }
  }
  g->key_of_element_.assign(graph.size(), RowKey{});
  g->named_ = std::move(named);
  for (const auto& [key, element] : g->element_of_row_) g->key_of_element_[element] = key;
  g->taken_.assign(graph.size(), false);
  return g;
}

std::optional<size_t> ReusedGraph::NearGuess(const RowKey& key) const {
  constexpr size_t kWindow = 16;  // elements either side of the guess
  const size_t n = key_of_element_.size();
  auto at = [&](size_t e) { return e < n && named_[e] && key_of_element_[e] == key; };
  if (at(next_guess_)) return next_guess_;
  for (size_t d = 1; d <= kWindow; ++d) {
    if (at(next_guess_ + d)) return next_guess_ + d;
    if (d <= next_guess_ && at(next_guess_ - d)) return next_guess_ - d;
  }
  return std::nullopt;
}

std::optional<std::string> ReusedGraph::Claim(std::string_view key_text, const float* v, size_t dim, uint64_t label) {
  std::optional<RowKey> key = by_id_ ? std::optional<RowKey>(IdKey(key_text)) : ParseRowKey(key_text);
  if (!key) return fmt::format("its row uuid \"{}\" is not a uuid", key_text);
  const char* what = by_id_ ? "id" : "row";
  size_t element = 0;
  if (std::optional<size_t> near = NearGuess(*key)) {
    element = *near;
  } else {
    auto it = std::lower_bound(element_of_row_.begin(), element_of_row_.end(), std::make_pair(*key, uint32_t{0}));
    if (it == element_of_row_.end() || it->first != *key) {
      return fmt::format("its {} {} is not in {}", what, key_text, labels_path_);
    }
    element = it->second;
  }
  if (taken_[element]) return fmt::format("its {} {} was claimed twice", what, key_text);
  if (dim != graph_->dim()) return fmt::format("it has {} dimensions, the cache {}", dim, graph_->dim());
  const float* stored = graph_->vector(element);
  if (space_ == Space::kCosine) {
    thread_local std::vector<float> unit;
    unit.resize(dim);
    NormalizeForCosine(v, dim, unit.data());
    for (size_t j = 0; j < dim; ++j) {
      if (!(std::fabs(unit[j] - stored[j]) <= kCosineTolerance)) {
        return fmt::format("its unit vector differs from the cache's in component {} ({} vs {})", j, unit[j], stored[j]);
      }
    }
  } else if (std::memcmp(stored, v, dim * sizeof(float)) != 0) {
    size_t j = 0;
    while (j < dim && std::memcmp(stored + j, v + j, sizeof(float)) == 0) ++j;
    return fmt::format("its vector differs from the cache's in component {} ({} vs {})", j, v[j], stored[j]);
  }
  std::memcpy(graph_->mutable_vector(element), v, dim * sizeof(float));
  graph_->set_label(element, label);
  taken_[element] = true;
  ++claimed_;
  next_guess_ = element + 1;
  return std::nullopt;
}

Status ReusedGraph::ForEachClaimed(const std::function<Status(uint64_t, const float*)>& fn) const {
  for (size_t i = 0; i < graph_->size(); ++i) {
    if (taken_[i]) CM_RETURN_IF_ERROR(fn(graph_->label(i), graph_->vector(i)));
  }
  return Status::Ok();
}

Status ReusedGraph::Write(const std::string& dir) {
  if (!complete()) return Status::Internal("ReusedGraph::Write before every element was claimed");
  uint64_t next_label = claimed_;
  for (size_t i = 0; i < graph_->size(); ++i) {
    if (!taken_[i]) graph_->set_label(i, ++next_label);  // a deleted element, still flagged
  }
  std::vector<float> lengths(graph_->size(), 0.0f);
  if (space_ == Space::kCosine) {
    for (size_t i = 0; i < graph_->size(); ++i) {
      float* v = graph_->mutable_vector(i);
      lengths[i] = NormalizeForCosine(v, graph_->dim(), v);
    }
  }
  return graph_->WriteChromaSegment(dir, lengths);
}

}  // namespace cm
