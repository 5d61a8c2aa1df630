#include "pipeline/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include "formats/json/json_writer.h"
#include "io/fs_util.h"
#include "pipeline/seen_ids.h"

namespace fs = std::filesystem;

namespace cm {
namespace {

void Note(std::map<std::string, Anomaly>* into, const std::string& code, const std::string& location, uint64_t n = 1) {
  Anomaly& a = (*into)[code];
  a.count += n;
  if (a.examples.size() < kPlanExamples) a.examples.push_back(location);
}

Value AnomaliesJson(const std::map<std::string, Anomaly>& m) {
  Value::Object o;
  for (const auto& [code, a] : m) {
    o.emplace_back(code, Value::MakeObject({{"count", JsonCount(a.count)}, {"examples", JsonStrings(a.examples)}}));
  }
  return Value::MakeObject(std::move(o));
}

}  // namespace

bool PlanReport::ok() const {
  if (!destination_problems.empty()) return false;
  for (const auto& c : collections) {
    if (!c.problem.empty()) return false;
  }
  return true;
}

Result<PlanReport> PlanMigration(Source& source, const std::string& destination, const MigrateOptions& options) {
  PlanReport plan;
  plan.source = source.Describe();
  PolicyEngine policy(options.policies);
  CM_ASSIGN_OR_RETURN(auto collections, source.ListCollections());
  std::map<std::string, size_t> index_of;
  std::set<std::string> excluded;
  std::map<std::string, std::string> names;
  // Ids seen per collection, in about 23 bytes of memory each (the ids themselves wait in a
  // temporary file), with where each was first read.
  CM_ASSIGN_OR_RETURN(std::unique_ptr<SeenIds> seen, SeenIds::Create());
  for (const SourceCollection& c : collections) {
    if (!options.selection.Selected(c.name, c.key)) {
      excluded.insert(c.key);
      continue;
    }
    CollectionPlan cp;
    cp.key = c.key;
    cp.source_name = c.name;
    cp.name = c.name;
    ChangeCounts changes;
    auto spec = policy.ConvertCollection(c, &changes);
    if (!spec.ok()) {
      cp.problem = spec.status().message();
      cp.space = "?";
    } else {
      cp.name = spec->name;
      cp.space = SpaceName(spec->hnsw.space);
      cp.dimension = spec->dimension;
      for (const auto& [k, v] : changes) Note(&cp.changes, k, c.location, v);
      std::string db_name = spec->tenant + "/" + spec->database + "/" + spec->name;
      if (auto it = names.find(db_name); it != names.end()) {
        cp.problem = fmt::format("another collection ({}) would also be named \"{}\"; use --rename '{}=new_name'",
                                 it->second, spec->name, c.key);
      }
      names[db_name] = c.location;
    }
    index_of[c.key] = plan.collections.size();
    plan.collections.push_back(std::move(cp));
  }

  std::vector<SourceRecord> batch;
  bool done = false;
  while (!done) {
    batch.clear();
    CM_RETURN_IF_ERROR(source.Next(options.batch_rows, &batch, &done));
    for (const SourceRecord& r : batch) {
      ++plan.records;
      auto it = index_of.find(r.collection_key);
      if (it == index_of.end()) {
        if (!excluded.count(r.collection_key)) {
          Note(&plan.orphans, r.collection_key, r.location);
          ++plan.would_reject;
        }
        continue;
      }
      CollectionPlan& cp = plan.collections[it->second];
      ++cp.records;
      ConvertedRecord conv;
      ChangeCounts changes;
      auto why = policy.ConvertRecord(r, &conv, &changes);
      for (const auto& [k, v] : changes) Note(&cp.changes, k, r.location, v);
      if (why) {
        Note(&cp.rejects, why->code, r.location + ": " + why->detail);
        continue;
      }
      ++cp.dimensions[conv.embedding.size()];
      if (!cp.dimension) cp.dimension = conv.embedding.size();
      if (conv.embedding.size() != *cp.dimension) {
        Note(&cp.rejects, "embedding.dimension_mismatch",
             fmt::format("{}: {} values, the collection has {}", r.location, conv.embedding.size(), *cp.dimension));
        continue;
      }
      CM_ASSIGN_OR_RETURN(std::optional<std::string> earlier, seen->Find(r.collection_key, conv.id));
      if (earlier) {
        // The example names the record that would not be migrated.
        switch (options.policies.duplicates) {
          case DuplicatePolicy::kLast:
            Note(&cp.rejects, "id.duplicate_superseded",
                 fmt::format("{}: id \"{}\" (superseded by {})", *earlier, conv.id, r.location));
            CM_RETURN_IF_ERROR(seen->Put(r.collection_key, conv.id, r.location));
            break;
          case DuplicatePolicy::kFirst:
            Note(&cp.rejects, "id.duplicate_ignored",
                 fmt::format("{}: id \"{}\" (already at {})", r.location, conv.id, *earlier));
            break;
          case DuplicatePolicy::kFail:
            Note(&cp.rejects, "id.duplicate (--duplicates fail stops the run)",
                 fmt::format("{}: id \"{}\" (also at {})", r.location, conv.id, *earlier));
            if (cp.problem.empty()) {
              cp.problem = fmt::format("id \"{}\" appears more than once and --duplicates is fail", conv.id);
            }
            break;
        }
        continue;
      }
      CM_RETURN_IF_ERROR(seen->Put(r.collection_key, conv.id, r.location));
      ++cp.would_migrate;
      cp.bytes_ids += conv.id.size();
      if (conv.document) cp.bytes_documents += conv.document->size();
      for (const auto& e : conv.metadata) cp.bytes_metadata += e.key.size() + 16;
    }
  }
  const bool to_server = destination.rfind("http://", 0) == 0 || destination.rfind("https://", 0) == 0;
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  plan.estimate_builds_graphs = !to_server;
  for (auto& cp : plan.collections) {
    for (const auto& [code, a] : cp.rejects) plan.would_reject += a.count;
    plan.would_migrate += cp.would_migrate;
    if (!cp.problem.empty()) continue;
    size_t dim = cp.dimension.value_or(0);
    // SQLite: ids, metadata rows, the document twice (metadata + FTS content) plus the trigram
    // index (about 4x the text: 83 MB for 21.6 MB at 20,000 × 1536 with ~1,080-byte documents);
    // HNSW: vector + 2M level-0 links + label + length per record; while the graph waits for the
    // collection's last record (the spatial and shuffled insertion orders), its vectors once more
    // in a temporary file beside it; and the full-text postings spilled to a temporary file
    // (about 3x the text) once they outgrow their memory budget, until their segment is written.
    uint64_t sqlite = cp.would_migrate * 120 + cp.bytes_ids * 2 + cp.bytes_metadata * 2 + cp.bytes_documents * 6;
    uint64_t hnsw = cp.would_migrate * (dim * 4 + 32 * 4 + 4 + 8 + 4 + 16);
    uint64_t spill = cp.would_migrate * dim * 4 + cp.bytes_documents * 3;
    plan.estimated_bytes += sqlite + hnsw + spill;
    // Fitted to bench/ on 2 cores at 5d33197 (the spatial insertion order, the fixed-point
    // build; the million-record run at cb2fe31; within 6 % at 10k, 100k and a million × 384 and
    // at 20,000 × 1536): building the graph costs ~(3.1 + 0.0024 · dimension) µs of CPU per
    // record and level (log2 of the collection's size) while the graph (2 bytes per dimension
    // plus 136 of links and label per record) fits in the last-level cache, and 3.6 % more per
    // further cache's worth, as more of what an insertion compares comes from memory (1.9× at a
    // million × 384); spread over the cores, plus ~15 µs per record of reading and SQLite. Into a
    // server, Chroma's ingest sets the pace (the tool reaches 0.9–1.0 of it): ~0.47 ms per
    // record plus 0.17 µs per dimension. Those fits had documents of ~58 bytes; each byte beyond
    // costs the trigram full-text index ~0.07 µs (the native FTS5 writer, chroma/fulltext_index.h,
    // its tokens gathered beside the rows; into a server, Chroma's own FTS5 ~0.77 µs): 20,000 ×
    // 1536 with ~1,080-byte documents at 990cdda, 2.67 s building against 1.24 s, Chroma's ingest
    // 28.92 s against 13.28 s (9968b0a).
    const double n = static_cast<double>(cp.would_migrate), d = static_cast<double>(dim);
    const double extra_text = std::max(0.0, static_cast<double>(cp.bytes_documents) - 58.0 * n);
    const double cache_bytes = 32.0 * (1 << 20);  // the cache size the fit assumes (a VM misreports the real one)
    const double over_cache = std::max(0.0, n * (2 * d + 136) / cache_bytes - 1);
    plan.estimated_seconds +=
        to_server ? n * (4.7e-4 + 1.65e-7 * d) + 7.7e-7 * extra_text
                  : n * ((3.1e-6 + 2.4e-9 * d) * std::log2(std::max(n, 2.0)) * (1 + 0.036 * over_cache) / cores + 1.5e-5) +
                        7e-8 * extra_text;
  }
  std::map<std::string, uint64_t> per_key;
  for (const auto& cp : plan.collections) per_key[cp.key] = cp.records;
  plan.notes = source.Diagnostics(per_key);

  if (!destination.empty() && !to_server) {
    bool empty_dir = false;
    auto free = PathIsFree(destination, &empty_dir);
    if (!free.ok()) {
      plan.destination_problems.push_back(free.status().message());
    } else if (!free.value() && !empty_dir) {
      plan.destination_problems.push_back(fmt::format(
          "{} exists and is not empty: the migration refuses it unless --overwrite is given", destination));
    }
    std::error_code ec;
    fs::path parent = fs::path(destination).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
      plan.destination_problems.push_back(fmt::format("the parent directory {} does not exist", parent.string()));
    } else {
      auto space = fs::space(parent.empty() ? "." : parent, ec);
      if (!ec && space.available < plan.estimated_bytes) {
        plan.destination_problems.push_back(fmt::format("about {} MiB are needed but only {} MiB are free on {}",
                                                        plan.estimated_bytes >> 20, space.available >> 20,
                                                        parent.empty() ? "." : parent.string()));
      }
    }
  }
  return plan;
}

std::string PlanText(const PlanReport& p) {
  std::string o = fmt::format("Source: {}\n", p.source);
  o += fmt::format("{} records in {} collections; {} would be migrated, {} rejected.\n\n", p.records,
                   p.collections.size(), p.would_migrate, p.would_reject);
  for (const auto& c : p.collections) {
    std::string dims;
    for (const auto& [d, n] : c.dimensions) dims += fmt::format("{}{}×{}", dims.empty() ? "" : ", ", n, d);
    o += fmt::format("  {}{}  {} records  space {}  dimensions [{}]\n", c.name,
                     c.name != c.source_name ? " (was \"" + c.source_name + "\")" : "", c.records, c.space, dims);
    if (!c.problem.empty()) o += fmt::format("    PROBLEM: {}\n", c.problem);
    for (const auto& [code, a] : c.changes) {
      o += fmt::format("    change  {:<38} {:>8}   e.g. {}\n", code, a.count, a.examples.empty() ? "" : a.examples[0]);
    }
    for (const auto& [code, a] : c.rejects) {
      o += fmt::format("    reject  {:<38} {:>8}   e.g. {}\n", code, a.count, a.examples.empty() ? "" : a.examples[0]);
    }
  }
  for (const auto& [key, a] : p.orphans) {
    o += fmt::format("  {} records belong to collection {}, which the source does not list (rejected); e.g. {}\n",
                     a.count, key, a.examples[0]);
  }
  if (!p.notes.empty()) {
    o += "\nSource notes:\n";
    for (const auto& n : p.notes) o += "  " + n + "\n";
  }
  if (!p.destination_problems.empty()) {
    o += "\nDestination problems:\n";
    for (const auto& n : p.destination_problems) o += "  " + n + "\n";
  }
  o += fmt::format("\nEstimate: about {:.0f} MiB of disk at the peak, about {:.0f} s on this machine{}.\n",
                   static_cast<double>(p.estimated_bytes) / (1 << 20), p.estimated_seconds + 0.5,
                   p.estimate_builds_graphs ? " if every graph is built (reusing a source's graph saves the graph's "
                                              "part; long documents' full-text index is counted either way)"
                                            : "");
  o += p.ok() ? "Nothing stops this migration.\n" : "Fix the problems above before migrating.\n";
  return o;
}

std::string PlanJson(const PlanReport& p) {
  Value::Array collections;
  for (const auto& c : p.collections) {
    Value::Object dims;
    for (const auto& [d, n] : c.dimensions) dims.emplace_back(std::to_string(d), JsonCount(n));
    collections.push_back(Value::MakeObject({{"name", Value::String(c.name)},
                                             {"source_name", Value::String(c.source_name)},
                                             {"key", Value::String(c.key)},
                                             {"space", Value::String(c.space)},
                                             {"problem", JsonStringOrNull(c.problem)},
                                             {"records", JsonCount(c.records)},
                                             {"would_migrate", JsonCount(c.would_migrate)},
                                             {"dimensions", Value::MakeObject(std::move(dims))},
                                             {"changes", AnomaliesJson(c.changes)},
                                             {"rejects", AnomaliesJson(c.rejects)}}));
  }
  return ToJson(Value::MakeObject({{"source", Value::String(p.source)},
                                   {"records", JsonCount(p.records)},
                                   {"would_migrate", JsonCount(p.would_migrate)},
                                   {"would_reject", JsonCount(p.would_reject)},
                                   {"estimated_bytes", JsonCount(p.estimated_bytes)},
                                   {"estimated_seconds", JsonRounded(p.estimated_seconds, 1)},
                                   {"ok", Value::Bool(p.ok())},
                                   {"notes", JsonStrings(p.notes)},
                                   {"destination_problems", JsonStrings(p.destination_problems)},
                                   {"orphans", AnomaliesJson(p.orphans)},
                                   {"collections", Value::MakeArray(std::move(collections))}}));
}

}  // namespace cm
