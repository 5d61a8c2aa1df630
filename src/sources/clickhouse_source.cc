#include "sources/clickhouse_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

namespace cm {
namespace {

using clickhouse::Cell;
using clickhouse::Column;
using clickhouse::ColumnType;
using Kind = clickhouse::ColumnType::Kind;

constexpr const char* kCollections = "collections";
constexpr const char* kEmbeddings = "embeddings";

std::string QuoteString(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string QuoteIdent(const std::string& s) {
  std::string out = "`";
  for (char c : s) {
    if (c == '\\' || c == '`') out.push_back('\\');
    out.push_back(c);
  }
  return out + "`";
}

std::string Join(const std::vector<std::string>& items) {
  if (items.empty()) return "(none)";
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Column StringColumn(const char* name) { return Column{name, ColumnType{}}; }

enum class Role { kKey, kText, kEmbedding };

// Whether a column of `role` may have type `t`, and what Chroma's DDL says it should be.
bool Accepts(Role role, const ColumnType& t, const char** expected) {
  switch (role) {
    case Role::kKey:
      *expected = "UUID";
      return t.kind == Kind::kUuid || t.kind == Kind::kString;
    case Role::kText:
      *expected = "String or Nullable(String)";
      return t.Base().kind == Kind::kString;
    case Role::kEmbedding: {
      *expected = "Array(Float64)";
      if (t.kind != Kind::kArray) return false;
      Kind e = t.child->Base().kind;
      return e == Kind::kFloat64 || e == Kind::kFloat32;
    }
  }
  return false;
}

struct Wanted {
  const char* name;
  Role role;
};
constexpr Wanted kCollectionColumns[] = {{"uuid", Role::kKey}, {"name", Role::kText}, {"metadata", Role::kText}};
constexpr Wanted kEmbeddingColumns[] = {{"collection_uuid", Role::kKey}, {"uuid", Role::kKey},
                                        {"embedding", Role::kEmbedding}, {"document", Role::kText},
                                        {"id", Role::kText},             {"metadata", Role::kText}};

}  // namespace

bool IsClickHouseUrl(const std::string& s) {
  return s.rfind("clickhouse://", 0) == 0 || s.rfind("clickhouses://", 0) == 0;
}

Result<std::unique_ptr<Source>> ClickHouseSource::Open(const std::string& url, const EndpointOptions& options) {
  CM_ASSIGN_OR_RETURN(auto s, OpenClickHouse(url, options));
  return std::unique_ptr<Source>(std::move(s));
}

Result<std::unique_ptr<ClickHouseSource>> ClickHouseSource::OpenClickHouse(const std::string& url,
                                                                           const EndpointOptions& options) {
  CM_ASSIGN_OR_RETURN(ClickHouseUrl parsed, ParseClickHouseUrl(url));
  if (options.database_given) {
    if (parsed.database_given && parsed.database != options.database) {
      return Status::InvalidArgument(fmt::format("{}: the URL names database \"{}\" but --from-database says \"{}\"",
                                                 parsed.Display(), parsed.database, options.database));
    }
    parsed.database = options.database;
    parsed.database_given = true;
  }
  std::unique_ptr<ClickHouseSource> s(new ClickHouseSource(parsed));
  s->http_ = options.http;
  CM_ASSIGN_OR_RETURN(s->client_, clickhouse::HttpClient::Create(parsed, options.http));
  CM_RETURN_IF_ERROR(s->client_->Ping());
  CM_ASSIGN_OR_RETURN(auto version, s->SelectRows("SELECT version() FORMAT RowBinary", {StringColumn("version")}));
  if (!version.empty()) s->server_version_ = version[0][0].text;
  CM_RETURN_IF_ERROR(s->CheckTables());
  CM_RETURN_IF_ERROR(s->CheckColumns());
  CM_ASSIGN_OR_RETURN(auto count, s->SelectRows(fmt::format("SELECT toString(count()) FROM {} FORMAT RowBinary",
                                                            s->Table(kEmbeddings)),
                                                {StringColumn("count")}));
  if (!count.empty()) s->total_ = std::strtoull(count[0][0].text.c_str(), nullptr, 10);
  return s;
}

std::string ClickHouseSource::Table(const char* name) const {
  return QuoteIdent(url_.database) + "." + QuoteIdent(name);
}

Result<std::vector<std::vector<Cell>>> ClickHouseSource::SelectRows(const std::string& sql, std::vector<Column> columns) {
  clickhouse::RowBinaryStream stream(std::move(columns), clickhouse::Limits{});
  stream.Reset(fmt::format("ClickHouse {} answer to \"{}\"", url_.HostPort(), sql.substr(0, 120)));
  CM_RETURN_IF_ERROR(client_->Start(sql));
  std::vector<std::vector<Cell>> rows;
  std::vector<Cell> row;
  for (bool eof = false; !eof;) {
    CM_RETURN_IF_ERROR(client_->Read(stream.buffer(), &eof));
    for (bool have = true; have;) {
      CM_RETURN_IF_ERROR(stream.Next(&row, &have));
      if (have) rows.push_back(row);
    }
  }
  CM_RETURN_IF_ERROR(stream.Finish());
  return rows;
}

Status ClickHouseSource::CheckTables() {
  CM_ASSIGN_OR_RETURN(auto rows, SelectRows(fmt::format("SELECT name FROM system.tables WHERE database = {} ORDER BY "
                                                        "name FORMAT RowBinary",
                                                        QuoteString(url_.database)),
                                            {StringColumn("name")}));
  std::vector<std::string> tables;
  for (auto& r : rows) tables.push_back(r[0].text);
  auto has = [&](const char* t) { return std::find(tables.begin(), tables.end(), t) != tables.end(); };
  if (has(kCollections) && has(kEmbeddings)) return Status::Ok();
  if (tables.empty()) {
    CM_ASSIGN_OR_RETURN(auto dbs, SelectRows("SELECT name FROM system.databases ORDER BY name FORMAT RowBinary",
                                             {StringColumn("name")}));
    std::vector<std::string> names;
    for (auto& r : dbs) names.push_back(r[0].text);
    if (std::find(names.begin(), names.end(), url_.database) == names.end()) {
      return Status::NotFound(fmt::format(
          "{}: database \"{}\" does not exist; databases on this server: {}. Put the one holding Chroma's tables "
          "collections and embeddings in the URL: clickhouse://host:port/DATABASE",
          url_.Display(), url_.database, Join(names)));
    }
  }
  std::vector<std::string> missing;
  if (!has(kCollections)) missing.push_back(kCollections);
  if (!has(kEmbeddings)) missing.push_back(kEmbeddings);
  return Status::NotFound(fmt::format(
      "{}: no {} in database \"{}\"; Chroma 0.3 keeps its data in tables collections and embeddings. Tables "
      "found in \"{}\": {}",
      url_.Display(), missing.size() == 2 ? "tables collections and embeddings" : "table " + missing[0],
      url_.database, url_.database, Join(tables)));
}

Status ClickHouseSource::CheckColumns() {
  CM_ASSIGN_OR_RETURN(auto rows,
                      SelectRows(fmt::format("SELECT table, name, type FROM system.columns WHERE database = {} AND "
                                             "table IN ('collections', 'embeddings') FORMAT RowBinary",
                                             QuoteString(url_.database)),
                                 {StringColumn("table"), StringColumn("name"), StringColumn("type")}));
  std::map<std::pair<std::string, std::string>, std::string> types;
  for (auto& r : rows) types[{r[0].text, r[1].text}] = r[2].text;
  auto resolve = [&](const char* table, const Wanted* wanted, size_t n, std::vector<Column>* out) -> Status {
    for (size_t i = 0; i < n; ++i) {
      auto it = types.find({table, wanted[i].name});
      if (it == types.end()) {
        std::vector<std::string> have;
        for (auto& [k, v] : types) {
          if (k.first == table) have.push_back(k.second + " " + v);
        }
        return Status::NotFound(fmt::format("{}: table {}.{} has no column {}; its columns: {}", url_.Display(),
                                            url_.database, table, wanted[i].name, Join(have)));
      }
      auto type = clickhouse::ParseColumnType(it->second);
      const char* expected = "";
      if (!type.ok() || !Accepts(wanted[i].role, *type, &expected)) {
        return Status::Unsupported(fmt::format("{}: column {}.{}.{} has type {}; expected {} as Chroma 0.3 created it",
                                               url_.Display(), url_.database, table, wanted[i].name, it->second,
                                               expected));
      }
      out->push_back(Column{fmt::format("{}.{}", table, wanted[i].name), std::move(type).value()});
    }
    return Status::Ok();
  };
  CM_RETURN_IF_ERROR(resolve(kCollections, kCollectionColumns, std::size(kCollectionColumns), &collection_columns_));
  CM_RETURN_IF_ERROR(resolve(kEmbeddings, kEmbeddingColumns, std::size(kEmbeddingColumns), &embedding_columns_));
  return Status::Ok();
}

std::string ClickHouseSource::Describe() const {
  const ColumnType& meta = embedding_columns_.empty() ? ColumnType{} : embedding_columns_[5].type;
  return fmt::format("legacy ClickHouse {} (Chroma ≤ 0.3; ClickHouse {}; embeddings.metadata {}{})", url_.Display(),
                     server_version_.empty() ? "of unknown version" : server_version_, meta.ToString(),
                     meta.IsNullable() ? "" : ", as created by Chroma ≤ 0.3.0");
}

Result<std::vector<SourceCollection>> ClickHouseSource::ListCollections() {
  CM_ASSIGN_OR_RETURN(auto rows, SelectRows(fmt::format("SELECT uuid, name, metadata FROM {} ORDER BY uuid FORMAT "
                                                        "RowBinary",
                                                        Table(kCollections)),
                                            collection_columns_));
  std::vector<SourceCollection> out;
  for (auto& r : rows) {
    SourceCollection c;
    c.key = r[0].text;
    c.name = r[1].is_null ? "" : r[1].text;
    if (!r[2].is_null) c.metadata_text = r[2].text;
    c.location = fmt::format("{}.collections uuid {}", url_.database, c.key);
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<IdCensus>> ClickHouseSource::CensusIds() {
  // Both answers are computed by the server: counts per collection, and only the ids that repeat.
  IdCensus census;
  CM_ASSIGN_OR_RETURN(auto counts, SelectRows(fmt::format("SELECT toString(collection_uuid), toString(count()) FROM {} "
                                                          "GROUP BY collection_uuid FORMAT RowBinary",
                                                          Table(kEmbeddings)),
                                              {StringColumn("collection_uuid"), StringColumn("count")}));
  for (auto& r : counts) census.records[r[0].text] = std::strtoull(r[1].text.c_str(), nullptr, 10);
  CM_ASSIGN_OR_RETURN(auto repeated,
                      SelectRows(fmt::format("SELECT toString(collection_uuid) AS c, ifNull(id, toString(uuid)) AS k "
                                             "FROM {} GROUP BY c, k HAVING count() > 1 FORMAT RowBinary",
                                             Table(kEmbeddings)),
                                 {StringColumn("c"), StringColumn("k")}));
  for (auto& r : repeated) census.repeated[r[0].text].insert(r[1].text);
  return std::optional<IdCensus>(std::move(census));
}

std::string ClickHouseSource::Literal(bool uuid_typed, const std::string& value) const {
  return uuid_typed ? "toUUID(" + QuoteString(value) + ")" : QuoteString(value);
}

std::string ClickHouseSource::PageQuery() const {
  std::string sql = fmt::format("SELECT collection_uuid, uuid, embedding, document, id, metadata FROM {}",
                                Table(kEmbeddings));
  uint64_t skip = 0;
  if (pos_.started) {
    std::string c = Literal(embedding_columns_[0].type.kind == Kind::kUuid, pos_.collection_uuid);
    std::string u = Literal(embedding_columns_[1].type.kind == Kind::kUuid, pos_.uuid);
    // The first condition lets ClickHouse skip granules by the table's sorting key (collection_uuid).
    sql += fmt::format(" WHERE collection_uuid >= {} AND (collection_uuid, uuid) >= ({}, {})", c, c, u);
    skip = pos_.at_key;
  }
  // id, document, metadata and embedding only order rows that share a (collection_uuid, uuid) key.
  sql += fmt::format(" ORDER BY collection_uuid, uuid, id, document, metadata, embedding LIMIT {}, {} FORMAT RowBinary",
                     skip, url_.page_rows);
  return sql;
}

Status ClickHouseSource::StartPage() {
  ++page_number_;
  if (!stream_) stream_ = std::make_unique<clickhouse::RowBinaryStream>(embedding_columns_, clickhouse::Limits{});
  stream_->Reset(fmt::format("ClickHouse {} {}.embeddings page {} (RowBinary)", url_.HostPort(), url_.database,
                             page_number_));
  CM_RETURN_IF_ERROR(client_->Start(PageQuery()));
  page_open_ = true;
  return Status::Ok();
}

void ClickHouseSource::ToRecord(std::vector<Cell>& row, SourceRecord* r) const {
  r->collection_key = row[0].text;
  r->fallback_id = row[1].text;
  r->location = fmt::format("{}.embeddings uuid {}", url_.database, row[1].text);
  r->embedding_is_null = row[2].is_null;
  r->embedding = std::move(row[2].values);
  r->null_elements = row[2].null_elements;
  if (!row[3].is_null) r->document = std::move(row[3].text);
  if (!row[4].is_null) r->id = std::move(row[4].text);
  r->metadata_is_text = true;
  if (!row[5].is_null) r->metadata_text = std::move(row[5].text);
}

Status ClickHouseSource::Next(size_t max_rows, std::vector<SourceRecord>* out, bool* done) {
  *done = false;
  size_t produced = 0, bytes = 0;
  while (produced < max_rows && bytes < kBatchEmbeddingBytes && !exhausted_) {
    Status st;
    if (!page_open_) {
      st = StartPage();
    } else {
      bool have = false;
      CM_RETURN_IF_ERROR(stream_->Next(&row_, &have));
      if (have) {
        SourceRecord r;
        ToRecord(row_, &r);
        if (pos_.started && r.collection_key == pos_.collection_uuid && r.fallback_id == pos_.uuid) {
          ++pos_.at_key;
        } else {
          pos_ = Position{true, r.collection_key, r.fallback_id, 1};
        }
        bytes += r.embedding.size() * sizeof(double);
        out->push_back(std::move(r));
        ++produced;
        failures_in_a_row_ = 0;
        continue;
      }
      bool eof = false;
      st = client_->Read(stream_->buffer(), &eof);
      if (st.ok() && eof) {
        CM_RETURN_IF_ERROR(stream_->Finish());
        page_open_ = false;
        if (stream_->rows() < url_.page_rows) exhausted_ = true;
        continue;
      }
    }
    if (st.ok()) continue;
    page_open_ = false;
    client_->Cancel();
    if (!client_->last_error_retryable() || failures_in_a_row_ >= http_.max_retries) return st;
    // Continue from the last record handed out, after a pause that grows with each failure.
    ++failures_in_a_row_;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(250 << std::min(failures_in_a_row_, 6), 10000)));
  }
  *done = exhausted_;
  return Status::Ok();
}

std::string ClickHouseSource::Checkpoint() const {
  if (!pos_.started) return "";
  return nlohmann::json{{"collection_uuid", pos_.collection_uuid}, {"uuid", pos_.uuid}, {"at_key", pos_.at_key}}.dump();
}

Status ClickHouseSource::ResumeFrom(const std::string& checkpoint) {
  if (page_open_ || pos_.started) return Status::Internal("ResumeFrom must come before the first Next()");
  if (checkpoint.empty()) return Status::Ok();
  auto j = nlohmann::json::parse(checkpoint, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("collection_uuid") || !j["collection_uuid"].is_string() ||
      !j.contains("uuid") || !j["uuid"].is_string() || !j.contains("at_key") || !j["at_key"].is_number_unsigned()) {
    return Status::InvalidArgument(fmt::format(
        "{}: the resume checkpoint is not one this source wrote (expected {{\"collection_uuid\", \"uuid\", "
        "\"at_key\"}}, found {})",
        url_.Display(), checkpoint.substr(0, 200)));
  }
  pos_ = Position{true, j["collection_uuid"].get<std::string>(), j["uuid"].get<std::string>(),
                  j["at_key"].get<uint64_t>()};
  return Status::Ok();
}

}  // namespace cm
