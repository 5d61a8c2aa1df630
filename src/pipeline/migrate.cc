#include "pipeline/migrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "formats/json/json_writer.h"
#include "pipeline/collection_buffer.h"
#include "pipeline/record_spill.h"
#include "pipeline/rejects.h"
#include "sinks/reused_graph.h"

namespace cm {
namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void Merge(ChangeCounts* into, const ChangeCounts& from) {
  for (const auto& [k, v] : from) (*into)[k] += v;
}

}  // namespace

bool Selection::Selected(const std::string& name, const std::string& key) const {
  if (exclude.count(name) || exclude.count(key)) return false;
  return include.empty() || include.count(name) || include.count(key);
}

namespace {

// The held records of one collection, partition by partition (all occurrences of an id are in
// one partition, in source order): the duplicate policy picks the winners, which join the
// collection; the others go to the rejects file.
Status AddHeld(const RecordSpill& held, CollectionWriter* writer, DuplicatePolicy duplicates, const std::string& key,
               RejectsFile* rejects, MigrationReport* report, CollectionReport* cr) {
  for (size_t p = 0; p < held.partitions(); ++p) {
    CollectionBuffer buf(writer->spec(), duplicates);
    CM_RETURN_IF_ERROR(held.ForEach(p, [&](ByteCursor& c) -> Status {
      std::string location;
      ConvertedRecord conv;
      CM_RETURN_IF_ERROR(DecodeConverted(c, &location, &conv));
      std::optional<ConvertedRecord> displaced;
      std::string displaced_location;
      std::optional<RejectReason> why;
      CM_RETURN_IF_ERROR(buf.Add(std::move(conv), location, &displaced, &displaced_location, &why, &cr->changes));
      if (displaced) {
        CM_RETURN_IF_ERROR(rejects->AddConverted(writer->spec().name, key, displaced_location, *displaced, *why));
        ++report->rejected_by_reason[why->code];
        ++cr->rejected;
      }
      return Status::Ok();
    }));
    RecordBatch& b = buf.mutable_records();
    for (size_t i = 0; i < b.size(); ++i) {
      CM_RETURN_IF_ERROR(writer->Add(ConvertedRecord{std::move(b.ids[i]), {b.embedding(i), b.embedding(i) + b.dim},
                                                     std::move(b.documents[i]), std::move(b.uris[i]),
                                                     std::move(b.metadatas[i])}));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<MigrationReport> MigrateToPersistDir(Source& source, PersistDirWriterOptions dest, const MigrateOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  MigrationReport report;
  report.source = source.Describe();
  report.destination = fmt::format("Chroma 1.x persist directory {} (schema: Chroma's {} migration set, written natively)",
                                   dest.destination, dest.schema_release);
  PolicyEngine policy(options.policies);

  // 1. Collections: convert and validate all of them before reading a record.
  CM_ASSIGN_OR_RETURN(auto collections, source.ListCollections());
  std::unique_ptr<PersistDirWriter> writer;  // declared first: it must outlive the CollectionWriters
  struct Target {
    CollectionSpec spec;
    std::optional<uint64_t> expected;
    std::unique_ptr<CollectionWriter> writer;
    std::set<std::string> repeated;     // ids that occur more than once: held back until the end
    std::unique_ptr<RecordSpill> held;  // their records, by hash of id (in memory, else a temporary file)
    std::optional<GraphCache> offered;  // a graph to adopt, opened when the first record arrives
  };
  std::map<std::string, Target> targets;  // by source key
  std::vector<std::string> order;
  std::set<std::string> excluded_keys;
  std::map<std::pair<std::string, std::string>, std::string> names_seen;  // (db, name) -> location
  std::map<std::string, CollectionReport> reports;
  for (const SourceCollection& c : collections) {
    if (!options.selection.Selected(c.name, c.key)) {
      excluded_keys.insert(c.key);
      continue;
    }
    if (targets.count(c.key)) {
      return Status::Corrupt(fmt::format("{}: collection id {} appears twice in the source", c.location, c.key));
    }
    CollectionReport cr;
    CM_ASSIGN_OR_RETURN(CollectionSpec spec, policy.ConvertCollection(c, &cr.changes));
    if (options.dest_tenant) spec.tenant = *options.dest_tenant;
    if (options.dest_database) spec.database = *options.dest_database;
    auto db_name = std::make_pair(spec.tenant + "/" + spec.database, spec.name);
    if (auto it = names_seen.find(db_name); it != names_seen.end()) {
      return Status::InvalidArgument(fmt::format(
          "two collections would be named \"{}\" ({} and {}); give one another name with --rename '{}=new_name'",
          spec.name, it->second, c.location, c.key));
    }
    names_seen[db_name] = c.location;
    cr.source_name = c.name;
    cr.source_key = c.key;
    cr.name = spec.name;
    cr.space = SpaceName(spec.hnsw.space);
    reports[c.key] = cr;
    order.push_back(c.key);
    targets[c.key] = Target{std::move(spec), c.expected_count, nullptr, {}, nullptr};
  }
  if (!options.selection.include.empty()) {
    for (const std::string& want : options.selection.include) {
      bool found = false;
      for (const auto& c : collections) found = found || c.name == want || c.key == want;
      if (!found) return Status::NotFound(fmt::format("--collections names \"{}\", which is not in the source", want));
    }
  }

  // 2. The destination is checked (and staged) before any record is read; then the census
  // (counts and repeated ids, for sources whose ids may repeat) sizes each graph.
  dest.progress = [&](const std::string& name, const char* stage, size_t d, size_t t) {
    if (options.progress) options.progress(stage, name, d, t);
  };
  CM_ASSIGN_OR_RETURN(writer, PersistDirWriter::Create(dest));
  // A whole source brings its tenants and databases along, those without collections too.
  if (options.selection.include.empty() && options.selection.exclude.empty() && !options.dest_tenant &&
      !options.dest_database) {
    CM_ASSIGN_OR_RETURN(auto databases, source.ListDatabases());
    for (const auto& [tenant, database] : databases) CM_RETURN_IF_ERROR(writer->AddDatabase(tenant, database));
  }
  CM_ASSIGN_OR_RETURN(std::optional<IdCensus> census, source.CensusIds());
  size_t holding = 0;
  for (const std::string& key : order) {
    Target& t = targets[key];
    if (census) {
      auto n = census->records.find(key);
      t.expected = n == census->records.end() ? 0 : n->second;
      if (auto r = census->repeated.find(key); r != census->repeated.end()) t.repeated = std::move(r->second);
    }
    holding += t.repeated.empty() ? 0 : 1;
  }
  for (const std::string& key : order) {
    Target& t = targets[key];
    if (!t.repeated.empty()) {
      // Held records share options.held_memory; past it they go to partitions on disk.
      uint64_t budget = std::max<uint64_t>(options.held_memory / holding, 1);
      t.held = std::make_unique<RecordSpill>(fmt::format("held records of collection \"{}\"", t.spec.name), budget);
      t.held->set_expected_records(t.expected);  // all the collection's records: an upper bound
    }
    CM_ASSIGN_OR_RETURN(t.writer, writer->BeginCollection(t.spec, t.expected.value_or(0)));
    if (auto cache = source.CachedGraph(key); cache && options.reuse_graphs && t.expected.value_or(0) > 0) {
      reports[key].graph_source = cache->kind == GraphCache::Kind::kSegment ? "the source's HNSW segment" : "index/";
      if (!t.repeated.empty()) {
        reports[key].graph_note = fmt::format("not reused: {}: ids repeat in the collection", cache->index_path);
        continue;
      }
      t.offered = std::move(cache);
    }
  }
  // A graph is read only when its collection's first record arrives: by then the source has
  // read (and freed) what it needed for that collection first, which is not then beside the
  // graph (a modern source's index_metadata.pickle: ~0.9 GB of parse tree at a million ids).
  auto offer_graph = [&](const std::string& key, Target& t) {
    GraphCache cache = std::move(*t.offered);
    t.offered.reset();
    auto graph = cache.kind == GraphCache::Kind::kSegment
                     ? ReusedGraph::OpenSegment(cache.index_path, cache.labels_path, t.spec.hnsw, *t.expected,
                                                cache.parsed_labels.get())
                     : ReusedGraph::Open(cache.index_path, cache.labels_path, t.spec.hnsw, *t.expected);
    if (graph.ok()) {
      t.writer->ReuseGraph(std::move(*graph));
    } else {
      reports[key].graph_note = fmt::format("not reused: {}", graph.status().message());
    }
  };

  // 3. Stream records through the policies into the writers: each record's rows are written and
  // its vector queued for the graph at once; only records with repeated ids wait.
  RejectsFile rejects(options.rejects_path);
  std::vector<SourceRecord> batch;
  bool done = false;
  auto total = source.TotalRecords();
  auto t_read = std::chrono::steady_clock::now();
  SpillEncoder enc;
  while (!done) {
    if (options.cancel && options.cancel->load()) return Status::Cancelled("interrupted; nothing was written");
    batch.clear();
    CM_RETURN_IF_ERROR(source.Next(options.batch_rows, &batch, &done));
    for (SourceRecord& r : batch) {
      ++report.records_read;
      auto it = targets.find(r.collection_key);
      if (it == targets.end()) {
        if (excluded_keys.count(r.collection_key)) {
          ++report.records_skipped;
          continue;
        }
        RejectReason why{"collection.orphan",
                         fmt::format("collection_uuid \"{}\" is not in the source's collection list", r.collection_key)};
        CM_RETURN_IF_ERROR(rejects.AddSource("", r, why));
        ++report.rejected_by_reason[why.code];
        ++report.records_rejected;
        continue;
      }
      Target& t = it->second;
      CollectionReport& cr = reports[r.collection_key];
      ++cr.read;
      ConvertedRecord conv;
      std::optional<RejectReason> why = policy.ConvertRecord(r, &conv, &cr.changes);
      if (!why) why = t.writer->CheckDimension(conv.embedding.size(), r.location);
      if (why) {
        CM_RETURN_IF_ERROR(rejects.AddSource(t.spec.name, r, *why));
        ++report.rejected_by_reason[why->code];
        ++cr.rejected;
        continue;
      }
      if (t.held && t.repeated.count(conv.id)) {
        enc.Clear();
        EncodeConverted(&enc, r.location, conv);
        CM_RETURN_IF_ERROR(t.held->Add(SpillHash(r.collection_key, conv.id), enc.bytes()));
      } else {
        if (t.offered) offer_graph(r.collection_key, t);
        CM_RETURN_IF_ERROR(t.writer->Add(std::move(conv)));
      }
    }
    if (options.progress) options.progress("read", "", report.records_read, total.value_or(0));
  }
  report.seconds_reading = Since(t_read);
  for (auto& [key, t] : targets) {
    if (t.offered) reports[key].graph_note = fmt::format("not reused: {}: no record of the collection was migrated",
                                                         t.offered->index_path);
  }

  // 4. The held records join their collections; each graph is finished and written; commit.
  auto t_write = std::chrono::steady_clock::now();
  for (const std::string& key : order) {
    if (options.cancel && options.cancel->load()) return Status::Cancelled("interrupted; nothing was written");
    Target& t = targets[key];
    if (!t.held) continue;
    CM_RETURN_IF_ERROR(t.held->Finish());
    report.records_held += t.held->records();
    if (t.held->on_disk()) report.held_spilled_bytes += t.held->bytes();
    CM_RETURN_IF_ERROR(AddHeld(*t.held, t.writer.get(), options.policies.duplicates, key, &rejects, &report, &reports[key]));
    t.held.reset();
  }
  CM_RETURN_IF_ERROR(writer->EndOfRecords());
  for (const std::string& key : order) {
    if (options.cancel && options.cancel->load()) return Status::Cancelled("interrupted; nothing was written");
    Target& t = targets[key];
    CollectionReport& cr = reports[key];
    CM_ASSIGN_OR_RETURN(WrittenCollection w, t.writer->Finish());
    cr.id = w.id;
    cr.dimension = t.writer->spec().dimension;
    cr.migrated = w.records;
    cr.graph_reused = w.graph_reused;
    if (!w.graph_note.empty()) cr.graph_note = w.graph_note;
    cr.graph_arithmetic = w.graph_arithmetic;
    cr.graph_order = w.graph_order;
    report.records_migrated += w.records;
    t.writer.reset();
  }
  CM_RETURN_IF_ERROR(writer->Commit());
  CM_RETURN_IF_ERROR(rejects.Commit());
  report.seconds_writing = Since(t_write);

  for (const std::string& key : order) {
    CollectionReport& cr = reports[key];
    report.records_rejected += cr.rejected;
    Merge(&report.changes, cr.changes);
    report.collections.push_back(cr);
  }
  report.rejects_path = rejects.count() > 0 ? rejects.path() : "";
  report.seconds_total = Since(t0);
  return report;
}

std::string ReportJson(const MigrationReport& r) {
  Value::Array collections;
  for (const CollectionReport& c : r.collections) {
    collections.push_back(Value::MakeObject({
        {"name", Value::String(c.name)},
        {"source_name", Value::String(c.source_name)},
        {"source_key", Value::String(c.source_key)},
        {"id", Value::String(c.id)},
        {"space", Value::String(c.space)},
        {"dimension", c.dimension ? JsonCount(*c.dimension) : Value::Null()},
        {"read", JsonCount(c.read)},
        {"migrated", JsonCount(c.migrated)},
        {"rejected", JsonCount(c.rejected)},
        {"changes", JsonCounts(c.changes)},
        {"graph", Value::String(c.graph_reused ? "reused" : "built")},
        {"graph_note", JsonStringOrNull(c.graph_note)},
        {"graph_source", JsonStringOrNull(c.graph_source)},
        {"graph_arithmetic", JsonStringOrNull(c.graph_arithmetic)},
        {"graph_order", JsonStringOrNull(c.graph_order)},
    }));
  }
  return ToJson(Value::MakeObject({
      {"tool", Value::String("chroma-migrate " CM_VERSION)},
      {"source", Value::String(r.source)},
      {"destination", Value::String(r.destination)},
      {"records_read", JsonCount(r.records_read)},
      {"records_migrated", JsonCount(r.records_migrated)},
      {"records_rejected", JsonCount(r.records_rejected)},
      {"records_skipped", JsonCount(r.records_skipped)},
      {"rejected_by_reason", JsonCounts(r.rejected_by_reason)},
      {"changes", JsonCounts(r.changes)},
      {"rejects_file", JsonStringOrNull(r.rejects_path)},
      {"records_held", JsonCount(r.records_held)},
      {"held_spilled_bytes", JsonCount(r.held_spilled_bytes)},
      {"seconds", Value::MakeObject({{"reading", JsonRounded(r.seconds_reading, 3)},
                                     {"writing", JsonRounded(r.seconds_writing, 3)},
                                     {"total", JsonRounded(r.seconds_total, 3)}})},
      {"collections", Value::MakeArray(std::move(collections))},
  }));
}

}  // namespace cm
