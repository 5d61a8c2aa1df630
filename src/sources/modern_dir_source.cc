#include "sources/modern_dir_source.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "chroma/live_writer_check.h"
#include "chroma/modern_schema.h"
#include "chroma/sqlite_db.h"
#include "chroma/stored_config.h"
#include "formats/hnsw/segment_reader.h"
#include "formats/json/json_reader.h"
#include "formats/pickle/index_metadata_reader.h"
#include "io/mapped_file.h"
#include "sources/modern_replay.h"

namespace fs = std::filesystem;

namespace cm {

bool LooksLikeModernDir(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(dir) / "chroma.sqlite3", ec);
}

namespace {

constexpr const char* kDbFile = "chroma.sqlite3";
constexpr const char* kPickleFile = "index_metadata.pickle";

struct FileStamp {
  off_t size = 0;
  struct timespec mtime {};
  bool operator==(const FileStamp& o) const {
    return size == o.size && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

Result<FileStamp> Stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::IoError(fmt::format("{}: cannot stat: {}", path, std::strerror(errno)));
  return FileStamp{st.st_size, st.st_mtim};
}

bool LooksLikeUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A max_seq_id value: INTEGER (metadb ≥ 5) or an 8-byte big-endian BLOB (0.4–0.6).
Result<uint64_t> DecodeSeqId(const Stmt& st, int col, const std::string& what) {
  switch (st.ColumnType(col)) {
    case SQLITE_INTEGER: {
      int64_t v = st.ColumnInt(col);
      if (v < 0) return Status::Corrupt(fmt::format("{}: seq_id {} is negative", what, v));
      return static_cast<uint64_t>(v);
    }
    case SQLITE_BLOB: {
      std::string_view b = st.ColumnBlob(col);
      if (b.size() != 8) {
        return Status::Unsupported(fmt::format("{}: seq_id is a {}-byte BLOB; expected 8 bytes big-endian (the 24-byte "
                                               "Pulsar form is only written by distributed Chroma)",
                                               what, b.size()));
      }
      uint64_t v = 0;
      for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
      return v;
    }
    default:
      return Status::Corrupt(fmt::format("{}: seq_id has SQLite type {}; expected INTEGER or an 8-byte BLOB", what,
                                         st.ColumnType(col)));
  }
}

// The typed value of one *_metadata row, read in Chroma's order str → int → float → bool.
Value TypedValue(const Stmt& st, int str_col, int int_col, int float_col, int bool_col) {
  if (st.ColumnType(str_col) != SQLITE_NULL) return Value::String(st.ColumnText(str_col));
  if (st.ColumnType(int_col) != SQLITE_NULL) return Value::Int(st.ColumnInt(int_col));
  if (st.ColumnType(float_col) != SQLITE_NULL) return Value::Double(st.ColumnDouble(float_col));
  if (bool_col >= 0 && st.ColumnType(bool_col) != SQLITE_NULL) return Value::Bool(st.ColumnInt(bool_col) != 0);
  return Value::Null();
}

struct CollectionInfo {
  SourceCollection sc;
  std::string metadata_segment;
  std::string vector_segment;
  std::string topic_suffix;  // the collection id: queue topics end with it
  Space space = Space::kL2;
};

class ModernDirSourceImpl final : public ModernDirSource {
 public:
  ModernDirSourceImpl(std::string dir, EndpointOptions options) : dir_(std::move(dir)), options_(std::move(options)) {
    db_path_ = (fs::path(dir_) / kDbFile).string();
  }

  Status Init() {
    CM_RETURN_IF_ERROR(CheckNoLiveWriter(db_path_));
    CM_ASSIGN_OR_RETURN(stamp_, Stamp(db_path_));
    CM_ASSIGN_OR_RETURN(db_, Db::Open(db_path_, Db::Mode::kReadOnlyImmutable));
    CM_ASSIGN_OR_RETURN(schema_, DetectModernSchema(db_));
    for (const auto& m : schema_.unknown_migrations) {
      warnings_.push_back(fmt::format("{}: unknown migration {}; columns are read by name", db_path_, m));
    }
    CM_RETURN_IF_ERROR(LoadCollections());
    CM_RETURN_IF_ERROR(CountRecords());
    FindOrphans();
    return Status::Ok();
  }

  std::string Describe() const override {
    std::string s = fmt::format("modern persist directory {} ({}; {} collection{})", dir_, schema_.Describe(),
                                collections_.size(), collections_.size() == 1 ? "" : "s");
    if (!orphans_.empty()) s += fmt::format("; orphan segment folders ignored: {}", fmt::join(orphans_, ", "));
    return s;
  }

  std::vector<std::string> Warnings() const override { return warnings_; }

  Result<std::vector<SourceCollection>> ListCollections() override {
    std::vector<SourceCollection> out;
    for (const auto& c : collections_) out.push_back(c.sc);
    return out;
  }

  Result<std::vector<std::pair<std::string, std::string>>> ListDatabases() override {
    std::vector<std::pair<std::string, std::string>> out;
    std::set<std::string> with_database;
    if (schema_.HasTable("databases")) {
      CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT tenant_id, name FROM databases ORDER BY rowid"));
      bool row = false;
      while (true) {
        CM_RETURN_IF_ERROR(st.Step(&row));
        if (!row) break;
        out.emplace_back(st.ColumnText(0), st.ColumnText(1));
        with_database.insert(st.ColumnText(0));
      }
    }
    if (schema_.HasTable("tenants")) {
      CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT id FROM tenants ORDER BY rowid"));
      bool row = false;
      while (true) {
        CM_RETURN_IF_ERROR(st.Step(&row));
        if (!row) break;
        if (!with_database.count(st.ColumnText(0))) out.emplace_back(st.ColumnText(0), "");
      }
    }
    return out;
  }

  Status Next(size_t max_rows, std::vector<SourceRecord>* out, bool* done) override {
    *done = false;
    if (max_rows == 0) max_rows = 1;
    size_t produced = 0, bytes = 0;
    while (produced < max_rows && bytes < kBatchEmbeddingBytes) {
      if (!loaded_) {
        if (current_ >= collections_.size()) {
          CM_RETURN_IF_ERROR(CheckUnchanged());
          *done = true;
          return Status::Ok();
        }
        CM_RETURN_IF_ERROR(LoadCollection(collections_[current_]));
        loaded_ = true;
        emit_pos_ = 0;
      }
      if (emit_pos_ >= live_.size()) {
        live_.clear();
        live_.shrink_to_fit();
        window_.clear();
        window_hi_ = -1;
        hnsw_.reset();
        loaded_ = false;
        ++current_;
        continue;
      }
      SourceRecord r;
      CM_RETURN_IF_ERROR(Emit(collections_[current_], live_[emit_pos_], &r));
      live_[emit_pos_] = LiveRecord();  // free as we go
      ++emit_pos_;
      bytes += r.embedding.size() * sizeof(double);
      out->push_back(std::move(r));
      ++produced;
    }
    return Status::Ok();
  }

  std::optional<uint64_t> TotalRecords() const override { return std::nullopt; }

  // For plan: whether each collection's persisted graph can be reused by a persist-dir migration,
  // judged by its live elements against the records read (the vectors are compared by migrate).
  std::vector<std::string> Diagnostics(const std::map<std::string, uint64_t>& records_per_collection) override {
    std::vector<std::string> notes;
    for (const CollectionInfo& c : collections_) {
      auto it = records_per_collection.find(c.sc.key);
      if (it == records_per_collection.end() || it->second == 0) continue;
      auto cache = CachedGraph(c.sc.key);
      if (!cache) {
        notes.push_back(fmt::format("collection \"{}\": no persisted HNSW graph (Chroma persists it every "
                                    "hnsw:sync_threshold writes); a persist-dir migration builds it", c.sc.name));
        continue;
      }
      auto reader = HnswSegmentReader::Open(cache->index_path, c.sc.dimension, c.space == Space::kCosine);
      if (!reader.ok()) {
        notes.push_back(fmt::format("collection \"{}\": its HNSW segment cannot be read ({}); the graph is built",
                                    c.sc.name, reader.status().message()));
        continue;
      }
      const size_t deleted = reader->deleted_count();
      const size_t live = reader->slot_count() - deleted;
      if (live == it->second) {
        notes.push_back(fmt::format("collection \"{}\": its HNSW segment {} holds the collection's {} vectors{}: a "
                                    "persist-dir migration reuses that graph if every record matches it "
                                    "(--rebuild-index builds it anyway)", c.sc.name, cache->index_path, live,
                                    deleted ? fmt::format(" (and {} deleted elements, kept flagged)", deleted) : ""));
      } else {
        notes.push_back(fmt::format("collection \"{}\": its HNSW segment {} holds {} live vectors but the collection "
                                    "has {} records (writes after its last persist are in the queue): a persist-dir "
                                    "migration builds the graph", c.sc.name, cache->index_path, live, it->second));
      }
    }
    return notes;
  }

  // The collection's vector segment, when it has a persisted graph (a non-empty pickle). Whether
  // it indexes exactly the records read is for ReusedGraph to prove.
  std::optional<GraphCache> CachedGraph(const std::string& key) const override {
    for (const CollectionInfo& c : collections_) {
      if (c.sc.key != key || c.vector_segment.empty()) continue;
      GraphCache g{GraphCache::Kind::kSegment, (fs::path(dir_) / c.vector_segment).string(), ""};
      g.labels_path = g.index_path + "/" + kPickleFile;
      std::error_code ec;
      if (!fs::is_regular_file(g.labels_path, ec) || fs::file_size(g.labels_path, ec) == 0 || ec) return std::nullopt;
      g.parsed_labels = std::make_shared<std::optional<GraphCache::LabelMap>>();
      label_slots_[key] = g.parsed_labels;
      return g;
    }
    return std::nullopt;
  }

 private:
  // The label maps graph offers wait for (CachedGraph), by collection key, until the collection's
  // pickle is parsed (LoadVectorSegment).
  mutable std::map<std::string, std::shared_ptr<std::optional<GraphCache::LabelMap>>> label_slots_;

  // ---- collections -------------------------------------------------------------------------
  Status LoadCollections() {
    // Databases (sysdb ≥ 4): id -> (tenant, name).
    std::map<std::string, std::pair<std::string, std::string>> databases;
    if (schema_.HasTable("databases")) {
      CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT id, name, tenant_id FROM databases"));
      bool row = false;
      while (true) {
        CM_RETURN_IF_ERROR(st.Step(&row));
        if (!row) break;
        databases[st.ColumnText(0)] = {st.ColumnText(2), st.ColumnText(1)};
      }
    }
    // Segments: collection -> scope -> segment id.
    std::map<std::string, std::map<std::string, std::string>> segments;
    {
      CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT id, scope, collection FROM segments"));
      bool row = false;
      while (true) {
        CM_RETURN_IF_ERROR(st.Step(&row));
        if (!row) break;
        segment_ids_.insert(st.ColumnText(0));
        segments[st.ColumnText(2)][st.ColumnText(1)] = st.ColumnText(0);
      }
    }
    const bool has_db = schema_.HasColumn("collections", "database_id");
    const bool has_config = schema_.HasColumn("collections", "config_json_str");
    const bool has_schema = schema_.HasColumn("collections", "schema_str");
    std::string sql = "SELECT id, name, dimension";
    sql += has_db ? ", database_id" : ", NULL";
    sql += has_config ? ", config_json_str" : ", NULL";
    sql += has_schema ? ", schema_str" : ", NULL";
    sql += " FROM collections ORDER BY rowid";
    CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(sql));
    bool row = false;
    while (true) {
      CM_RETURN_IF_ERROR(st.Step(&row));
      if (!row) break;
      CollectionInfo c;
      c.sc.key = st.ColumnText(0);
      c.sc.name = st.ColumnText(1);
      c.topic_suffix = c.sc.key;
      c.sc.location = fmt::format("{} collection \"{}\" ({})", db_path_, c.sc.name, c.sc.key);
      if (st.ColumnType(2) != SQLITE_NULL) {
        int64_t dim = st.ColumnInt(2);
        if (dim <= 0 || dim > static_cast<int64_t>(kHnswMaxDimension)) {
          return Status::Corrupt(fmt::format("{}: dimension {} is out of range 1..{}", c.sc.location, dim, kHnswMaxDimension));
        }
        c.sc.dimension = static_cast<size_t>(dim);
      }
      if (has_db && st.ColumnType(3) != SQLITE_NULL) {
        auto it = databases.find(st.ColumnText(3));
        if (it == databases.end()) {
          return Status::Corrupt(fmt::format("{}: database_id {} is not in the databases table", c.sc.location, st.ColumnText(3)));
        }
        c.sc.tenant = it->second.first;
        c.sc.database = it->second.second;
      }
      if (options_.tenant_given && c.sc.tenant != options_.tenant) continue;
      if (options_.database_given && c.sc.database != options_.database) continue;
      auto seg = segments.find(c.sc.key);
      if (seg == segments.end() || !seg->second.count("METADATA")) {
        return Status::Corrupt(fmt::format("{}: no METADATA segment in the segments table", c.sc.location));
      }
      c.metadata_segment = seg->second["METADATA"];
      if (seg->second.count("VECTOR")) c.vector_segment = seg->second["VECTOR"];
      CM_ASSIGN_OR_RETURN(c.sc.metadata, ReadMetadata("collection_metadata", "collection_id", c.sc.key));
      Value seg_meta;
      if (!c.vector_segment.empty() && schema_.HasTable("segment_metadata")) {
        CM_ASSIGN_OR_RETURN(seg_meta, ReadMetadata("segment_metadata", "segment_id", c.vector_segment));
      }
      auto opt = [&](int col) -> std::optional<std::string> {
        if (st.ColumnType(col) == SQLITE_NULL) return std::nullopt;
        return st.ColumnText(col);
      };
      auto cfg = RecoverHnswConfig(opt(5), opt(4), seg_meta);
      if (!cfg.ok()) return cfg.status().WithContext(c.sc.location);
      c.sc.hnsw = cfg->params;
      c.space = cfg->params.space;
      collections_.push_back(std::move(c));
    }
    return Status::Ok();
  }

  // collection_metadata / segment_metadata rows as a typed object (Null when none).
  Result<Value> ReadMetadata(const char* table, const char* id_col, const std::string& id) {
    const bool has_bool = schema_.HasColumn(table, "bool_value");
    std::string sql = fmt::format("SELECT key, str_value, int_value, float_value, {} FROM {} WHERE {} = ? ORDER BY rowid",
                                  has_bool ? "bool_value" : "NULL", table, id_col);
    CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(sql));
    CM_RETURN_IF_ERROR(st.BindText(1, id));
    Value::Object obj;
    bool row = false;
    while (true) {
      CM_RETURN_IF_ERROR(st.Step(&row));
      if (!row) break;
      Value v = TypedValue(st, 1, 2, 3, 4);
      if (!v.is_null()) obj.emplace_back(st.ColumnText(0), std::move(v));
    }
    return obj.empty() ? Value::Null() : Value::MakeObject(std::move(obj));
  }

  void FindOrphans() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      std::error_code ec2;
      if (!e.is_directory(ec2)) continue;
      std::string name = e.path().filename().string();
      if (LooksLikeUuid(name) && !segment_ids_.count(name)) {
        orphans_.push_back(name);
        warnings_.push_back(fmt::format("{}: segment folder not referenced by the segments table (left over from a "
                                        "deleted collection); ignored",
                                        e.path().string()));
      }
    }
    std::sort(orphans_.begin(), orphans_.end());
  }

  // Each collection's expected_count, an upper bound (it sizes the graph of a persist-dir
  // destination at once, and progress): its materialised records plus the adds and upserts
  // queued after its metadata segment's max_seq_id (deletes are not netted out).
  Status CountRecords() {
    CM_ASSIGN_OR_RETURN(Stmt rows, db_.Prepare("SELECT count(*) FROM embeddings WHERE segment_id = ?"));
    CM_ASSIGN_OR_RETURN(Stmt queued, db_.Prepare(
        "SELECT count(*) FROM embeddings_queue WHERE substr(topic, -36) = ? AND seq_id > ? AND operation IN (0, 2)"));
    for (CollectionInfo& c : collections_) {
      uint64_t n = 0;
      bool row = false;
      if (!c.metadata_segment.empty()) {
        rows.Reset();
        CM_RETURN_IF_ERROR(rows.BindText(1, c.metadata_segment));
        CM_RETURN_IF_ERROR(rows.Step(&row));
        if (row) n += static_cast<uint64_t>(rows.ColumnInt(0));
      }
      CM_ASSIGN_OR_RETURN(std::optional<uint64_t> max_seq, MaxSeqId(c.metadata_segment));
      queued.Reset();
      CM_RETURN_IF_ERROR(queued.BindText(1, c.topic_suffix));
      CM_RETURN_IF_ERROR(queued.BindInt(2, static_cast<int64_t>(max_seq.value_or(0))));
      CM_RETURN_IF_ERROR(queued.Step(&row));
      if (row) n += static_cast<uint64_t>(queued.ColumnInt(0));
      c.sc.expected_count = n;
    }
    return Status::Ok();
  }

  // ---- one collection ----------------------------------------------------------------------
  Result<std::optional<uint64_t>> MaxSeqId(const std::string& segment) {
    CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT seq_id FROM max_seq_id WHERE segment_id = ?"));
    CM_RETURN_IF_ERROR(st.BindText(1, segment));
    bool row = false;
    CM_RETURN_IF_ERROR(st.Step(&row));
    if (!row) return std::optional<uint64_t>();
    CM_ASSIGN_OR_RETURN(uint64_t v, DecodeSeqId(st, 0, fmt::format("{} max_seq_id of segment {}", db_path_, segment)));
    return std::optional<uint64_t>(v);
  }

  // The metadata segment's records: ids and their embeddings.id only; their fields stay in
  // SQLite until they are emitted (ReadFields).
  Status LoadMetadataSegment(const CollectionInfo& c, CollectionState* state) {
    CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT id, embedding_id FROM embeddings WHERE segment_id = ? ORDER BY id"));
    CM_RETURN_IF_ERROR(st.BindText(1, c.metadata_segment));
    bool row = false;
    while (true) {
      CM_RETURN_IF_ERROR(st.Step(&row));
      if (!row) break;
      state->PutMaterialised(st.ColumnText(1), st.ColumnInt(0));
    }
    return Status::Ok();
  }

  // The fields (document, URI, metadata with 1.5's arrays) of the records whose embeddings.id is
  // in [lo, hi], in key order as stored.
  Status ReadFields(int64_t lo, int64_t hi, std::unordered_map<int64_t, RecordFields>* out) {
    auto read_values = [&](const char* table, bool array) -> Status {
      const bool has_bool = schema_.HasColumn(table, "bool_value");
      std::string sql = fmt::format(
          "SELECT id, key, string_value, int_value, float_value, {} FROM {} WHERE id BETWEEN ? AND ? ORDER BY id, rowid",
          has_bool ? "bool_value" : "NULL", table);
      CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(sql));
      CM_RETURN_IF_ERROR(st.BindInt(1, lo));
      CM_RETURN_IF_ERROR(st.BindInt(2, hi));
      bool row = false;
      while (true) {
        CM_RETURN_IF_ERROR(st.Step(&row));
        if (!row) break;
        RecordFields& f = (*out)[st.ColumnInt(0)];
        std::string key = st.ColumnText(1);
        Value v = TypedValue(st, 2, 3, 4, 5);
        if (v.is_null()) continue;
        if (!array && key == kChromaDocumentKey) {
          if (v.is_string()) f.document = v.as_string();
          continue;
        }
        if (!array && key == kChromaUriKey) {
          if (v.is_string()) f.uri = v.as_string();
          continue;
        }
        auto& md = f.metadata;
        auto e = md.begin();
        while (e != md.end() && e->first != key) ++e;
        if (!array) {
          if (e == md.end()) md.emplace_back(std::move(key), std::move(v));
          else e->second = std::move(v);
        } else {
          if (e == md.end()) {
            md.emplace_back(std::move(key), Value::MakeArray({std::move(v)}));
          } else if (e->second.is_array()) {
            e->second.mutable_array().push_back(std::move(v));
          }
        }
      }
      return Status::Ok();
    };
    CM_RETURN_IF_ERROR(read_values("embedding_metadata", false));
    if (schema_.HasTable("embedding_metadata_array")) CM_RETURN_IF_ERROR(read_values("embedding_metadata_array", true));
    return Status::Ok();
  }

  // The fields of live_[emit_pos_] (a materialised record): read with those of the next records
  // in one range query, since materialised records come out in embeddings.id order.
  Status FieldsForEmit(RecordFields* out) {
    int64_t rowid = live_[emit_pos_].rowid;
    if (rowid < window_lo_ || rowid > window_hi_) {
      window_.clear();
      int64_t hi = rowid;
      for (size_t i = emit_pos_, n = 0; i < live_.size() && n < kFieldsWindow; ++i) {
        if (live_[i].rowid != 0) {
          hi = std::max(hi, live_[i].rowid);
          ++n;
        }
      }
      CM_RETURN_IF_ERROR(ReadFields(rowid, hi, &window_));
      window_lo_ = rowid;
      window_hi_ = hi;
    }
    auto it = window_.find(rowid);
    if (it != window_.end()) {
      *out = std::move(it->second);
      window_.erase(it);
    } else {
      *out = RecordFields();  // no metadata rows: no document, URI or metadata
    }
    return Status::Ok();
  }

  // Loads the HNSW index when the folder holds a non-empty pickle; returns whether it did and
  // the pickle's legacy max_seq_id.
  Status LoadVectorSegment(const CollectionInfo& c, CollectionState* state, bool* loaded,
                           std::optional<uint64_t>* pickle_seq) {
    *loaded = false;
    if (c.vector_segment.empty()) return Status::Ok();
    std::string folder = (fs::path(dir_) / c.vector_segment).string();
    std::string pickle_path = folder + "/" + kPickleFile;
    std::error_code ec;
    if (!fs::is_regular_file(pickle_path, ec) || fs::file_size(pickle_path, ec) == 0) return Status::Ok();
    CM_ASSIGN_OR_RETURN(MappedFile pf, MappedFile::Open(pickle_path));
    CM_ASSIGN_OR_RETURN(ParsedIndexMetadata meta, ReadIndexMetadataPickle(pf.bytes(), pickle_path));
    *pickle_seq = meta.max_seq_id;
    if (meta.label_to_id.empty() && meta.id_to_label_size == 0) return Status::Ok();  // Chroma re-initialises these
    auto reader = HnswSegmentReader::Open(folder, c.sc.dimension, c.space == Space::kCosine);
    if (!reader.ok()) {
      return reader.status().WithContext(fmt::format(
          "{}: the HNSW index ({} has {} ids) cannot be read", c.sc.location, kPickleFile, meta.label_to_id.size()));
    }
    hnsw_ = std::make_unique<HnswSegmentReader>(std::move(reader).value());
    for (size_t i = 0; i < hnsw_->slot_count(); ++i) {
      if (i % hnsw_->slots_per_release() == 0) hnsw_->ReleaseResident();  // a label on every slot's page
      if (hnsw_->Deleted(i)) continue;
      auto it = meta.label_to_id.find(hnsw_->Label(i));
      if (it == meta.label_to_id.end()) continue;  // a label Chroma no longer maps (deleted)
      state->PutVector(it->second, VectorRef{VectorRef::Kind::kSlot, i});
    }
    // A graph offer waiting for this collection takes the map instead of parsing the file again.
    if (auto slot = label_slots_.find(c.sc.key); slot != label_slots_.end()) {
      if (slot->second.use_count() > 1) *slot->second = std::move(meta.label_to_id);
      label_slots_.erase(slot);
    }
    *loaded = true;
    return Status::Ok();
  }

  Status LoadCollection(const CollectionInfo& c) {
    CollectionState state([this](int64_t rowid) -> Result<RecordFields> {
      std::unordered_map<int64_t, RecordFields> one;
      CM_RETURN_IF_ERROR(ReadFields(rowid, rowid, &one));
      return std::move(one[rowid]);
    });
    CM_RETURN_IF_ERROR(LoadMetadataSegment(c, &state));
    CM_ASSIGN_OR_RETURN(std::optional<uint64_t> mt, MaxSeqId(c.metadata_segment));
    bool hnsw_loaded = false;
    std::optional<uint64_t> pickle_seq;
    CM_RETURN_IF_ERROR(LoadVectorSegment(c, &state, &hnsw_loaded, &pickle_seq));
    uint64_t vt = 0;  // an index that was not loaded counts as empty: every queue row applies
    if (hnsw_loaded) {
      CM_ASSIGN_OR_RETURN(std::optional<uint64_t> v, MaxSeqId(c.vector_segment));
      vt = v ? *v : pickle_seq.value_or(0);
    }
    const uint64_t m = mt.value_or(0);
    CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(
        "SELECT seq_id, operation, id, vector IS NOT NULL, metadata FROM embeddings_queue "
        "WHERE substr(topic, -36) = ? AND seq_id > ? ORDER BY seq_id"));
    CM_RETURN_IF_ERROR(st.BindText(1, c.topic_suffix));
    CM_RETURN_IF_ERROR(st.BindInt(2, static_cast<int64_t>(std::min(m, vt))));
    bool row = false;
    while (true) {
      CM_RETURN_IF_ERROR(st.Step(&row));
      if (!row) break;
      const int64_t seq = st.ColumnInt(0);
      const int64_t op = st.ColumnInt(1);
      std::string where = fmt::format("{} embeddings_queue seq_id {}", db_path_, seq);
      if (op < 0 || op > 3) {
        return Status::Unsupported(fmt::format("{}: operation {}; expected 0 add, 1 update, 2 upsert or 3 delete", where, op));
      }
      Value metadata;
      if (st.ColumnType(4) != SQLITE_NULL) {
        auto parsed = ParseJson(st.ColumnText(4));
        if (!parsed.ok()) return parsed.status().WithContext(where + " metadata");
        metadata = std::move(parsed).value();
      }
      VectorRef vec;
      if (st.ColumnInt(3) != 0) vec = VectorRef{VectorRef::Kind::kQueue, static_cast<uint64_t>(seq)};
      Status s = state.Apply(static_cast<QueueOp>(op), st.ColumnText(2), vec, metadata,
                             static_cast<uint64_t>(seq) > m, static_cast<uint64_t>(seq) > vt);
      if (!s.ok()) return s.WithContext(where);
    }
    if (size_t orphan_vectors = state.vector_only_count()) {
      warnings_.push_back(fmt::format("{}: {} vectors have no metadata record (deleted in the metadata segment); ignored",
                                      c.sc.location, orphan_vectors));
    }
    live_ = state.Finish();
    size_t without = 0;
    for (const auto& r : live_) without += r.vector.kind == VectorRef::Kind::kNone ? 1 : 0;
    if (without) {
      warnings_.push_back(fmt::format("{}: {} records have no vector in the HNSW index or the queue", c.sc.location, without));
    }
    return Status::Ok();
  }

  Status ReadQueueVector(uint64_t seq, std::vector<double>* out) {
    if (!queue_vec_) {
      CM_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT vector, encoding FROM embeddings_queue WHERE seq_id = ?"));
      queue_vec_ = std::make_unique<Stmt>(std::move(st));
    }
    Stmt& st = *queue_vec_;
    st.Reset();
    CM_RETURN_IF_ERROR(st.BindInt(1, static_cast<int64_t>(seq)));
    bool row = false;
    CM_RETURN_IF_ERROR(st.Step(&row));
    std::string where = fmt::format("{} embeddings_queue seq_id {}", db_path_, seq);
    if (!row) return Status::Corrupt(fmt::format("{}: the row disappeared while reading", where));
    std::string encoding = st.ColumnType(1) == SQLITE_NULL ? "FLOAT32" : st.ColumnText(1);
    if (encoding != "FLOAT32") {
      return Status::Unsupported(fmt::format("{}: vector encoding {}; only FLOAT32 is written by Chroma", where, encoding));
    }
    std::string_view b = st.ColumnBlob(0);
    if (b.size() % 4 != 0) {
      return Status::Corrupt(fmt::format("{}: vector of {} bytes is not a whole number of float32 values", where, b.size()));
    }
    out->resize(b.size() / 4);
    for (size_t i = 0; i < out->size(); ++i) {
      float f = 0;
      std::memcpy(&f, b.data() + 4 * i, sizeof(f));
      (*out)[i] = f;
    }
    st.Reset();
    return Status::Ok();
  }

  Status Emit(const CollectionInfo& c, LiveRecord& rec, SourceRecord* r) {
    r->collection_key = c.sc.key;
    r->id = rec.id;
    r->location = fmt::format("{} collection \"{}\" id \"{}\"", db_path_, c.sc.name, rec.id);
    switch (rec.vector.kind) {
      case VectorRef::Kind::kNone: r->embedding_is_null = true; break;
      case VectorRef::Kind::kQueue: CM_RETURN_IF_ERROR(ReadQueueVector(rec.vector.index, &r->embedding)); break;
      case VectorRef::Kind::kSlot: {
        slot_vector_.resize(hnsw_->dim());
        CM_RETURN_IF_ERROR(
            hnsw_->ReadVector(static_cast<size_t>(rec.vector.index), c.space == Space::kCosine, slot_vector_.data()));
        r->embedding.assign(slot_vector_.begin(), slot_vector_.end());
        break;
      }
    }
    RecordFields fields;
    if (rec.rowid != 0) {
      CM_RETURN_IF_ERROR(FieldsForEmit(&fields));
    } else if (rec.fields) {
      fields = std::move(*rec.fields);
    }
    r->document = std::move(fields.document);
    r->uri = std::move(fields.uri);
    r->metadata_is_text = false;
    r->metadata = fields.metadata.empty() ? Value::Null() : Value::MakeObject(std::move(fields.metadata));
    return Status::Ok();
  }

  Status CheckUnchanged() {
    queue_vec_.reset();
    CM_ASSIGN_OR_RETURN(FileStamp now, Stamp(db_path_));
    if (!(now == stamp_)) {
      return Status::IoError(fmt::format("{}: the database changed while it was being read (size or modification time); "
                                         "a writer is active; stop it and run again",
                                         db_path_));
    }
    Status s = CheckNoLiveWriter(db_path_);
    if (!s.ok()) return s.WithContext("after reading");
    return Status::Ok();
  }

  std::vector<float> slot_vector_;  // Emit's scratch: a vector as the segment holds it
  std::string dir_;
  std::string db_path_;
  EndpointOptions options_;
  FileStamp stamp_;
  Db db_;
  ModernSchema schema_;
  std::vector<CollectionInfo> collections_;
  std::set<std::string> segment_ids_;
  std::vector<std::string> orphans_;
  std::vector<std::string> warnings_;
  // Streaming state.
  size_t current_ = 0;
  bool loaded_ = false;
  size_t emit_pos_ = 0;
  std::vector<LiveRecord> live_;
  static constexpr size_t kFieldsWindow = 2048;  // materialised records whose fields are read at once
  std::unordered_map<int64_t, RecordFields> window_;  // fields of the embeddings.ids in [window_lo_, window_hi_]
  int64_t window_lo_ = 0, window_hi_ = -1;
  std::unique_ptr<HnswSegmentReader> hnsw_;
  std::unique_ptr<Stmt> queue_vec_;
};

}  // namespace

Result<std::unique_ptr<Source>> ModernDirSource::Open(const std::string& dir, const EndpointOptions& options) {
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec);
  if (ec) return Status::IoError(fmt::format("{}: {}", dir, ec.message()));
  if (!fs::is_regular_file(abs / kDbFile, ec)) {
    return Status::NotFound(fmt::format("{}: missing; a Chroma ≥ 0.4 persist directory holds chroma.sqlite3", (abs / kDbFile).string()));
  }
  auto src = std::make_unique<ModernDirSourceImpl>(abs.lexically_normal().string(), options);
  Status s = src->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Source>(std::move(src));
}

}  // namespace cm
