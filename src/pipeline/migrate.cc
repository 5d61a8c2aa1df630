#include "pipeline/migrate.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <memory>

#include "formats/json/json_writer.h"
#include "pipeline/collection_buffer.h"
#include "pipeline/rejects.h"

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

Result<MigrationReport> MigrateToPersistDir(Source& source, PersistDirWriterOptions dest, const MigrateOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  MigrationReport report;
  report.source = source.Describe();
  report.destination = fmt::format("Chroma 1.x persist directory {} (schema: Chroma's {} migration set, written natively)",
                                   dest.destination, dest.schema_release);
  PolicyEngine policy(options.policies);

  // 1. Collections: convert and validate all of them before reading a record.
  CM_ASSIGN_OR_RETURN(auto collections, source.ListCollections());
  std::map<std::string, std::unique_ptr<CollectionBuffer>> buffers;  // by source key
  std::vector<std::string> order;
  std::set<std::string> excluded_keys;
  std::map<std::pair<std::string, std::string>, std::string> names_seen;  // (db, name) -> location
  std::map<std::string, CollectionReport> reports;
  for (const SourceCollection& c : collections) {
    if (!options.selection.Selected(c.name, c.key)) {
      excluded_keys.insert(c.key);
      continue;
    }
    if (buffers.count(c.key)) {
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
    buffers[c.key] = std::make_unique<CollectionBuffer>(std::move(spec), options.policies.duplicates);
  }
  if (!options.selection.include.empty()) {
    for (const std::string& want : options.selection.include) {
      bool found = false;
      for (const auto& c : collections) found = found || c.name == want || c.key == want;
      if (!found) return Status::NotFound(fmt::format("--collections names \"{}\", which is not in the source", want));
    }
  }

  // 2. The destination is checked (and staged) before any record is read.
  dest.progress = [&](const std::string& name, const char* stage, size_t d, size_t t) {
    if (options.progress) options.progress(stage, name, d, t);
  };
  CM_ASSIGN_OR_RETURN(auto writer, PersistDirWriter::Create(dest));

  // 3. Stream records through the policies into the buffers.
  RejectsFile rejects(options.rejects_path);
  std::vector<SourceRecord> batch;
  bool done = false;
  auto total = source.TotalRecords();
  auto t_read = std::chrono::steady_clock::now();
  while (!done) {
    if (options.cancel && options.cancel->load()) return Status::Cancelled("interrupted; nothing was written");
    batch.clear();
    CM_RETURN_IF_ERROR(source.Next(options.batch_rows, &batch, &done));
    for (SourceRecord& r : batch) {
      ++report.records_read;
      auto it = buffers.find(r.collection_key);
      if (it == buffers.end()) {
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
      CollectionBuffer& buf = *it->second;
      CollectionReport& cr = reports[r.collection_key];
      ++cr.read;
      ConvertedRecord conv;
      if (auto why = policy.ConvertRecord(r, &conv, &cr.changes)) {
        CM_RETURN_IF_ERROR(rejects.AddSource(buf.spec().name, r, *why));
        ++report.rejected_by_reason[why->code];
        ++cr.rejected;
        continue;
      }
      std::optional<ConvertedRecord> displaced;
      std::string displaced_location;
      std::optional<RejectReason> why;
      CM_RETURN_IF_ERROR(buf.Add(std::move(conv), r.location, &displaced, &displaced_location, &why, &cr.changes));
      if (displaced) {
        CM_RETURN_IF_ERROR(rejects.AddConverted(buf.spec().name, r.collection_key, displaced_location, *displaced, *why));
        ++report.rejected_by_reason[why->code];
        ++cr.rejected;
      }
    }
    if (options.progress) options.progress("read", "", report.records_read, total.value_or(0));
  }
  report.seconds_reading = Since(t_read);

  // 4. Write every collection, then commit atomically.
  auto t_write = std::chrono::steady_clock::now();
  for (const std::string& key : order) {
    if (options.cancel && options.cancel->load()) return Status::Cancelled("interrupted; nothing was written");
    CollectionBuffer& buf = *buffers[key];
    CollectionReport& cr = reports[key];
    CM_ASSIGN_OR_RETURN(WrittenCollection w, writer->WriteCollection(buf.spec(), buf.records()));
    cr.id = w.id;
    cr.dimension = buf.spec().dimension;
    cr.migrated = w.records;
    report.records_migrated += w.records;
    buf.mutable_records() = RecordBatch();  // free memory before the next collection
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
  std::string o = "{\"tool\":\"chroma-migrate " CM_VERSION "\",\"source\":";
  AppendJsonString(&o, r.source);
  o += ",\"destination\":";
  AppendJsonString(&o, r.destination);
  o += fmt::format(",\"records_read\":{},\"records_migrated\":{},\"records_rejected\":{},\"records_skipped\":{}",
                   r.records_read, r.records_migrated, r.records_rejected, r.records_skipped);
  auto counts = [&](const char* key, const std::map<std::string, uint64_t>& m) {
    o += ",\"";
    o += key;
    o += "\":{";
    bool first = true;
    for (const auto& [k, v] : m) {
      if (!first) o += ",";
      first = false;
      AppendJsonString(&o, k);
      o += fmt::format(":{}", v);
    }
    o += "}";
  };
  counts("rejected_by_reason", r.rejected_by_reason);
  counts("changes", r.changes);
  o += ",\"rejects_file\":";
  if (r.rejects_path.empty()) o += "null"; else AppendJsonString(&o, r.rejects_path);
  o += fmt::format(",\"seconds\":{{\"reading\":{:.3f},\"writing\":{:.3f},\"total\":{:.3f}}}", r.seconds_reading,
                   r.seconds_writing, r.seconds_total);
  o += ",\"collections\":[";
  for (size_t i = 0; i < r.collections.size(); ++i) {
    const auto& c = r.collections[i];
    if (i) o += ",";
    o += "{\"name\":";
    AppendJsonString(&o, c.name);
    o += ",\"source_name\":";
    AppendJsonString(&o, c.source_name);
    o += ",\"source_key\":";
    AppendJsonString(&o, c.source_key);
    o += ",\"id\":";
    AppendJsonString(&o, c.id);
    o += ",\"space\":";
    AppendJsonString(&o, c.space);
    o += ",\"dimension\":";
    o += c.dimension ? std::to_string(*c.dimension) : "null";
    o += fmt::format(",\"read\":{},\"migrated\":{},\"rejected\":{}", c.read, c.migrated, c.rejected);
    counts("changes", c.changes);
    o += "}";
  }
  o += "]}";
  return o;
}

}  // namespace cm
