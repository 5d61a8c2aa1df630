#include "pipeline/migrate_to_server.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <memory>
#include <unordered_map>

#include "chroma/api_client.h"
#include "pipeline/rejects.h"
#include "pipeline/resume_journal.h"
#include "pipeline/seen_ids.h"
#include "sinks/server_batch.h"
#include "sinks/server_sink.h"

namespace cm {
namespace {

constexpr size_t kInFlightBytes = 64u << 20;   // queued + in-flight request bodies (estimated)
constexpr size_t kOpenBatchBytes = 32u << 20;  // batches being filled, all collections together

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void Merge(ChangeCounts* into, const ChangeCounts& from) {
  for (const auto& [k, v] : from) (*into)[k] += v;
}

const char* OnExistingName(OnExisting o) {
  switch (o) {
    case OnExisting::kFail: return "fail";
    case OnExisting::kSkip: return "skip";
    case OnExisting::kAppend: return "append";
    case OnExisting::kUpsert: return "upsert";
  }
  return "?";
}

// One destination collection being filled.
struct Target {
  CollectionSpec spec;
  CollectionReport report;
  std::shared_ptr<RemoteCollection> remote;
  bool skip = false;         // --on-existing skip
  bool created = false;      // created by this migration (or the run being resumed)
  WriteMode mode = WriteMode::kAdd;
  std::optional<size_t> dim;
  std::string dim_location;
  // the batch being filled
  RecordBatch open;
  std::unordered_map<std::string, size_t> open_rows;
  std::vector<std::string> open_locations;
  std::vector<std::string> delete_first;
  size_t open_bytes = 0;
};

Metadata MetadataFromValue(const Value& v) {
  Metadata m;
  if (!v.is_object()) return m;
  for (const auto& [k, x] : v.as_object()) {
    switch (x.kind()) {
      case Value::Kind::kBool: m.push_back({k, x.as_bool()}); break;
      case Value::Kind::kInt: m.push_back({k, x.as_int()}); break;
      case Value::Kind::kDouble: m.push_back({k, x.as_double()}); break;
      case Value::Kind::kString: m.push_back({k, x.as_string()}); break;
      default: break;
    }
  }
  return m;
}

class Runner {
 public:
  Runner(Source& source, const std::string& url, const EndpointOptions& endpoint, const ServerSinkOptions& sink,
         const MigrateOptions& options)
      : source_(source), url_(url), endpoint_(endpoint), sink_(sink), options_(options), policy_(options.policies),
        rejects_(options.rejects_path) {}

  Result<MigrationReport> Run();

 private:
  Status PlanCollections();
  Status PrepareDestination();
  std::string JournalKey() const;
  Status Stream();
  Status Accept(SourceRecord& r);
  Status Flush(Target& t);
  Status FlushLargest();
  Status Reject(Target& t, const std::string& location, const ConvertedRecord& rec, const RejectReason& why);
  Status Superseded(Target& t, const std::string& id, const std::string& earlier_location, const std::string& location);
  Status OnDone(const WriteJob& job);
  Status Finish();
  bool Cancelled() const { return options_.cancel != nullptr && options_.cancel->load(); }

  Source& source_;
  std::string url_;
  EndpointOptions endpoint_;
  ServerSinkOptions sink_;
  const MigrateOptions& options_;
  PolicyEngine policy_;
  RejectsFile rejects_;
  MigrationReport report_;
  std::unique_ptr<ApiClient> api_;
  BatchLimits limits_;
  std::map<std::string, std::unique_ptr<Target>> targets_;  // by source key
  std::vector<std::string> order_;
  std::set<std::string> excluded_keys_;
  std::unique_ptr<ResumeJournal> journal_;
  std::unique_ptr<SeenIds> seen_;
  std::unique_ptr<ServerWriter> writer_;
  uint64_t next_seq_ = 0;
  size_t open_bytes_ = 0;
  uint64_t acked_rows_ = 0;  // guarded by the writer's lock (OnDone)
  uint64_t expected_total_ = 0;
};

Status Runner::PlanCollections() {
  CM_ASSIGN_OR_RETURN(auto collections, source_.ListCollections());
  std::map<std::string, std::string> names_seen;
  for (const SourceCollection& c : collections) {
    if (!options_.selection.Selected(c.name, c.key)) {
      excluded_keys_.insert(c.key);
      continue;
    }
    if (targets_.count(c.key)) {
      return Status::Corrupt(fmt::format("{}: collection id {} appears twice in the source", c.location, c.key));
    }
    auto t = std::make_unique<Target>();
    CM_ASSIGN_OR_RETURN(t->spec, policy_.ConvertCollection(c, &t->report.changes));
    if (auto it = names_seen.find(t->spec.name); it != names_seen.end()) {
      return Status::InvalidArgument(fmt::format(
          "two collections would be named \"{}\" ({} and {}); give one another name with --rename '{}=new_name'",
          t->spec.name, it->second, c.location, c.key));
    }
    names_seen[t->spec.name] = c.location;
    t->report.source_name = c.name;
    t->report.source_key = c.key;
    t->report.name = t->spec.name;
    t->report.space = SpaceName(t->spec.hnsw.space);
    if (c.expected_count) expected_total_ += *c.expected_count;
    order_.push_back(c.key);
    targets_[c.key] = std::move(t);
  }
  for (const std::string& want : options_.selection.include) {
    bool found = false;
    for (const auto& c : collections) found = found || c.name == want || c.key == want;
    if (!found) return Status::NotFound(fmt::format("--collections names \"{}\", which is not in the source", want));
  }
  return Status::Ok();
}

std::string Runner::JournalKey() const {
  const auto& p = options_.policies;
  std::string k = fmt::format("source={}\ndestination={} {}/{}\non_existing={}\nrows={} bytes={} base64={}\n",
                              source_.Describe(), api_->http().base_url(), api_->tenant(), api_->database(),
                              OnExistingName(sink_.on_existing), limits_.max_rows, limits_.max_bytes,
                              api_->info().supports_base64);
  k += fmt::format("nested={} duplicates={} null_ids={}\n", static_cast<int>(p.nested), static_cast<int>(p.duplicates),
                   static_cast<int>(p.null_ids));
  for (const auto& [a, b] : p.renames) k += fmt::format("rename {}={}\n", a, b);
  for (const auto& s : options_.selection.include) k += "include " + s + "\n";
  for (const auto& s : options_.selection.exclude) k += "exclude " + s + "\n";
  return k;
}

Status Runner::PrepareDestination() {
  CM_RETURN_IF_ERROR(api_->EnsureDatabase(endpoint_.create_database));
  limits_ = ComputeBatchLimits(api_->info(), sink_.batch_size);
  std::string dir = sink_.journal_dir.empty() ? DefaultJournalDir() : sink_.journal_dir;
  // Without --resume an old journal is replaced, but only once nothing stops the run, so that a
  // mistaken run without the flag does not lose what an interrupted one recorded.
  if (sink_.resume) {
    CM_ASSIGN_OR_RETURN(journal_, ResumeJournal::Open(dir, JournalKey(), true));
  }
  auto created_by_journal = [&](const std::string& name) -> std::optional<std::string> {
    return journal_ ? journal_->CreatedCollection(name) : std::nullopt;
  };

  CM_ASSIGN_OR_RETURN(auto existing, api_->ListCollections());
  std::map<std::string, RemoteCollection> by_name;
  for (auto& c : existing) by_name[c.name] = c;
  std::vector<std::string> clashes;
  for (const std::string& key : order_) {
    Target& t = *targets_[key];
    auto it = by_name.find(t.spec.name);
    if (it == by_name.end()) continue;
    auto mine = created_by_journal(t.spec.name);
    if (mine && *mine == it->second.id) continue;  // created by the run being resumed
    clashes.push_back(t.spec.name);
  }
  if (!clashes.empty() && sink_.on_existing == OnExisting::kFail) {
    return Status::AlreadyExists(fmt::format(
        "{} collection(s) already exist on {}: {}; nothing was written. Choose --on-existing skip, append or upsert, "
        "--rename them, or --resume an interrupted run",
        clashes.size(), api_->Describe(), fmt::join(clashes, ", ")));
  }
  if (!journal_) {
    CM_ASSIGN_OR_RETURN(journal_, ResumeJournal::Open(dir, JournalKey(), false));
  }
  for (const std::string& key : order_) {
    Target& t = *targets_[key];
    auto it = by_name.find(t.spec.name);
    auto mine = journal_->CreatedCollection(t.spec.name);
    if (it != by_name.end() && mine && *mine == it->second.id) {
      t.remote = std::make_shared<RemoteCollection>(it->second);
      t.created = true;
    } else if (it != by_name.end()) {
      if (sink_.on_existing == OnExisting::kSkip) {
        t.skip = true;
        continue;
      }
      t.remote = std::make_shared<RemoteCollection>(it->second);
      t.mode = sink_.on_existing == OnExisting::kUpsert && api_->info().has_upsert ? WriteMode::kUpsert : WriteMode::kAdd;
      if (t.remote->dimension) {
        t.dim = t.remote->dimension;
        t.dim_location = "the existing destination collection";
      }
    } else {
      CM_ASSIGN_OR_RETURN(RemoteCollection rc, api_->CreateCollection(t.spec));
      t.remote = std::make_shared<RemoteCollection>(rc);
      t.created = true;
      CM_RETURN_IF_ERROR(journal_->RecordCollection(rc.name, rc.id));
    }
    t.report.id = t.remote->id;
  }
  return Status::Ok();
}

Status Runner::Reject(Target& t, const std::string& location, const ConvertedRecord& rec, const RejectReason& why) {
  CM_RETURN_IF_ERROR(rejects_.AddConverted(t.spec.name, t.report.source_key, location, rec, why));
  ++report_.rejected_by_reason[why.code];
  ++t.report.rejected;
  return Status::Ok();
}

// `id` was already handed to the writer: wait for it to be stored, keep what the server holds
// for the rejects file, and have the next batch delete it before adding the later occurrence.
Status Runner::Superseded(Target& t, const std::string& id, const std::string& earlier_location,
                          const std::string& location) {
  CM_RETURN_IF_ERROR(writer_->Drain());
  ConvertedRecord old;
  old.id = id;
  std::vector<std::string> ids{id};
  CM_ASSIGN_OR_RETURN(Value got, api_->Get(*t.remote, std::nullopt, 0, {"embeddings", "documents", "metadatas"}, &ids));
  const Value* gids = got.Find("ids");
  if (gids && gids->is_array() && gids->as_array().size() == 1) {
    if (const Value* e = got.Find("embeddings"); e && e->is_array() && e->as_array()[0].is_array()) {
      for (const Value& x : e->as_array()[0].as_array()) {
        old.embedding.push_back(static_cast<float>(x.kind() == Value::Kind::kInt ? static_cast<double>(x.as_int()) : x.as_double()));
      }
    }
    if (const Value* d = got.Find("documents"); d && d->is_array() && d->as_array()[0].is_string()) {
      old.document = d->as_array()[0].as_string();
    }
    if (const Value* m = got.Find("metadatas"); m && m->is_array()) old.metadata = MetadataFromValue(m->as_array()[0]);
  }
  t.report.changes["id.duplicate_earlier_superseded"]++;
  RejectReason why{"id.duplicate_superseded",
                   fmt::format("id \"{}\" appears again at {}; the last occurrence is kept (--duplicates last)", id, location)};
  CM_RETURN_IF_ERROR(Reject(t, earlier_location, old, why));
  t.delete_first.push_back(id);
  --t.report.migrated;  // counted when its batch was sent; the later occurrence replaces it
  return Status::Ok();
}

Status Runner::Accept(SourceRecord& r) {
  ++report_.records_read;
  auto it = targets_.find(r.collection_key);
  if (it == targets_.end()) {
    if (excluded_keys_.count(r.collection_key)) {
      ++report_.records_skipped;
      return Status::Ok();
    }
    RejectReason why{"collection.orphan",
                     fmt::format("collection_uuid \"{}\" is not in the source's collection list", r.collection_key)};
    CM_RETURN_IF_ERROR(rejects_.AddSource("", r, why));
    ++report_.rejected_by_reason[why.code];
    ++report_.records_rejected;
    return Status::Ok();
  }
  Target& t = *it->second;
  if (t.skip) {
    ++report_.records_skipped;
    return Status::Ok();
  }
  ++t.report.read;
  ConvertedRecord conv;
  if (auto why = policy_.ConvertRecord(r, &conv, &t.report.changes)) {
    CM_RETURN_IF_ERROR(rejects_.AddSource(t.spec.name, r, *why));
    ++report_.rejected_by_reason[why->code];
    ++t.report.rejected;
    return Status::Ok();
  }
  if (!t.dim) {
    t.dim = conv.embedding.size();
    t.dim_location = r.location;
  }
  if (conv.embedding.size() != *t.dim) {
    RejectReason why{"embedding.dimension_mismatch",
                     fmt::format("the embedding has {} values but collection \"{}\" has dimension {} (set by {})",
                                 conv.embedding.size(), t.spec.name, *t.dim, t.dim_location)};
    return Reject(t, r.location, conv, why);
  }
  if (t.open.dim == 0) t.open.dim = *t.dim;
  const auto dup = options_.policies.duplicates;
  if (auto row = t.open_rows.find(conv.id); row != t.open_rows.end()) {
    size_t i = row->second;
    if (dup == DuplicatePolicy::kFail) {
      return Status::InvalidArgument(fmt::format(
          "collection \"{}\": id \"{}\" appears at {} and again at {} (--duplicates fail; use last or first)",
          t.spec.name, conv.id, t.open_locations[i], r.location));
    }
    if (dup == DuplicatePolicy::kFirst) {
      t.report.changes["id.duplicate_later_ignored"]++;
      RejectReason why{"id.duplicate_ignored", fmt::format("id \"{}\" already appeared at {}; the first occurrence is "
                                                           "kept (--duplicates first)", conv.id, t.open_locations[i])};
      return Reject(t, r.location, conv, why);
    }
    ConvertedRecord old;
    old.id = t.open.ids[i];
    old.embedding.assign(t.open.embedding(i), t.open.embedding(i) + t.open.dim);
    old.document = t.open.documents[i];
    old.uri = t.open.uris[i];
    old.metadata = t.open.metadatas[i];
    t.report.changes["id.duplicate_earlier_superseded"]++;
    RejectReason why{"id.duplicate_superseded", fmt::format("id \"{}\" appears again at {}; the last occurrence is "
                                                            "kept (--duplicates last)", conv.id, r.location)};
    CM_RETURN_IF_ERROR(Reject(t, t.open_locations[i], old, why));
    t.open_locations[i] = r.location;
    CM_RETURN_IF_ERROR(seen_->Put(t.report.source_key, conv.id, r.location));
    std::string id = conv.id;
    t.open.Replace(i, std::move(id), conv.embedding.data(), std::move(conv.document), std::move(conv.uri),
                   std::move(conv.metadata));
    return Status::Ok();
  }
  CM_ASSIGN_OR_RETURN(auto earlier, seen_->Find(t.report.source_key, conv.id));
  if (earlier) {
    if (dup == DuplicatePolicy::kFail) {
      return Status::InvalidArgument(fmt::format(
          "collection \"{}\": id \"{}\" appears at {} and again at {} (--duplicates fail; use last or first); "
          "the records before it were already written to the server",
          t.spec.name, conv.id, *earlier, r.location));
    }
    if (dup == DuplicatePolicy::kFirst) {
      t.report.changes["id.duplicate_later_ignored"]++;
      RejectReason why{"id.duplicate_ignored", fmt::format("id \"{}\" already appeared at {}; the first occurrence is "
                                                           "kept (--duplicates first)", conv.id, *earlier)};
      return Reject(t, r.location, conv, why);
    }
    CM_RETURN_IF_ERROR(Superseded(t, conv.id, *earlier, r.location));
  }
  CM_RETURN_IF_ERROR(seen_->Put(t.report.source_key, conv.id, r.location));
  size_t bytes = EstimateRecordBytes(conv.id, conv.embedding.size(), conv.document, conv.uri, conv.metadata,
                                     api_->info().supports_base64);
  if (t.open.size() > 0 && t.open_bytes + bytes > limits_.max_bytes) CM_RETURN_IF_ERROR(Flush(t));
  t.open_rows[conv.id] = t.open.size();
  t.open_locations.push_back(r.location);
  t.open.Append(std::move(conv.id), conv.embedding.data(), std::move(conv.document), std::move(conv.uri),
                std::move(conv.metadata));
  t.open_bytes += bytes;
  open_bytes_ += bytes;
  if (t.open.size() >= limits_.max_rows) CM_RETURN_IF_ERROR(Flush(t));
  if (open_bytes_ > kOpenBatchBytes) CM_RETURN_IF_ERROR(FlushLargest());
  return Status::Ok();
}

Status Runner::FlushLargest() {
  Target* big = nullptr;
  for (auto& [k, t] : targets_) {
    if (big == nullptr || t->open_bytes > big->open_bytes) big = t.get();
  }
  return big ? Flush(*big) : Status::Ok();
}

Status Runner::Flush(Target& t) {
  if (t.open.size() == 0 && t.delete_first.empty()) return Status::Ok();
  WriteJob job;
  job.seq = next_seq_++;
  job.collection = t.remote;
  job.mode = t.mode;
  job.records = std::move(t.open);
  job.estimated_bytes = t.open_bytes;
  job.delete_first = std::move(t.delete_first);
  open_bytes_ -= t.open_bytes;
  t.open = RecordBatch();
  t.open.dim = job.records.dim;
  t.open_rows.clear();
  t.open_locations.clear();
  t.delete_first.clear();
  t.open_bytes = 0;
  t.report.migrated += job.records.size();
  if (journal_->Acked(job.seq)) {  // stored by the run being resumed
    acked_rows_ += job.records.size();
    return Status::Ok();
  }
  if (journal_->Sent(job.seq) && api_->info().has_upsert) job.mode = WriteMode::kUpsert;  // maybe stored: idempotent
  CM_RETURN_IF_ERROR(journal_->MarkSent(job.seq));
  return writer_->Submit(std::move(job));
}

Status Runner::OnDone(const WriteJob& job) {
  CM_RETURN_IF_ERROR(journal_->MarkAcked(job.seq));
  acked_rows_ += job.records.size();
  if (options_.progress) options_.progress("rows", job.collection->name, acked_rows_, expected_total_);
  return Status::Ok();
}

Status Runner::Stream() {
  CM_ASSIGN_OR_RETURN(seen_, SeenIds::Create());
  CM_ASSIGN_OR_RETURN(writer_, ServerWriter::Create(*api_, sink_.concurrency, kInFlightBytes,
                                                    [this](const WriteJob& j) { return OnDone(j); }));
  std::vector<SourceRecord> batch;
  bool done = false;
  auto total = source_.TotalRecords();
  while (!done) {
    if (Cancelled()) return Status::Cancelled("interrupted");
    batch.clear();
    CM_RETURN_IF_ERROR(source_.Next(options_.batch_rows, &batch, &done));
    for (SourceRecord& r : batch) CM_RETURN_IF_ERROR(Accept(r));
    if (options_.progress) options_.progress("read", "", report_.records_read, total.value_or(0));
  }
  for (const std::string& key : order_) CM_RETURN_IF_ERROR(Flush(*targets_[key]));
  return writer_->Drain();
}

Status Runner::Finish() {
  // Nothing lost, nothing duplicated: a collection this run created holds exactly what was sent.
  for (const std::string& key : order_) {
    Target& t = *targets_[key];
    if (t.skip) continue;
    t.report.dimension = t.dim;
    if (!t.created) continue;
    CM_ASSIGN_OR_RETURN(uint64_t n, api_->Count(*t.remote));
    if (n != t.report.migrated) {
      return Status::Mismatch(fmt::format("collection \"{}\" on {} holds {} records after the migration, expected {}",
                                          t.spec.name, api_->http().base_url(), n, t.report.migrated));
    }
  }
  CM_RETURN_IF_ERROR(api_->Persist());
  CM_RETURN_IF_ERROR(rejects_.Commit());
  return journal_->Finish();
}

Result<MigrationReport> Runner::Run() {
  auto t0 = std::chrono::steady_clock::now();
  report_.source = source_.Describe();
  CM_ASSIGN_OR_RETURN(api_, ApiClient::Connect(url_, endpoint_, options_.cancel));
  report_.destination = api_->Describe();
  CM_RETURN_IF_ERROR(PlanCollections());
  CM_RETURN_IF_ERROR(PrepareDestination());
  auto t_write = std::chrono::steady_clock::now();
  Status s = Stream();
  writer_.reset();  // stops the workers
  if (!s.ok()) {
    std::string hint = fmt::format("; {} batches were stored; rerun with --resume to continue (journal {})",
                                   journal_->acked_count(), journal_->path());
    return Status(s.code(), s.message() + hint);
  }
  CM_RETURN_IF_ERROR(Finish());
  report_.seconds_writing = Since(t_write);
  for (const std::string& key : order_) {
    Target& t = *targets_[key];
    if (t.skip) continue;
    report_.records_migrated += t.report.migrated;
    report_.records_rejected += t.report.rejected;
    Merge(&report_.changes, t.report.changes);
    report_.collections.push_back(t.report);
  }
  report_.rejects_path = rejects_.count() > 0 ? rejects_.path() : "";
  report_.seconds_total = Since(t0);
  return report_;
}

}  // namespace

Result<MigrationReport> MigrateToServer(Source& source, const std::string& url, const EndpointOptions& endpoint,
                                        const ServerSinkOptions& sink, const MigrateOptions& options) {
  Runner runner(source, url, endpoint, sink, options);
  return runner.Run();
}

}  // namespace cm
