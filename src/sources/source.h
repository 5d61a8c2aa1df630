// Source: where records come from, before any policy is applied.
//
// A source lists its collections (SourceCollection: raw name, metadata and, for modern
// sources, the known configuration) and then streams SourceRecords in batches. Records of
// different collections may interleave (a legacy parquet file holds all collections in one
// table). Everything a policy may need to judge or report a record is kept raw here: the
// optional id with the legacy row uuid as fallback, float64 embedding values with null flags,
// metadata as unparsed JSON text (legacy) or as a Value (modern), and a human-readable
// location ("chroma-embeddings.parquet row 17").
//
// Sources open their inputs read-only and never modify them. A Source is used by one thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/collection.h"
#include "core/status.h"
#include "core/value.h"

namespace cm {

struct SourceCollection {
  std::string key;   // the id records use to refer to it (legacy: collections.uuid)
  std::string name;
  std::string tenant = kDefaultTenant;
  std::string database = kDefaultDatabase;
  std::optional<std::string> metadata_text;  // legacy: raw JSON text; nullopt = SQL NULL
  Value metadata;                            // modern: typed metadata object (or Null)
  std::optional<HnswParams> hnsw;            // modern: the configuration as stored
  std::optional<size_t> dimension;
  std::optional<uint64_t> expected_count;
  std::string location;  // "chroma-collections.parquet row 3"
};

struct SourceRecord {
  std::string collection_key;
  std::optional<std::string> id;
  std::string fallback_id;  // legacy embeddings.uuid: used for NULL ids
  bool embedding_is_null = false;
  std::vector<double> embedding;
  size_t null_elements = 0;  // elements that were NULL (stored as NaN in `embedding`)
  std::optional<std::string> document;
  std::optional<std::string> uri;
  bool metadata_is_text = false;
  std::optional<std::string> metadata_text;  // when metadata_is_text; nullopt = SQL NULL
  Value metadata;                            // otherwise
  std::string location;
};

// What a streaming writer needs to know before the first record: how many records each
// collection will produce, and which ids occur more than once in a collection (those records are
// held back and resolved by the duplicate policy at the end; every other record is written as it
// arrives). A record's id here is its id, or its fallback id when the id is NULL.
// An HNSW graph the source already holds for a collection, which a persist-dir writer may adopt
// instead of building one (sinks/reused_graph.h checks that it indexes exactly the migrated
// records): legacy index/index_<uuid>.bin with its uuid_to_id pickle, or a modern source's
// vector segment folder with its index_metadata.pickle.
struct GraphCache {
  enum class Kind { kLegacyIndex, kSegment };
  using LabelMap = std::unordered_map<uint64_t, std::string>;  // label → record id
  Kind kind = Kind::kLegacyIndex;
  std::string index_path;   // the .bin file, or the segment folder
  std::string labels_path;  // dict[row uuid hex → label], or index_metadata.pickle
  // A modern source parses index_metadata.pickle itself when it reaches the collection (before
  // the collection's first record); it leaves the label map here, so the graph need not parse
  // the file again (38 MB and about two seconds at a million ids). Empty: parse labels_path.
  std::shared_ptr<std::optional<LabelMap>> parsed_labels;
};

struct IdCensus {
  std::map<std::string, uint64_t> records;                      // by collection key
  std::map<std::string, std::set<std::string>> repeated;        // collection key → ids seen twice or more
};

// A batch of records stops short of max_rows once its embeddings hold this many bytes (as
// float64): 8192 records of 1,536 dimensions would be 96 MiB, fresh memory that the reading
// thread alone faults in (and holds) before anything downstream starts on the batch. Sources
// that page through a server keep the server's page size instead.
inline constexpr size_t kBatchEmbeddingBytes = size_t{1} << 20;

class Source {
 public:
  virtual ~Source() = default;
  // What this is, for messages and reports: "legacy persist directory ./chroma (Chroma ≤ 0.3)".
  virtual std::string Describe() const = 0;
  virtual Result<std::vector<SourceCollection>> ListCollections() = 0;
  // Appends up to max_rows records to *out (fewer once they hold kBatchEmbeddingBytes of
  // embeddings); sets *done when the source is exhausted.
  virtual Status Next(size_t max_rows, std::vector<SourceRecord>* out, bool* done) = 0;
  // Sources whose ids may repeat within a collection (legacy Chroma never enforced uniqueness)
  // take this census without reading vectors. nullopt: ids are unique per collection by
  // construction, and SourceCollection::expected_count is the only count there is.
  virtual Result<std::optional<IdCensus>> CensusIds() { return std::optional<IdCensus>(); }
  // Tenants and databases the source holds, those without collections included, as (tenant,
  // database) pairs; database is empty for a tenant without databases. Sources without the
  // notion (legacy) have none.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListDatabases() {
    return std::vector<std::pair<std::string, std::string>>();
  }
  // A graph for collection `key` the writer may reuse, if the source has one.
  virtual std::optional<GraphCache> CachedGraph(const std::string& key) const {
    (void)key;
    return std::nullopt;
  }
  // Records the source expects to produce in total (for progress), if known.
  virtual std::optional<uint64_t> TotalRecords() const { return std::nullopt; }
  // Findings about the source itself for `plan`, given the records counted per collection key
  // (e.g. a legacy index/ cache that disagrees with the parquet files). Never fails: a finding
  // that cannot be made is itself reported as a note.
  virtual std::vector<std::string> Diagnostics(const std::map<std::string, uint64_t>& records_per_collection) {
    (void)records_per_collection;
    return {};
  }
};

}  // namespace cm
