// Plan: what a migration would do, found by reading the whole source through the same policies
// without writing anything (issue "Trust"). It lists collections with counts, dimensions and
// spaces, every anomaly the policies would act on (with counts and the first examples), records
// that would be rejected and why, destination problems (a non-empty directory, collection names
// Chroma would refuse, names that collide), and a rough estimate of time and disk.
// Stateless apart from its inputs; one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/migrate.h"
#include "pipeline/policies.h"
#include "sources/source.h"

namespace cm {

struct Anomaly {
  uint64_t count = 0;
  std::vector<std::string> examples;  // locations, at most kPlanExamples
};

inline constexpr size_t kPlanExamples = 3;

struct CollectionPlan {
  std::string key, source_name, name, space;
  std::string problem;  // why it cannot be migrated as is (e.g. a refused name), or empty
  uint64_t records = 0;
  uint64_t would_migrate = 0;
  std::map<size_t, uint64_t> dimensions;     // dimension -> records
  std::map<std::string, Anomaly> changes;    // policy changes
  std::map<std::string, Anomaly> rejects;    // records that would be rejected
  uint64_t bytes_documents = 0, bytes_metadata = 0, bytes_ids = 0;
  std::optional<size_t> dimension;
};

struct PlanReport {
  std::string source;
  std::vector<std::string> notes;  // source-level findings (e.g. legacy index/ disagreements)
  std::vector<CollectionPlan> collections;
  std::map<std::string, Anomaly> orphans;  // records of collections the source does not list
  std::vector<std::string> destination_problems;
  uint64_t records = 0, would_migrate = 0, would_reject = 0;
  uint64_t estimated_bytes = 0;
  double estimated_seconds = 0;
  bool estimate_builds_graphs = false;  // into a persist directory: the time of building every graph
  bool ok() const;  // nothing that would stop the migration
};

Result<PlanReport> PlanMigration(Source& source, const std::string& destination, const MigrateOptions& options);
std::string PlanText(const PlanReport& plan);
std::string PlanJson(const PlanReport& plan);

}  // namespace cm
