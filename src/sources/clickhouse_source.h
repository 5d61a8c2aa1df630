// ClickHouseSource: the collections and embeddings tables of a Chroma 0.3 server's ClickHouse
// (legacy-formats.md §3), read over ClickHouse's HTTP interface (clickhouse_http.h) in RowBinary
// (clickhouse_rowbinary.h): float64 embeddings bit for bit, NULL ids/documents/metadata kept.
// URL: clickhouse://[user[:password]@]host[:port][/database][?page_rows=N] (clickhouse_url.h).
//
// Open() checks, before reading any record, that the port is ClickHouse's HTTP interface, that the
// credentials work, that both tables exist (naming the tables it found otherwise) and that their
// columns have types this reader knows: `metadata` may be String (tables created by ≤ 0.3.0) or
// Nullable(String); key columns UUID (or String); embedding Array(Float64|Float32).
//
// Records stream by keyset pagination in (collection_uuid, uuid) order, page_rows per request,
// each page's rows decoded as its bytes arrive: memory is bounded by one page's worth of socket
// buffering plus the rows the caller asks for, whatever the table size. The position after the
// last record handed out (Checkpoint) is enough to continue: a broken connection is retried from
// it (HttpOptions::max_retries), and a later run can ResumeFrom() it. Ties on (collection_uuid,
// uuid), which Chroma never writes, are ordered by the remaining columns and counted, so no row
// is skipped or repeated. ClickHouse keeps no insertion order, so "first"/"last" among duplicate
// ids means first/last in this order. Records of one collection are contiguous.
// Read-only (SELECTs only); one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "sources/clickhouse_http.h"
#include "sources/clickhouse_rowbinary.h"
#include "sources/clickhouse_url.h"
#include "sources/source.h"

namespace cm {

bool IsClickHouseUrl(const std::string& s);

class ClickHouseSource final : public Source {
 public:
  static Result<std::unique_ptr<Source>> Open(const std::string& url, const EndpointOptions& options);
  static Result<std::unique_ptr<ClickHouseSource>> OpenClickHouse(const std::string& url,
                                                                  const EndpointOptions& options);

  std::string Describe() const override;
  Result<std::vector<SourceCollection>> ListCollections() override;
  Status Next(size_t max_rows, std::vector<SourceRecord>* out, bool* done) override;
  Result<std::optional<IdCensus>> CensusIds() override;
  std::optional<uint64_t> TotalRecords() const override { return total_; }

  // The position after the last record returned by Next(): "" before the first one.
  std::string Checkpoint() const;
  // Continues after a Checkpoint() of an earlier run on the same tables (before any Next()).
  Status ResumeFrom(const std::string& checkpoint);

 private:
  struct Position {
    bool started = false;
    std::string collection_uuid, uuid;  // key of the last record handed out
    uint64_t at_key = 0;                // records handed out with exactly that key
  };

  explicit ClickHouseSource(ClickHouseUrl url) : url_(std::move(url)) {}
  Status CheckTables();
  Status CheckColumns();
  Status StartPage();
  std::string PageQuery() const;
  std::string Literal(bool uuid_typed, const std::string& value) const;
  std::string Table(const char* name) const;
  Result<std::vector<std::vector<clickhouse::Cell>>> SelectRows(const std::string& sql,
                                                                std::vector<clickhouse::Column> columns);
  void ToRecord(std::vector<clickhouse::Cell>& row, SourceRecord* r) const;

  ClickHouseUrl url_;
  HttpOptions http_;
  std::unique_ptr<clickhouse::HttpClient> client_;
  std::string server_version_;
  std::vector<clickhouse::Column> collection_columns_;  // uuid, name, metadata
  std::vector<clickhouse::Column> embedding_columns_;   // collection_uuid, uuid, embedding, document, id, metadata
  std::unique_ptr<clickhouse::RowBinaryStream> stream_;
  std::vector<clickhouse::Cell> row_;
  std::optional<uint64_t> total_;
  Position pos_;
  bool page_open_ = false;
  bool exhausted_ = false;
  uint64_t page_number_ = 0;
  int failures_in_a_row_ = 0;
};

}  // namespace cm
