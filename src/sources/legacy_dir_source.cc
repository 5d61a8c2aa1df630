#include "sources/legacy_dir_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "sources/legacy_index_cache.h"

namespace fs = std::filesystem;

namespace cm {
namespace {

Status RequireFile(const std::string& dir, const char* name) {
  fs::path p = fs::path(dir) / name;
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return Status::Ok();
  bool has_index = fs::is_directory(fs::path(dir) / "index", ec);
  return Status::NotFound(fmt::format(
      "{}: missing. A Chroma 0.3 persist directory keeps its records in {} and {}{}", p.string(),
      kLegacyCollectionsFile, kLegacyEmbeddingsFile,
      has_index ? "; index/ is only an HNSW cache (no ids, documents or metadata), so the records "
                  "cannot be recovered from it. Chroma 0.3 wrote the parquet files only at exit or "
                  "on client.persist(): look for them in a backup or the original process's directory"
                : ""));
}

std::string Row(const char* file, uint64_t row) { return fmt::format("{} row {}", file, row); }

}  // namespace

bool LooksLikeLegacyDir(const std::string& dir) {
  std::error_code ec;
  fs::path p(dir);
  if (fs::exists(p / "chroma.sqlite3", ec)) return false;
  if (fs::exists(p / kLegacyCollectionsFile, ec) || fs::exists(p / kLegacyEmbeddingsFile, ec)) return true;
  if (fs::is_directory(p / "index", ec)) {
    for (const auto& e : fs::directory_iterator(p / "index", ec)) {
      if (e.path().extension() == ".pkl") return true;
    }
  }
  return false;
}

Result<std::unique_ptr<LegacyDirSource>> LegacyDirSource::Open(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(fmt::format("{}: no such directory", dir));
  CM_RETURN_IF_ERROR(RequireFile(dir, kLegacyCollectionsFile));
  CM_RETURN_IF_ERROR(RequireFile(dir, kLegacyEmbeddingsFile));
  std::unique_ptr<LegacyDirSource> s(new LegacyDirSource(dir));
  CM_ASSIGN_OR_RETURN(s->collections_, parquet::FileReader::Open((fs::path(dir) / kLegacyCollectionsFile).string()));
  CM_ASSIGN_OR_RETURN(s->embeddings_, parquet::FileReader::Open((fs::path(dir) / kLegacyEmbeddingsFile).string()));
  CM_RETURN_IF_ERROR(s->OpenEmbeddingColumns());
  return s;
}

std::string LegacyDirSource::Describe() const {
  return fmt::format("legacy persist directory {} (Chroma ≤ 0.3, duckdb+parquet; parquet written by {})", dir_,
                     embeddings_->created_by().empty() ? "an unknown writer" : embeddings_->created_by());
}

std::optional<uint64_t> LegacyDirSource::TotalRecords() const { return embeddings_->num_rows(); }

Status LegacyDirSource::OpenEmbeddingColumns() {
  CM_ASSIGN_OR_RETURN(col_collection_, embeddings_->OpenColumn("collection_uuid"));
  CM_ASSIGN_OR_RETURN(col_uuid_, embeddings_->OpenColumn("uuid"));
  CM_ASSIGN_OR_RETURN(col_embedding_, embeddings_->OpenColumn("embedding"));
  CM_ASSIGN_OR_RETURN(col_document_, embeddings_->OpenColumn("document"));
  CM_ASSIGN_OR_RETURN(col_id_, embeddings_->OpenColumn("id"));
  CM_ASSIGN_OR_RETURN(col_metadata_, embeddings_->OpenColumn("metadata"));
  return Status::Ok();
}

Result<std::vector<SourceCollection>> LegacyDirSource::ListCollections() {
  CM_ASSIGN_OR_RETURN(auto uuid, collections_->OpenColumn("uuid"));
  CM_ASSIGN_OR_RETURN(auto name, collections_->OpenColumn("name"));
  CM_ASSIGN_OR_RETURN(auto metadata, collections_->OpenColumn("metadata"));
  std::vector<std::optional<std::string>> uuids, names, metas;
  uint64_t rows = collections_->num_rows();
  CM_RETURN_IF_ERROR(uuid->ReadStrings(rows, &uuids));
  CM_RETURN_IF_ERROR(name->ReadStrings(rows, &names));
  CM_RETURN_IF_ERROR(metadata->ReadStrings(rows, &metas));
  if (uuids.size() != rows || names.size() != rows || metas.size() != rows) {
    return Status::Corrupt(fmt::format("{}/{}: the footer promises {} rows but the columns hold {}, {} and {}",
                                       dir_, kLegacyCollectionsFile, rows, uuids.size(), names.size(), metas.size()));
  }
  std::vector<SourceCollection> out;
  for (uint64_t r = 0; r < rows; ++r) {
    SourceCollection c;
    c.location = Row(kLegacyCollectionsFile, r);
    if (!uuids[r]) return Status::Corrupt(fmt::format("{}/{}: uuid is NULL", dir_, c.location));
    c.key = *uuids[r];
    c.name = names[r].value_or("");
    c.metadata_text = metas[r];
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<IdCensus>> LegacyDirSource::CensusIds() {
  // Pass 1 hashes every (collection, id); only when two hashes meet does pass 2 read the ids
  // again to find which strings really repeat. Neither pass touches the embedding column.
  IdCensus census;
  std::vector<uint64_t> hashes;
  hashes.reserve(embeddings_->num_rows());
  auto hash = [](const std::string& key, const std::string& id) {
    return std::hash<std::string>{}(id) * 0x9E3779B97F4A7C15ULL ^ std::hash<std::string>{}(key);
  };
  auto scan = [&](const std::function<void(const std::string& key, const std::string& id)>& visit) -> Status {
    CM_ASSIGN_OR_RETURN(auto coll, embeddings_->OpenColumn("collection_uuid"));
    CM_ASSIGN_OR_RETURN(auto uuid, embeddings_->OpenColumn("uuid"));
    CM_ASSIGN_OR_RETURN(auto id, embeddings_->OpenColumn("id"));
    std::vector<std::optional<std::string>> c, u, i;
    for (uint64_t row = 0; row < embeddings_->num_rows();) {
      c.clear();
      u.clear();
      i.clear();
      CM_RETURN_IF_ERROR(coll->ReadStrings(65536, &c));
      CM_RETURN_IF_ERROR(uuid->ReadStrings(65536, &u));
      CM_RETURN_IF_ERROR(id->ReadStrings(65536, &i));
      if (c.empty() || u.size() != c.size() || i.size() != c.size()) {
        return Status::Corrupt(fmt::format("{}/{} near row {}: the collection_uuid, uuid and id columns disagree on "
                                           "the number of rows ({}, {}, {})",
                                           dir_, kLegacyEmbeddingsFile, row, c.size(), u.size(), i.size()));
      }
      for (size_t k = 0; k < c.size(); ++k) {
        static const std::string kEmpty;
        visit(c[k] ? *c[k] : kEmpty, i[k] ? *i[k] : (u[k] ? *u[k] : kEmpty));
      }
      row += c.size();
    }
    return Status::Ok();
  };
  CM_RETURN_IF_ERROR(scan([&](const std::string& key, const std::string& id) {
    ++census.records[key];
    hashes.push_back(hash(key, id));
  }));
  std::sort(hashes.begin(), hashes.end());
  std::vector<uint64_t> twice;
  for (size_t k = 1; k < hashes.size(); ++k) {
    if (hashes[k] == hashes[k - 1] && (twice.empty() || twice.back() != hashes[k])) twice.push_back(hashes[k]);
  }
  hashes = {};
  if (twice.empty()) return std::optional<IdCensus>(std::move(census));
  std::map<std::pair<std::string, std::string>, uint64_t> seen;
  CM_RETURN_IF_ERROR(scan([&](const std::string& key, const std::string& id) {
    if (std::binary_search(twice.begin(), twice.end(), hash(key, id))) ++seen[{key, id}];
  }));
  for (const auto& [key_id, n] : seen) {
    if (n > 1) census.repeated[key_id.first].insert(key_id.second);
  }
  return std::optional<IdCensus>(std::move(census));
}

Status LegacyDirSource::Next(size_t max_rows, std::vector<SourceRecord>* out, bool* done) {
  // Wide embeddings make a batch of rows large (8192 × 1536 float64 = 96 MiB, held twice while
  // records are built): cap each batch at kBatchEmbeddingBytes (source.h) by the width seen so
  // far. Small batches also start the graph sooner: its threads wait for the first batch to be
  // decoded (with 8 MiB, 2,730 rows at 384 dimensions, a quarter of a 10k collection).
  // Until a batch has shown the width, read a few rows only: a first batch of 8192 rows at 1536
  // dimensions would be 100 MiB of values, held twice (heaptrack found it as the run's peak).
  constexpr size_t kFirstBatchRows = 64;
  if (values_per_row_ == 0) {
    max_rows = std::min(max_rows, kFirstBatchRows);
  } else {
    max_rows = std::max<size_t>(1, std::min(max_rows, kBatchEmbeddingBytes / (values_per_row_ * sizeof(double))));
  }
  std::vector<std::optional<std::string>> coll, uuid, doc, id, meta;
  parquet::DoubleListBatch& emb = emb_batch_;  // reused: its capacity stays, so its pages are not faulted in again
  emb.Clear();
  CM_RETURN_IF_ERROR(col_collection_->ReadStrings(max_rows, &coll));
  CM_RETURN_IF_ERROR(col_uuid_->ReadStrings(max_rows, &uuid));
  CM_RETURN_IF_ERROR(col_embedding_->ReadDoubleLists(max_rows, &emb));
  CM_RETURN_IF_ERROR(col_document_->ReadStrings(max_rows, &doc));
  CM_RETURN_IF_ERROR(col_id_->ReadStrings(max_rows, &id));
  CM_RETURN_IF_ERROR(col_metadata_->ReadStrings(max_rows, &meta));
  size_t n = coll.size();
  if (uuid.size() != n || emb.rows() != n || doc.size() != n || id.size() != n || meta.size() != n) {
    return Status::Corrupt(fmt::format(
        "{}/{} near row {}: columns disagree on the number of rows (collection_uuid {}, uuid {}, embedding {}, "
        "document {}, id {}, metadata {})",
        dir_, kLegacyEmbeddingsFile, next_row_, n, uuid.size(), emb.rows(), doc.size(), id.size(), meta.size()));
  }
  for (size_t i = 0; i < n; ++i) {
    SourceRecord r;
    r.location = Row(kLegacyEmbeddingsFile, next_row_ + i);
    r.collection_key = coll[i].value_or("");
    r.id = std::move(id[i]);
    r.fallback_id = uuid[i].value_or("");
    r.embedding_is_null = emb.row_is_null[i] != 0;
    auto first = static_cast<std::ptrdiff_t>(emb.offsets[i]), last = static_cast<std::ptrdiff_t>(emb.offsets[i + 1]);
    r.embedding.assign(emb.values.begin() + first, emb.values.begin() + last);
    r.null_elements = static_cast<size_t>(
        std::count(emb.value_is_null.begin() + first, emb.value_is_null.begin() + last, uint8_t{1}));
    r.document = std::move(doc[i]);
    r.metadata_is_text = true;
    r.metadata_text = std::move(meta[i]);
    out->push_back(std::move(r));
  }
  next_row_ += n;
  if (n > 0) values_per_row_ = std::max(values_per_row_, emb.values.size() / n);
  *done = next_row_ >= embeddings_->num_rows() || n == 0;
  if (n < max_rows && next_row_ < embeddings_->num_rows()) {
    return Status::Corrupt(fmt::format("{}/{}: the footer promises {} rows but the data ends after {}", dir_,
                                       kLegacyEmbeddingsFile, embeddings_->num_rows(), next_row_));
  }
  return Status::Ok();
}

}  // namespace cm

namespace cm {

std::optional<GraphCache> LegacyDirSource::CachedGraph(const std::string& key) const {
  std::filesystem::path index = std::filesystem::path(dir_).lexically_normal() / "index";
  GraphCache c{GraphCache::Kind::kLegacyIndex, (index / fmt::format("index_{}.bin", key)).string(), (index / fmt::format("uuid_to_id_{}.pkl", key)).string()};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(c.index_path, ec) || !std::filesystem::is_regular_file(c.labels_path, ec)) {
    return std::nullopt;
  }
  return c;
}

std::vector<std::string> LegacyDirSource::Diagnostics(const std::map<std::string, uint64_t>& records_per_collection) {
  std::vector<std::string> notes;
  auto files = ScanLegacyIndexDir(dir_);
  for (const auto& [uuid, file] : files) {
    if (!file.ok()) {
      notes.push_back(fmt::format("index/ cache for {} is unreadable ({}); it is not needed for the migration",
                                  uuid, file.status().message()));
      continue;
    }
    auto it = records_per_collection.find(uuid);
    uint64_t live = file->elements - file->deleted;
    if (it == records_per_collection.end()) {
      notes.push_back(fmt::format("index/index_{}.bin holds {} live vectors of a collection that "
                                  "chroma-collections.parquet does not list (an orphaned cache; ignored)", uuid, live));
    } else if (live != it->second) {
      notes.push_back(fmt::format("index/index_{}.bin holds {} live vectors ({} deleted) but the parquet has {} rows "
                                  "for that collection: the cache is stale; the parquet is migrated", uuid, live,
                                  file->deleted, it->second));
    } else if (file->deleted == 0 && live > 0) {
      notes.push_back(fmt::format("index/index_{}.bin holds the collection's {} vectors: migrate reuses that graph "
                                  "if every record matches it (--rebuild-index builds it anyway)", uuid, live));
    }
  }
  for (const auto& [uuid, rows] : records_per_collection) {
    if (rows > 0 && !files.count(uuid)) {
      notes.push_back(fmt::format("no index/ cache for collection {} ({} rows): normal after increment_index=False "
                                  "or a lost cache; the index is rebuilt from the parquet", uuid, rows));
    }
  }
  return notes;
}

}  // namespace cm
