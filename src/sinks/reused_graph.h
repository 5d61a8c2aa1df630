// ReusedGraph: a collection's legacy HNSW graph (index/index_<uuid>.bin, legacy-formats.md §2),
// adopted instead of building the graph again when it provably indexes exactly the migrated
// records. Building the graph is nearly all of a persist-dir migration's time; Chroma 0.3 kept
// one beside the parquet files, rewritten after every write.
//
// The legacy index is a cache that can be stale, polluted or built for other vectors (§2.2–2.3),
// so nothing is taken on trust: the file's structure is checked whole (StockGraph), its
// parameters must equal the destination collection's (M, ef_construction), no element may be
// deleted, the uuid_to_id pickle must name every element once, and then each migrated record
// claims its element by row uuid only if the vectors are equal (bit for bit; cosine graphs hold
// unit vectors that Chroma 0.3 normalised in float arithmetic, so there the record's unit vector
// must agree to 1e-4 per component). The record's own vector then replaces the stored one, so
// the written segment holds exactly what a freshly built one would; only the edges are reused.
// The graph is written only when every element was claimed. Otherwise the caller builds a graph
// from the claimed records (ForEachClaimed) and the rest, and says why.
//
// A modern source's HNSW segment (a Chroma 0.4–1.x persist directory's vector segment folder and
// its index_metadata.pickle) is adopted the same way (OpenSegment): records then claim their
// element by record id, through the pickle's label → id map, and the same checks apply. Its
// deleted elements (Chroma flags them and keeps routing through them) stay, flagged, with labels
// after the live ones (extra_labels(): Chroma's next label must come after them). A segment
// with records still waiting in the queue does not fit.
//
// Memory: the whole file (about the size of the graph being replaced) plus ~25 bytes per element;
// the pickle's parse tree (a few hundred bytes per element) is freed before the file is read.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/collection.h"
#include "core/status.h"

namespace cm {

class StockGraph;

class ReusedGraph {
 public:
  // Fails with the reason the cache cannot be reused (the message names the file).
  static Result<std::unique_ptr<ReusedGraph>> Open(const std::string& index_path, const std::string& labels_path,
                                                   const HnswParams& params, uint64_t records);
  // The graph of a Chroma segment folder `dir` with its index_metadata.pickle; records claim by id.
  // `parsed_labels`, when it holds a map, is the pickle's label → id map as the source parsed it
  // (GraphCache::parsed_labels), used (and emptied) instead of parsing the file again.
  static Result<std::unique_ptr<ReusedGraph>> OpenSegment(const std::string& dir, const std::string& pickle_path,
                                                          const HnswParams& params, uint64_t records,
                                                          std::optional<std::unordered_map<uint64_t, std::string>>*
                                                              parsed_labels = nullptr);
  ~ReusedGraph();

  // Whether Claim's key is the record's id (a segment) rather than its legacy row uuid.
  bool keyed_by_id() const { return by_id_; }

  const std::string& path() const;
  size_t size() const;  // live elements: those records must claim
  size_t claimed() const { return claimed_; }
  bool complete() const { return claimed_ == size(); }
  // Deleted elements kept in the written graph, labelled after the claimed ones (claimed() + 1 …).
  size_t extra_labels() const;

  // Takes the element of the record whose legacy row uuid (or id, when keyed_by_id()) is `key`
  // for `label`, or says why it cannot (and changes nothing).
  std::optional<std::string> Claim(std::string_view key, const float* v, size_t dim, uint64_t label);
  // (label, vector as given to Claim) of every claimed element, in element order.
  Status ForEachClaimed(const std::function<Status(uint64_t, const float*)>& fn) const;
  // Writes the Chroma segment files into `dir`; complete() only. Claimed labels must be 1..claimed().
  Status Write(const std::string& dir);

 private:
  struct RowKey {
    uint64_t hi = 0, lo = 0;
    auto operator<=>(const RowKey&) const = default;
  };
  static std::optional<RowKey> ParseRowKey(std::string_view text);
  // A record id as 128 bits (two independent 64-bit hashes; a repeat among the pickle's ids
  // refuses the graph, and a claim still needs equal vectors).
  static RowKey IdKey(std::string_view id);
  // The checks common to both kinds, once graph_ is loaded; `labels`: (key, label) per element.
  static Result<std::unique_ptr<ReusedGraph>> Adopt(std::unique_ptr<ReusedGraph> g,
                                                    const std::vector<std::pair<RowKey, uint64_t>>& labels,
                                                    const std::string& labels_path, const HnswParams& params);

  ReusedGraph() = default;

  bool by_id_ = false;
  std::string labels_path_;
  std::unique_ptr<StockGraph> graph_;
  Space space_ = Space::kL2;
  std::vector<std::pair<RowKey, uint32_t>> element_of_row_;  // sorted by key (20 bytes an element)
  // Each element's key, and whether the labels name it (a deleted element is not named). Records
  // mostly arrive in about the order their elements were inserted (Chroma inserted them in
  // parallel, so neighbours swap), so Claim first looks near the element after the last one
  // claimed: a binary search of element_of_row_ is ~17 cache misses at 100k, 20 at a million.
  std::vector<RowKey> key_of_element_;  // 16 bytes an element (16 MB at a million)
  std::vector<bool> named_;
  size_t next_guess_ = 0;
  std::optional<size_t> NearGuess(const RowKey& key) const;
  std::vector<bool> taken_;
  size_t claimed_ = 0;
};

}  // namespace cm
