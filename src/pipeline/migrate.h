// The migration runner: source → policies → destination, with a report.
//
// MigrateToPersistDir takes the source's id census (counts and repeated ids, where ids may
// repeat), then streams the source in batches, converts every record with the policies and
// hands it straight to its collection's CollectionWriter (rows written, vector queued for the
// graph); only records whose id repeats wait in a CollectionBuffer until the duplicate policy
// can decide. Then every graph is finished and the directory committed atomically. Records that are not migrated go
// to the rejects file with their reason; records of collections that the selection excludes
// are counted as skipped. Nothing is written to the destination unless every collection can
// be created (names are checked before any record is read).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/policies.h"
#include "sinks/persist_dir_writer.h"
#include "sources/source.h"

namespace cm {

struct Selection {
  std::set<std::string> include;  // names or keys; empty = all
  std::set<std::string> exclude;
  bool Selected(const std::string& name, const std::string& key) const;
};

struct CollectionReport {
  std::string source_name;
  std::string source_key;
  std::string name;
  std::string id;  // in the destination
  std::string space;
  std::optional<size_t> dimension;
  uint64_t read = 0;
  uint64_t migrated = 0;
  uint64_t rejected = 0;
  ChangeCounts changes;
  bool graph_reused = false;  // the source's own HNSW graph was adopted, not built again
  std::string graph_note;     // why the source's graph was not adopted (empty: none offered, or adopted)
  std::string graph_source;   // where an offered graph came from: "index/" or "the source's HNSW segment"
  std::string graph_arithmetic;  // a built graph's distances (WrittenCollection::graph_arithmetic)
  std::string graph_order;       // a built graph's insertion order (WrittenCollection::graph_order)
};

struct MigrationReport {
  std::string source;
  std::string destination;
  std::vector<CollectionReport> collections;
  uint64_t records_read = 0;
  uint64_t records_migrated = 0;
  uint64_t records_rejected = 0;
  uint64_t records_skipped = 0;  // excluded by the selection
  std::map<std::string, uint64_t> rejected_by_reason;
  ChangeCounts changes;  // totals
  std::string rejects_path;  // empty when nothing was rejected
  uint64_t records_held = 0;        // records whose id repeats, held for the duplicate policy
  uint64_t held_spilled_bytes = 0;  // of those, bytes that waited in a temporary file
  double seconds_reading = 0, seconds_writing = 0, seconds_total = 0;
};

struct MigrateOptions {
  PolicyOptions policies;
  Selection selection;
  std::string rejects_path;
  // --to-tenant / --to-database: where collections go (otherwise the source's own, or the defaults).
  std::optional<std::string> dest_tenant, dest_database;
  size_t batch_rows = 8192;
  // Records whose id repeats wait for the duplicate policy until the end of the source; past
  // this many bytes (all collections together) they wait in partitions of a temporary file.
  uint64_t held_memory = uint64_t{128} << 20;
  // Adopt a source's own HNSW graph (a legacy index/ cache) when it indexes exactly the migrated
  // records; false: always build the graph.
  bool reuse_graphs = true;
  const std::atomic<bool>* cancel = nullptr;
  // (stage, collection, done, total); stage is "read", "rows" or "index".
  std::function<void(const std::string&, const std::string&, uint64_t, uint64_t)> progress;
};

Result<MigrationReport> MigrateToPersistDir(Source& source, PersistDirWriterOptions dest, const MigrateOptions& options);

std::string ReportJson(const MigrationReport& report);

}  // namespace cm
