// Verify: compare a destination with its source, record by record (issue "Trust").
//
// The source is read through the same policies as a migration (so the expected records are
// exactly what a correct migration writes: ids after the NULL-id rule, the last duplicate,
// converted metadata); the destination is read as a source of its own. For every selected
// collection it checks: the collection exists, its space and HNSW parameters, the id sets
// (missing and extra records), documents, URIs, metadata (values *and* types), and embeddings
// (float32 equality for l2/ip; a few ulps of the norm for cosine, which Chroma stores as unit
// vector × length). With a Searcher it also measures query parity: recall@10 of the
// destination's own index against exact search over the source vectors, on a sample.
// Memory: bounded by VerifyOptions::memory_budget. The expected records (after policies) and
// the destination's records are spilled by hash of (collection, id) into partitions (in memory
// while the expected records fit the budget, else an unlinked temporary file in $TMPDIR); each
// partition is then checked on its own with the duplicate policy applied, exactly as a whole.
// Query parity draws its queries as a reservoir sample while reading, asks the destination
// first and finds the exact neighbours partition by partition. One thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/status.h"
#include "pipeline/migrate.h"
#include "sources/source.h"

namespace cm {

// k nearest record ids in a destination collection (its own index).
class Searcher {
 public:
  virtual ~Searcher() = default;
  virtual Result<std::vector<std::vector<std::string>>> Query(const CollectionSpec& collection,
                                                              const std::vector<std::vector<float>>& queries,
                                                              size_t k) = 0;
};

// A Searcher over a Chroma persist directory's HNSW segments, loaded with hnswlib.
Result<std::unique_ptr<Searcher>> OpenPersistDirSearcher(const std::string& dir);
// A Searcher that asks a Chroma server (its own index, through the query API).
Result<std::unique_ptr<Searcher>> OpenServerSearcher(const std::string& url, const EndpointOptions& options);

struct VerifyOptions {
  PolicyOptions policies;
  Selection selection;
  std::optional<std::string> dest_tenant, dest_database;  // as MigrateOptions
  size_t batch_rows = 8192;
  size_t max_listed = 20;       // differences listed in full
  size_t recall_queries = 50;   // per collection; 0 = no query parity
  double min_recall = 0.9;
  uint64_t memory_budget = uint64_t{256} << 20;  // expected records held at a time (bytes)
};

struct Difference {
  std::string collection;
  std::string id;
  std::string kind;  // "missing", "extra", "document", "metadata", "embedding", "space", ...
  std::string detail;
};

struct CollectionCheck {
  std::string name;
  uint64_t expected = 0, found = 0, matched = 0;
  std::optional<double> recall;
};

struct VerifyReport {
  std::vector<CollectionCheck> collections;
  std::vector<Difference> listed;        // the first max_listed differences
  std::map<std::string, uint64_t> kinds;  // all differences by kind
  uint64_t differences = 0;
  size_t partitions = 1;       // 1: everything was checked in memory
  uint64_t spilled_bytes = 0;  // written to the temporary file (0 when in memory)
  bool ok() const { return differences == 0; }
};

Result<VerifyReport> Verify(Source& source, Source& destination, Searcher* searcher, const VerifyOptions& options);
std::string VerifyText(const VerifyReport& r);
std::string VerifyJson(const VerifyReport& r);

}  // namespace cm
