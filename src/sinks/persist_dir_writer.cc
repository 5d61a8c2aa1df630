#include "sinks/persist_dir_writer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "chroma/collection_config.h"
#include "chroma/record_json.h"
#include "chroma/schema.h"
#include "core/uuid.h"
#include "formats/hnsw/hnsw_builder.h"
#include "formats/pickle/index_metadata_pickle.h"
#include "io/fs_util.h"

namespace fs = std::filesystem;

namespace cm {
namespace {

constexpr const char* kVectorSegmentType = "urn:chroma:segment/vector/hnsw-local-persisted";
constexpr const char* kMetadataSegmentType = "urn:chroma:segment/metadata/sqlite";
constexpr const char* kDefaultDatabaseId = "00000000-0000-0000-0000-000000000000";
constexpr int kOperationAdd = 0;

std::string QueueTopic(const std::string& collection_id) {
  return "persistent://default/default/" + collection_id;
}

// Binds (key, typed value) into a statement whose parameters 2..6 are
// key, string_value, int_value, float_value, bool_value.
Status BindMetadataValue(Stmt& s, const std::string& key, const MetadataValue& v) {
  CM_RETURN_IF_ERROR(s.BindText(2, key));
  CM_RETURN_IF_ERROR(s.BindNull(3));
  CM_RETURN_IF_ERROR(s.BindNull(4));
  CM_RETURN_IF_ERROR(s.BindNull(5));
  CM_RETURN_IF_ERROR(s.BindNull(6));
  if (auto* b = std::get_if<bool>(&v)) return s.BindInt(6, *b ? 1 : 0);
  if (auto* i = std::get_if<int64_t>(&v)) return s.BindInt(4, *i);
  if (auto* d = std::get_if<double>(&v)) return s.BindDouble(5, *d);
  return s.BindText(3, std::get<std::string>(v));
}

}  // namespace

Result<std::unique_ptr<PersistDirWriter>> PersistDirWriter::Create(const PersistDirWriterOptions& options) {
  std::unique_ptr<PersistDirWriter> w(new PersistDirWriter(options));
  CM_RETURN_IF_ERROR(w->Init());
  return w;
}

Status PersistDirWriter::Init() {
  std::string dest = fs::path(options_.destination).lexically_normal().string();
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  options_.destination = dest;
  bool empty_dir = false;
  CM_ASSIGN_OR_RETURN(bool free, PathIsFree(dest, &empty_dir));
  if (!free && !empty_dir && !options_.overwrite) {
    return Status::AlreadyExists(fmt::format(
        "{} already exists and is not empty; choose a new destination, empty it, or pass --overwrite "
        "to replace it (the old contents are removed only after the new directory is complete)",
        dest));
  }
  fs::path parent = fs::path(dest).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    return Status::NotFound(fmt::format("{}: the parent directory {} does not exist", dest, parent.string()));
  }
  staging_ = fmt::format("{}.chroma-migrate-partial-{}", dest, ::getpid());
  if (fs::exists(staging_, ec)) CM_RETURN_IF_ERROR(RemoveTree(staging_));
  CM_RETURN_IF_ERROR(MakeDir(staging_));
  CM_ASSIGN_OR_RETURN(db_, Db::Open(staging_ + "/chroma.sqlite3", Db::Mode::kReadWriteCreate));
  // The staging database is discarded on any failure, so it needs no journal until the end.
  CM_RETURN_IF_ERROR(db_.Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;"));
  CM_RETURN_IF_ERROR(ApplyChromaSchema(db_, options_.schema_release));
  CM_RETURN_IF_ERROR(db_.Exec(
      "INSERT OR REPLACE INTO embeddings_queue_config (id, config_json_str) VALUES "
      "(1, '{\"automatically_purge\":true,\"_type\":\"EmbeddingsQueueConfigurationInternal\"}')"));
  return db_.Exec("BEGIN");
}

PersistDirWriter::~PersistDirWriter() {
  if (!committed_ && !staging_.empty()) {
    db_ = Db();
    (void)RemoveTree(staging_);
  }
}

Result<std::string> PersistDirWriter::DatabaseId(const std::string& tenant, const std::string& database) {
  if (tenant == kDefaultTenant && database == kDefaultDatabase) return std::string(kDefaultDatabaseId);
  CM_ASSIGN_OR_RETURN(Stmt t, db_.Prepare("INSERT OR IGNORE INTO tenants (id) VALUES (?)"));
  CM_RETURN_IF_ERROR(t.BindText(1, tenant));
  CM_RETURN_IF_ERROR(t.Run());
  CM_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT id FROM databases WHERE tenant_id = ? AND name = ?"));
  CM_RETURN_IF_ERROR(q.BindText(1, tenant));
  CM_RETURN_IF_ERROR(q.BindText(2, database));
  bool row = false;
  CM_RETURN_IF_ERROR(q.Step(&row));
  if (row) return q.ColumnText(0);
  std::string id = NewUuidV4();
  CM_ASSIGN_OR_RETURN(Stmt ins, db_.Prepare("INSERT INTO databases (id, name, tenant_id) VALUES (?, ?, ?)"));
  CM_RETURN_IF_ERROR(ins.BindText(1, id));
  CM_RETURN_IF_ERROR(ins.BindText(2, database));
  CM_RETURN_IF_ERROR(ins.BindText(3, tenant));
  CM_RETURN_IF_ERROR(ins.Run());
  return id;
}

Result<WrittenCollection> PersistDirWriter::WriteCollection(const CollectionSpec& spec, const RecordBatch& records) {
  if (records.size() > 0 && (!spec.dimension || *spec.dimension != records.dim || records.dim == 0)) {
    return Status::Internal(fmt::format("collection {}: records have dimension {} but the collection says {}",
                                        spec.name, records.dim, spec.dimension.value_or(0)));
  }
  WrittenCollection w;
  w.id = NewUuidV4();
  w.vector_segment = NewUuidV4();
  w.metadata_segment = NewUuidV4();
  w.records = records.size();
  CM_ASSIGN_OR_RETURN(std::string database_id, DatabaseId(spec.tenant, spec.database));

  CM_ASSIGN_OR_RETURN(Stmt coll, db_.Prepare(
      "INSERT INTO collections (id, name, dimension, database_id, config_json_str) VALUES (?, ?, ?, ?, ?)"));
  CM_RETURN_IF_ERROR(coll.BindText(1, w.id));
  CM_RETURN_IF_ERROR(coll.BindText(2, spec.name));
  if (spec.dimension) {
    CM_RETURN_IF_ERROR(coll.BindInt(3, static_cast<int64_t>(*spec.dimension)));
  } else {
    CM_RETURN_IF_ERROR(coll.BindNull(3));
  }
  CM_RETURN_IF_ERROR(coll.BindText(4, database_id));
  CM_RETURN_IF_ERROR(coll.BindText(5, CollectionConfigJson(spec.hnsw)));
  Status s = coll.Run();
  if (!s.ok()) {
    return s.WithContext(fmt::format("collection \"{}\" (database {}/{})", spec.name, spec.tenant, spec.database));
  }

  CM_ASSIGN_OR_RETURN(Stmt cmeta, db_.Prepare(
      "INSERT INTO collection_metadata (collection_id, key, str_value, int_value, float_value, bool_value) "
      "VALUES (?, ?, ?, ?, ?, ?)"));
  for (const auto& e : spec.metadata) {
    CM_RETURN_IF_ERROR(cmeta.BindText(1, w.id));
    CM_RETURN_IF_ERROR(BindMetadataValue(cmeta, e.key, e.value));
    CM_RETURN_IF_ERROR(cmeta.Run());
  }

  CM_ASSIGN_OR_RETURN(Stmt seg, db_.Prepare("INSERT INTO segments (id, type, scope, collection) VALUES (?, ?, ?, ?)"));
  for (auto [id, type, scope] : {std::tuple{w.vector_segment, kVectorSegmentType, "VECTOR"},
                                 std::tuple{w.metadata_segment, kMetadataSegmentType, "METADATA"}}) {
    CM_RETURN_IF_ERROR(seg.BindText(1, id));
    CM_RETURN_IF_ERROR(seg.BindText(2, type));
    CM_RETURN_IF_ERROR(seg.BindText(3, scope));
    CM_RETURN_IF_ERROR(seg.BindText(4, w.id));
    CM_RETURN_IF_ERROR(seg.Run());
  }
  if (records.size() == 0) return w;

  w.first_seq_id = next_seq_id_;
  w.last_seq_id = next_seq_id_ + records.size() - 1;
  next_seq_id_ = w.last_seq_id + 1;

  // The SQLite rows and the HNSW graph are independent: build the graph on the other threads
  // while this one inserts rows.
  Status vector_status;
  std::thread vector_thread([&] { vector_status = WriteVectorSegment(spec, w, records); });
  Status rows_status = WriteRows(spec.name, w, records);
  vector_thread.join();
  CM_RETURN_IF_ERROR(rows_status.WithContext(fmt::format("collection \"{}\"", spec.name)));
  CM_RETURN_IF_ERROR(vector_status.WithContext(fmt::format("collection \"{}\"", spec.name)));

  // max_seq_id only now that the segment folder and its pickle exist (§4.3 rule 3).
  CM_ASSIGN_OR_RETURN(Stmt maxseq, db_.Prepare("INSERT INTO max_seq_id (segment_id, seq_id) VALUES (?, ?)"));
  for (const std::string& segment : {w.metadata_segment, w.vector_segment}) {
    CM_RETURN_IF_ERROR(maxseq.BindText(1, segment));
    CM_RETURN_IF_ERROR(maxseq.BindInt(2, static_cast<int64_t>(w.last_seq_id)));
    CM_RETURN_IF_ERROR(maxseq.Run());
  }
  CM_RETURN_IF_ERROR(WriteSentinel(w, records));
  return w;
}

Status PersistDirWriter::WriteRows(const std::string& name, const WrittenCollection& w, const RecordBatch& records) {
  CM_ASSIGN_OR_RETURN(Stmt emb, db_.Prepare("INSERT INTO embeddings (id, segment_id, embedding_id, seq_id) VALUES (?, ?, ?, ?)"));
  CM_ASSIGN_OR_RETURN(Stmt meta, db_.Prepare(
      "INSERT INTO embedding_metadata (id, key, string_value, int_value, float_value, bool_value) VALUES (?, ?, ?, ?, ?, ?)"));
  CM_ASSIGN_OR_RETURN(Stmt fts, db_.Prepare("INSERT INTO embedding_fulltext_search (rowid, string_value) VALUES (?, ?)"));
  for (size_t i = 0; i < records.size(); ++i) {
    int64_t rowid = next_embedding_rowid_++;
    CM_RETURN_IF_ERROR(emb.BindInt(1, rowid));
    CM_RETURN_IF_ERROR(emb.BindText(2, w.metadata_segment));
    CM_RETURN_IF_ERROR(emb.BindText(3, records.ids[i]));
    CM_RETURN_IF_ERROR(emb.BindInt(4, static_cast<int64_t>(w.first_seq_id + i)));
    Status s = emb.Run();
    if (!s.ok()) return s.WithContext(fmt::format("record id \"{}\"", records.ids[i]));
    for (const auto& e : records.metadatas[i]) {
      CM_RETURN_IF_ERROR(meta.BindInt(1, rowid));
      CM_RETURN_IF_ERROR(BindMetadataValue(meta, e.key, e.value));
      CM_RETURN_IF_ERROR(meta.Run());
    }
    if (records.documents[i]) {
      CM_RETURN_IF_ERROR(meta.BindInt(1, rowid));
      CM_RETURN_IF_ERROR(BindMetadataValue(meta, kDocumentKey, *records.documents[i]));
      CM_RETURN_IF_ERROR(meta.Run());
      CM_RETURN_IF_ERROR(fts.BindInt(1, rowid));
      CM_RETURN_IF_ERROR(fts.BindText(2, *records.documents[i]));
      CM_RETURN_IF_ERROR(fts.Run());
    }
    if (records.uris[i]) {
      CM_RETURN_IF_ERROR(meta.BindInt(1, rowid));
      CM_RETURN_IF_ERROR(BindMetadataValue(meta, kUriKey, *records.uris[i]));
      CM_RETURN_IF_ERROR(meta.Run());
    }
    if ((i + 1) % 4096 == 0) {
      if (options_.cancel && options_.cancel->load()) return Status::Cancelled("interrupted; nothing was written");
      if (options_.progress) options_.progress(name, "rows", i + 1, records.size());
    }
  }
  return Status::Ok();
}

Status PersistDirWriter::WriteSentinel(const WrittenCollection& w, const RecordBatch& records) {
  // The last record again, as the queue row with seq_id = max_seq_id: Chroma allocates the next
  // seq_id as max(seq_id)+1, so without it new writes would reuse ids ≤ max_seq_id and be
  // skipped, then purged (modern-format.md §4.3 rule 1).
  size_t last = records.size() - 1;
  CM_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(
      "INSERT INTO embeddings_queue (seq_id, operation, topic, id, vector, encoding, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  CM_RETURN_IF_ERROR(q.BindInt(1, static_cast<int64_t>(w.last_seq_id)));
  CM_RETURN_IF_ERROR(q.BindInt(2, kOperationAdd));
  CM_RETURN_IF_ERROR(q.BindText(3, QueueTopic(w.id)));
  CM_RETURN_IF_ERROR(q.BindText(4, records.ids[last]));
  CM_RETURN_IF_ERROR(q.BindBlob(5, records.embedding(last), records.dim * sizeof(float)));
  CM_RETURN_IF_ERROR(q.BindText(6, "FLOAT32"));
  CM_RETURN_IF_ERROR(q.BindText(7, MetadataJson(records.metadatas[last], records.documents[last], records.uris[last])));
  return q.Run();
}

Status PersistDirWriter::WriteVectorSegment(const CollectionSpec& spec, const WrittenCollection& w,
                                            const RecordBatch& records) {
  HnswBuildOptions o;
  o.space = spec.hnsw.space;
  o.max_neighbors = static_cast<size_t>(spec.hnsw.max_neighbors);
  o.ef_construction = static_cast<size_t>(spec.hnsw.ef_construction);
  o.threads = options_.threads ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
  o.cancel = options_.cancel;
  auto progress = [&](size_t done) {
    if (options_.progress) options_.progress(spec.name, "index", done, records.size());
  };
  CM_ASSIGN_OR_RETURN(auto index, HnswIndex::Build(records.embeddings.data(), records.size(), records.dim, o, progress));
  std::string dir = staging_ + "/" + w.vector_segment;
  CM_RETURN_IF_ERROR(MakeDir(dir));
  CM_RETURN_IF_ERROR(index->WriteChromaSegment(dir));

  IndexMetadata meta;
  meta.dimensionality = static_cast<int64_t>(records.dim);
  meta.total_elements_added = static_cast<uint32_t>(records.size());
  meta.id_to_label.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) meta.id_to_label.emplace_back(records.ids[i], static_cast<uint32_t>(i + 1));
  std::string pickle = EncodeIndexMetadataPickle(meta);
  std::string path = dir + "/index_metadata.pickle";
  FILE* f = std::fopen(path.c_str(), "wbx");
  if (f == nullptr) return Status::IoError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  size_t n = std::fwrite(pickle.data(), 1, pickle.size(), f);
  int rc = std::fclose(f);
  if (n != pickle.size() || rc != 0) return Status::IoError(fmt::format("{}: write failed: {}", path, std::strerror(errno)));
  return Status::Ok();
}

Status PersistDirWriter::Commit() {
  if (options_.cancel && options_.cancel->load()) return Status::Cancelled("interrupted; nothing was written");
  CM_RETURN_IF_ERROR(db_.Exec("COMMIT"));
  CM_RETURN_IF_ERROR(db_.Exec("PRAGMA journal_mode=DELETE"));
  CM_RETURN_IF_ERROR(db_.Close());
  CM_RETURN_IF_ERROR(FsyncTree(staging_));
  const std::string& dest = options_.destination;
  bool empty_dir = false;
  CM_ASSIGN_OR_RETURN(bool free, PathIsFree(dest, &empty_dir));
  std::string old;
  if (!free) {
    if (empty_dir) {
      std::error_code ec;
      fs::remove(dest, ec);
      if (ec) return Status::IoError(fmt::format("{}: cannot replace the empty directory: {}", dest, ec.message()));
    } else if (options_.overwrite) {
      old = fmt::format("{}.chroma-migrate-old-{}", dest, ::getpid());
      CM_RETURN_IF_ERROR(RenamePath(dest, old));
    } else {
      return Status::AlreadyExists(fmt::format("{} appeared while migrating; the result is kept in {}", dest, staging_));
    }
  }
  CM_RETURN_IF_ERROR(RenamePath(staging_, dest));
  committed_ = true;
  std::string parent = fs::path(dest).parent_path().string();
  CM_RETURN_IF_ERROR(FsyncPath(parent.empty() ? "." : parent));
  if (!old.empty()) CM_RETURN_IF_ERROR(RemoveTree(old));
  return Status::Ok();
}

}  // namespace cm
