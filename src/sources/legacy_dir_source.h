// LegacyDirSource: a Chroma 0.1–0.3.29 duckdb+parquet persist directory
// (chroma-collections.parquet + chroma-embeddings.parquet; legacy-formats.md §1).
//
// The parquet files are the data; index/ is a derived HNSW cache without ids, documents or
// metadata: it is offered to the writer (CachedGraph), which adopts a collection's graph only
// when it indexes exactly the migrated records, and checked against the parquet by `plan`. Columns are found by name, so column order does
// not matter. Embedding rows stream in file order, one parquet page at a time.
// Read-only; one thread.
#pragma once

#include <memory>
#include <string>

#include "formats/parquet/parquet_reader.h"
#include "sources/source.h"

namespace cm {

inline constexpr const char* kLegacyCollectionsFile = "chroma-collections.parquet";
inline constexpr const char* kLegacyEmbeddingsFile = "chroma-embeddings.parquet";

// True when `dir` looks like a legacy persist directory (either parquet file, or index/*.pkl,
// and no chroma.sqlite3).
bool LooksLikeLegacyDir(const std::string& dir);

class LegacyDirSource final : public Source {
 public:
  // NotFound names a missing file and says what a legacy directory should contain.
  static Result<std::unique_ptr<LegacyDirSource>> Open(const std::string& dir);

  std::string Describe() const override;
  Result<std::vector<SourceCollection>> ListCollections() override;
  Status Next(size_t max_rows, std::vector<SourceRecord>* out, bool* done) override;
  Result<std::optional<IdCensus>> CensusIds() override;
  std::optional<uint64_t> TotalRecords() const override;
  std::optional<GraphCache> CachedGraph(const std::string& key) const override;
  std::vector<std::string> Diagnostics(const std::map<std::string, uint64_t>& records_per_collection) override;

 private:
  explicit LegacyDirSource(std::string dir) : dir_(std::move(dir)) {}
  Status OpenEmbeddingColumns();

  std::string dir_;
  std::unique_ptr<parquet::FileReader> collections_;
  std::unique_ptr<parquet::FileReader> embeddings_;
  std::unique_ptr<parquet::ColumnStream> col_collection_, col_uuid_, col_embedding_, col_document_, col_id_, col_metadata_;
  uint64_t next_row_ = 0;
  parquet::DoubleListBatch emb_batch_;  // Next's embedding batch
  size_t values_per_row_ = 0;  // widest batch so far (embedding values per row)
};

}  // namespace cm
