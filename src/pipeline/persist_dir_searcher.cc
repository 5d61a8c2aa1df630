// The persist-dir Searcher of verify.h: finds each collection's VECTOR segment through
// chroma.sqlite3 (opened read-only), re-assembles the segment files into hnswlib's single-file
// layout in a temporary directory, loads it with hnswlib and maps labels to ids through
// index_metadata.pickle. Collections without a persisted index (records only in the WAL) are
// reported as Unsupported, which verify shows as "no query check" rather than a difference.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "chroma/sqlite_db.h"
#include "formats/hnsw/hnsw_builder.h"
#include "formats/hnsw/hnsw_header.h"
#include "formats/hnsw/segment_files.h"
#include "formats/pickle/index_metadata_reader.h"
#include "io/fs_util.h"
#include "io/mapped_file.h"
#include "pipeline/verify.h"

namespace fs = std::filesystem;

namespace cm {
namespace {

class PersistDirSearcher final : public Searcher {
 public:
  explicit PersistDirSearcher(std::string dir) : dir_(std::move(dir)) {}
  ~PersistDirSearcher() override {
    if (db_) sqlite3_close(db_);
    if (!tmp_.empty()) (void)RemoveTree(tmp_);
  }

  Status Init() {
    std::string uri = "file:" + dir_ + "/chroma.sqlite3?mode=ro&immutable=1";
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
      std::string msg = raw ? sqlite3_errmsg(raw) : "cannot open";
      if (raw) sqlite3_close(raw);
      return Status::IoError(fmt::format("{}/chroma.sqlite3: {}", dir_, msg));
    }
    db_ = raw;
    std::string tmpl = TempDir() + "/chroma-migrate-verify-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return Status::IoError(fmt::format("{}: cannot create the directory for verify's copies of the graphs: {}; set "
                                         "TMPDIR to a directory with room for them", tmpl, std::strerror(errno)));
    }
    tmp_ = tmpl;
    return Status::Ok();
  }

  Result<std::vector<std::vector<std::string>>> Query(const CollectionSpec& c, const std::vector<std::vector<float>>& queries,
                                                      size_t k) override {
    std::string sql =
        "SELECT s.id, c.dimension FROM collections c JOIN databases d ON c.database_id = d.id "
        "JOIN segments s ON s.collection = c.id AND s.scope = 'VECTOR' WHERE c.name = ? AND d.name = ? AND d.tenant_id = ?";
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      return Status::IoError(fmt::format("{}/chroma.sqlite3: {}", dir_, sqlite3_errmsg(db_)));
    }
    sqlite3_bind_text(st, 1, c.name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, c.database.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, c.tenant.c_str(), -1, SQLITE_TRANSIENT);
    std::string segment;
    size_t dim = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
      segment = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      dim = static_cast<size_t>(sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    if (segment.empty()) return Status::NotFound(fmt::format("collection \"{}\" has no vector segment", c.name));
    std::string seg = dir_ + "/" + segment;
    std::error_code ec;
    if (!fs::exists(seg + "/index_metadata.pickle", ec)) {
      return Status::Unsupported(fmt::format("collection \"{}\" has no persisted HNSW index (records only in the WAL)", c.name));
    }
    CM_ASSIGN_OR_RETURN(MappedFile pickle, MappedFile::Open(seg + "/index_metadata.pickle"));
    CM_ASSIGN_OR_RETURN(ParsedIndexMetadata meta, ReadIndexMetadataPickle(pickle.bytes(), pickle.path()));
    CM_ASSIGN_OR_RETURN(MappedFile header, MappedFile::Open(seg + "/header.bin"));
    CM_ASSIGN_OR_RETURN(MappedFile level0, MappedFile::Open(seg + "/data_level0.bin"));
    CM_ASSIGN_OR_RETURN(MappedFile links, MappedFile::Open(seg + "/link_lists.bin"));
    CM_ASSIGN_OR_RETURN(HnswHeader h, ParseHnswHeader(header.bytes(), header.path()));
    uint64_t cur = h.cur_element_count, sdpe = h.size_data_per_element;
    if (cur > level0.size() / sdpe) {
      return Status::Corrupt(fmt::format("{}: {} elements of {} bytes do not fit in {} bytes", level0.path(), cur, sdpe, level0.size()));
    }
    if (h.dim() != dim) {
      return Status::Corrupt(fmt::format("{}: vectors of {} dimensions, but collection \"{}\" has {}", header.path(), h.dim(),
                                         c.name, dim));
    }
    // hnswlib loads only from a file: the segment re-assembled in its single-file layout (as
    // large as the graph: $TMPDIR needs that much room, and a full one is reported as such).
    std::string stock = tmp_ + "/" + segment + ".bin";
    CM_RETURN_IF_ERROR(WriteStockFile(stock, header.bytes(), level0.bytes().substr(0, cur * sdpe), links.bytes()));
    CM_ASSIGN_OR_RETURN(auto index, HnswIndex::LoadStockFile(stock, dim, c.hnsw.space));
    std::vector<std::vector<std::string>> out;
    for (const auto& q : queries) {
      std::vector<float> v = q;
      if (c.hnsw.space == Space::kCosine) {
        double n = 0;
        for (float x : v) n += static_cast<double>(x) * x;
        float inv = static_cast<float>(1.0 / (std::sqrt(n) + 1e-30));
        for (float& x : v) x *= inv;
      }
      std::vector<std::string> ids;
      for (const auto& [d, label] : index->Search(v.data(), k, static_cast<size_t>(c.hnsw.ef_search))) {
        auto it = meta.label_to_id.find(label);
        if (it != meta.label_to_id.end()) ids.push_back(it->second);
      }
      out.push_back(std::move(ids));
    }
    fs::remove(stock, ec);
    return out;
  }

  PersistDirSearcher(const PersistDirSearcher&) = delete;
  PersistDirSearcher& operator=(const PersistDirSearcher&) = delete;

 private:
  std::string dir_;
  std::string tmp_;
  sqlite3* db_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Searcher>> OpenPersistDirSearcher(const std::string& dir) {
  auto s = std::make_unique<PersistDirSearcher>(dir);
  CM_RETURN_IF_ERROR(s->Init());
  return std::unique_ptr<Searcher>(std::move(s));
}

}  // namespace cm
