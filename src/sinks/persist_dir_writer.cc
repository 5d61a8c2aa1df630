#include "sinks/persist_dir_writer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "chroma/schema.h"
#include "core/uuid.h"
#include "io/fs_util.h"
#include "sinks/index_feeder.h"
#include "sinks/row_writer.h"

namespace fs = std::filesystem;

namespace cm {
namespace {

constexpr const char* kDefaultDatabaseId = "00000000-0000-0000-0000-000000000000";
constexpr size_t kMaxPendingVectorBytes = size_t{8} << 20;  // vectors queued for the graph
constexpr size_t kMaxPendingRowBytes = size_t{16} << 20;    // records queued for their SQLite rows

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
  // Its page cache: 32 MiB. 128 MiB (until 990cdda) and 64 MiB were no faster at 100k × 384
  // (built or reused graph) or 20,000 × 1536 (short or ~1,080-character documents), and took
  // 40-100 and 30 MB more at the peak: with long documents and a reused graph 64 MiB came to
  // 0.97 of the memory budget (bench at d2f12b4). SQLite's sorter, which builds the value
  // indexes, sorts in runs of the cache's size: a million records' indexes sort in more runs.
  CM_RETURN_IF_ERROR(db_.Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-32768;"));
  CM_RETURN_IF_ERROR(ApplyChromaSchema(db_, options_.schema_release));
  CM_RETURN_IF_ERROR(db_.Exec(
      "INSERT OR REPLACE INTO embeddings_queue_config (id, config_json_str) VALUES "
      "(1, '{\"automatically_purge\":true,\"_type\":\"EmbeddingsQueueConfigurationInternal\"}')"));
  return db_.Exec("BEGIN");
}

PersistDirWriter::PersistDirWriter(PersistDirWriterOptions options) : options_(std::move(options)) {}

PersistDirWriter::~PersistDirWriter() {
  intake_.reset();
  feeder_.reset();
  rows_.reset();
  if (!committed_ && !staging_.empty()) {
    db_ = Db();
    (void)RemoveTree(staging_);
  }
}

Status PersistDirWriter::AddDatabase(const std::string& tenant, const std::string& database) {
  if (!database.empty()) return DatabaseId(tenant, database).status();
  CM_RETURN_IF_ERROR(OwnDb());
  CM_ASSIGN_OR_RETURN(Stmt t, db_.Prepare("INSERT OR IGNORE INTO tenants (id) VALUES (?)"));
  CM_RETURN_IF_ERROR(t.BindText(1, tenant));
  return t.Run();
}

Result<std::string> PersistDirWriter::DatabaseId(const std::string& tenant, const std::string& database) {
  if (tenant == kDefaultTenant && database == kDefaultDatabase) return std::string(kDefaultDatabaseId);
  CM_RETURN_IF_ERROR(OwnDb());
  CM_RETURN_IF_ERROR(AddDatabase(tenant, ""));
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

Result<std::unique_ptr<CollectionWriter>> PersistDirWriter::BeginCollection(const CollectionSpec& spec,
                                                                          uint64_t expected_records) {
  if (!feeder_) {
    size_t threads = options_.threads ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    feeder_ = std::make_unique<IndexFeeder>(threads, kMaxPendingVectorBytes, options_.cancel);
    intake_ = std::make_unique<IndexFeeder>(1, kMaxPendingVectorBytes, options_.cancel);  // one: in order
    CM_RETURN_IF_ERROR(Prepare());
  }
  CM_RETURN_IF_ERROR(OwnDb());
  std::unique_ptr<CollectionWriter> c(new CollectionWriter(this, spec, expected_records));
  CM_RETURN_IF_ERROR(c->Start());
  return c;
}

Status PersistDirWriter::Prepare() {
  // embedding_metadata's value indexes are built once the rows are in (a sort instead of a
  // random insertion per row), from the very SQL Chroma's migrations left in sqlite_master.
  CM_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                                          "tbl_name = 'embedding_metadata' AND sql IS NOT NULL ORDER BY name"));
  while (true) {
    bool row = false;
    CM_RETURN_IF_ERROR(q.Step(&row));
    if (!row) break;
    deferred_indexes_.emplace_back(q.ColumnText(0), q.ColumnText(1));
  }
  q = Stmt();
  for (const auto& [name, sql] : deferred_indexes_) CM_RETURN_IF_ERROR(db_.Exec("DROP INDEX \"" + name + "\""));
  CM_ASSIGN_OR_RETURN(rows_, RowWriter::Start(&db_, kMaxPendingRowBytes, staging_));
  return Status::Ok();
}

Status PersistDirWriter::EndOfRecords() {
  if (!rows_ || deferred_indexes_.empty()) return Status::Ok();
  std::vector<std::string> sql;
  for (auto& index : deferred_indexes_) sql.push_back(std::move(index.second));
  deferred_indexes_.clear();
  // The full-text index's postings go out first (FulltextIndexWriter), then the rows are
  // committed on the row thread too: COMMIT writes every page of the database (15 MB at
  // 20,000 × 1536), which on the main thread came after the graph, in the serial tail. The
  // records after it (max_seq_id, the queue's sentinel rows) go into a second transaction, which
  // Commit() commits. Nothing is renamed into place before that, so an earlier COMMIT changes
  // nothing a failure leaves behind.
  sql.push_back("COMMIT");
  sql.push_back("BEGIN");
  return rows_->SubmitSql(std::move(sql), /*finish_fulltext=*/true);
}

Status PersistDirWriter::OwnDb() { return rows_ ? rows_->Drain() : Status::Ok(); }

Status PersistDirWriter::Commit() {
  if (options_.cancel && options_.cancel->load()) return Status::Cancelled("interrupted; nothing was written");
  intake_.reset();
  feeder_.reset();
  CM_RETURN_IF_ERROR(OwnDb());
  // Documents added after EndOfRecords (or all of them, without it) still hold postings.
  if (rows_) CM_RETURN_IF_ERROR(rows_->FinishFulltext());
  rows_.reset();
  for (const auto& [name, sql] : deferred_indexes_) CM_RETURN_IF_ERROR(db_.Exec(sql));
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
