#include "chroma/api_client.h"

#include <fmt/format.h>

#include "formats/json/json_reader.h"
#include "formats/json/json_writer.h"

namespace cm {
namespace {

bool Ok2xx(long s) { return s >= 200 && s < 300; }

std::string Snippet(const std::string& s, size_t max = 300) {
  if (s.size() <= max) return s;
  return s.substr(0, max) + "…";
}

std::string JsonStr(const std::string& s) {
  std::string o;
  AppendJsonString(&o, s);
  return o;
}

void AppendHnswMetadata(const HnswParams& p, Value::Object* meta) {
  auto has = [&](const char* k) {
    for (const auto& e : *meta) if (e.first == k) return true;
    return false;
  };
  HnswParams d;
  if (!has("hnsw:space") && p.space != d.space) meta->emplace_back("hnsw:space", Value::String(SpaceName(p.space)));
  if (!has("hnsw:M") && p.max_neighbors != d.max_neighbors) meta->emplace_back("hnsw:M", Value::Int(p.max_neighbors));
  if (!has("hnsw:construction_ef") && p.ef_construction != d.ef_construction) {
    meta->emplace_back("hnsw:construction_ef", Value::Int(p.ef_construction));
  }
  if (!has("hnsw:search_ef") && p.ef_search != d.ef_search) meta->emplace_back("hnsw:search_ef", Value::Int(p.ef_search));
}

std::string RustConfiguration(const HnswParams& p) {
  std::string o = "{\"hnsw\":{\"space\":\"";
  o += SpaceName(p.space);
  o += fmt::format("\",\"ef_construction\":{},\"ef_search\":{},\"max_neighbors\":{}", p.ef_construction, p.ef_search,
                   p.max_neighbors);
  if (p.resize_factor) {
    o += ",\"resize_factor\":";
    AppendJsonDouble(&o, *p.resize_factor);
  }
  if (p.sync_threshold) o += fmt::format(",\"sync_threshold\":{}", *p.sync_threshold);
  if (p.batch_size) o += fmt::format(",\"batch_size\":{}", *p.batch_size);
  if (p.num_threads) o += fmt::format(",\"num_threads\":{}", *p.num_threads);
  o += "}}";
  return o;
}

}  // namespace

const char* ApiGenerationName(ApiGeneration g) {
  switch (g) {
    case ApiGeneration::kRustV2: return "API v2 (Rust 1.x)";
    case ApiGeneration::kPythonV2: return "API v2 (Python 0.5.16–0.6)";
    case ApiGeneration::kV1Tenant: return "API v1 with tenants (0.4.15–0.5.x)";
    case ApiGeneration::kV1: return "API v1 (0.3.23–0.4.14)";
    case ApiGeneration::kLegacyName: return "legacy API (0.3.0–0.3.22)";
  }
  return "?";
}

std::vector<int> ParseVersion(const std::string& v) {
  std::vector<int> out;
  size_t i = 0;
  while (i < v.size() && out.size() < 3) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) break;
    int n = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])) && n < 100000) n = n * 10 + (v[i++] - '0');
    out.push_back(n);
    if (i < v.size() && v[i] == '.') ++i; else break;
  }
  while (out.size() < 3) out.push_back(0);
  return out;
}

bool VersionAtLeast(const std::string& v, int major, int minor, int patch) {
  auto p = ParseVersion(v);
  return std::tie(p[0], p[1], p[2]) >= std::tie(major, minor, patch);
}

std::string ServerMessage(const std::string& body) {
  auto v = ParseJson(body);
  if (v.ok()) {
    if (v->is_string()) return v->as_string();
    if (v->is_object()) {
      const Value* msg = v->Find("message");
      const Value* err = v->Find("error");
      const Value* det = v->Find("detail");
      std::string out;
      if (err && err->is_string()) out = err->as_string();
      if (msg && msg->is_string()) out += (out.empty() ? "" : ": ") + msg->as_string();
      if (out.empty() && det) out = det->is_string() ? det->as_string() : ToJson(*det);
      if (!out.empty()) return Snippet(out, 1000);
    }
  }
  std::string t = body;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t.empty() ? "(empty body)" : Snippet(t);
}

Result<std::unique_ptr<ApiClient>> ApiClient::Connect(const std::string& url, const EndpointOptions& options,
                                                      const std::atomic<bool>* cancel) {
  std::unique_ptr<ApiClient> c(new ApiClient());
  c->url_ = url;
  c->options_ = options;
  c->tenant_ = options.tenant;
  c->database_ = options.database;
  CM_ASSIGN_OR_RETURN(c->http_, HttpClient::Create(url, options.http));
  c->http_->set_cancel(cancel);
  CM_ASSIGN_OR_RETURN(ParsedUrl parsed, ParseHttpUrl(url));
  std::string host = parsed.host;
  c->info_.is_cloud = host.size() >= 13 && host.compare(host.size() - 13, 13, "trychroma.com") == 0;
  CM_RETURN_IF_ERROR(c->Detect());
  CM_RETURN_IF_ERROR(c->PreFlight());
  CM_RETURN_IF_ERROR(c->Identity(options));
  return c;
}

Result<std::unique_ptr<ApiClient>> ApiClient::Clone() const {
  std::unique_ptr<ApiClient> c(new ApiClient());
  c->url_ = url_;
  c->options_ = options_;
  c->info_ = info_;
  c->tenant_ = tenant_;
  c->database_ = database_;
  CM_ASSIGN_OR_RETURN(c->http_, http_->Clone());
  return c;
}

std::string ApiClient::Describe() const {
  std::string s = fmt::format("Chroma server {} ({}, version {}", http_->base_url(), ApiGenerationName(info_.generation),
                              info_.version);
  if (info_.v2() || info_.generation == ApiGeneration::kV1Tenant) s += fmt::format(", {}/{}", tenant_, database_);
  return s + ")";
}

Status ApiClient::ErrorFrom(const HttpResponse& r, const std::string& what) const {
  std::string msg = ServerMessage(r.body);
  if (r.status == 401 || r.status == 403) {
    return Status::RemoteError(http_->Redact(fmt::format(
        "{}: {} answered HTTP {} ({}); check the credentials (--*-token, --*-header, --*-basic-auth; header names sent: "
        "{})",
        what, http_->base_url(), r.status, msg, fmt::join(http_->HeaderNames(), ", "))));
  }
  if (r.status == 413) {
    return Status::RemoteError(http_->Redact(fmt::format(
        "{}: HTTP 413 ({}): the request body is too large for the server; use a smaller --batch-size", what, msg)));
  }
  std::string attempts = r.attempts > 1 ? fmt::format(" after {} attempts", r.attempts) : "";
  return Status::RemoteError(http_->Redact(fmt::format("{}: HTTP {}{}: {}", what, r.status, attempts, msg)));
}

Result<Value> ApiClient::Json(const HttpResponse& r, const std::string& what) const {
  if (!Ok2xx(r.status)) return ErrorFrom(r, what);
  auto v = ParseJson(r.body);
  if (!v.ok()) {
    return Status::RemoteError(http_->Redact(fmt::format("{}: the server's answer is not JSON ({}): {}", what,
                                                         v.status().message(), Snippet(r.body))));
  }
  return std::move(v).value();
}

Status ApiClient::Detect() {
  auto get = [&](const std::string& path) { return http_->Request("GET", path, nullptr); };
  std::string where = http_->base_url();
  CM_ASSIGN_OR_RETURN(HttpResponse v2, get("/api/v2/heartbeat"));
  if (v2.status == 401 || v2.status == 403) return ErrorFrom(v2, "GET /api/v2/heartbeat");
  if (v2.status == 200) {
    CM_ASSIGN_OR_RETURN(HttpResponse v1, get("/api/v1/heartbeat"));
    if (v1.status == 200) {
      info_.generation = ApiGeneration::kPythonV2;
      CM_ASSIGN_OR_RETURN(HttpResponse ver, get("/api/v2/version"));
      auto vv = ParseJson(ver.body);
      info_.version = ver.status == 200 && vv.ok() && vv->is_string() ? vv->as_string() : "0.5.16+";
    } else {
      info_.generation = ApiGeneration::kRustV2;
      info_.version = "1.x";
    }
    return Status::Ok();
  }
  CM_ASSIGN_OR_RETURN(HttpResponse v1, get("/api/v1/heartbeat"));
  if (v1.status == 401 || v1.status == 403) return ErrorFrom(v1, "GET /api/v1/heartbeat");
  std::string version;
  if (v1.status == 200) {
    CM_ASSIGN_OR_RETURN(HttpResponse ver, get("/api/v1/version"));
    auto vv = ParseJson(ver.body);
    version = ver.status == 200 && vv.ok() && vv->is_string() ? vv->as_string() : "0.3.22";
  } else {
    CM_ASSIGN_OR_RETURN(HttpResponse root, get("/api/v1"));
    if (root.status != 200 || root.body.find("nanosecond heartbeat") == std::string::npos) {
      return Status::NotFound(fmt::format(
          "{} does not look like a Chroma server: GET /api/v2/heartbeat answered HTTP {}, /api/v1/heartbeat HTTP {} "
          "and /api/v1 HTTP {}",
          where, v2.status, v1.status, root.status));
    }
    CM_ASSIGN_OR_RETURN(HttpResponse ver, get("/api/v1/version"));
    auto vv = ParseJson(ver.body);
    version = ver.status == 200 && vv.ok() && vv->is_string() ? vv->as_string() : "0.3.0";
  }
  info_.version = version;
  if (!VersionAtLeast(version, 0, 3, 23)) info_.generation = ApiGeneration::kLegacyName;
  else if (!VersionAtLeast(version, 0, 4, 15)) info_.generation = ApiGeneration::kV1;
  else info_.generation = ApiGeneration::kV1Tenant;
  info_.has_uris = VersionAtLeast(version, 0, 4, 16);
  info_.has_upsert = VersionAtLeast(version, 0, 3, 22);
  return Status::Ok();
}

Status ApiClient::PreFlight() {
  std::string path;
  if (info_.v2()) path = "/api/v2/pre-flight-checks";
  else if (VersionAtLeast(info_.version, 0, 4, 11)) path = "/api/v1/pre-flight-checks";
  else return Status::Ok();
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("GET", path, nullptr));
  CM_ASSIGN_OR_RETURN(Value v, Json(r, "GET " + path));
  if (const Value* m = v.Find("max_batch_size"); m && m->kind() == Value::Kind::kInt && m->as_int() > 0) {
    info_.max_batch_size = static_cast<size_t>(m->as_int());
  }
  if (const Value* b = v.Find("supports_base64_encoding"); b && b->kind() == Value::Kind::kBool) {
    info_.supports_base64 = b->as_bool();
  }
  return Status::Ok();
}

Status ApiClient::Identity(const EndpointOptions& options) {
  if (!info_.v2() || (options.tenant_given && options.database_given)) return Status::Ok();
  auto r = http_->Request("GET", "/api/v2/auth/identity", nullptr);
  if (!r.ok()) return r.status();
  if (!Ok2xx(r->status)) {
    if (info_.is_cloud) return ErrorFrom(*r, "GET /api/v2/auth/identity");
    return Status::Ok();  // an older or proxied server: keep the defaults
  }
  auto v = ParseJson(r->body);
  if (!v.ok() || !v->is_object()) return Status::Ok();
  if (const Value* t = v->Find("tenant"); t && t->is_string() && !options.tenant_given) tenant_ = t->as_string();
  if (const Value* d = v->Find("databases"); d && d->is_array() && !options.database_given) {
    const auto& dbs = d->as_array();
    if (dbs.size() == 1 && dbs[0].is_string() && dbs[0].as_string() != "*") {
      database_ = dbs[0].as_string();
    } else if (info_.is_cloud && dbs.size() != 1) {
      return Status::InvalidArgument("this API key can reach several databases; name one with --from-database/--to-database");
    }
  }
  return Status::Ok();
}

std::string ApiClient::Query(bool first) const {
  if (info_.generation != ApiGeneration::kV1Tenant) return "";
  return fmt::format("{}tenant={}&database={}", first ? "?" : "&", UrlEscape(tenant_), UrlEscape(database_));
}

std::string ApiClient::CollectionsPath() const {
  if (info_.v2()) {
    return fmt::format("/api/v2/tenants/{}/databases/{}/collections", UrlEscape(tenant_), UrlEscape(database_));
  }
  return "/api/v1/collections";
}

std::string ApiClient::RecordPath(const RemoteCollection& c, const std::string& op) const {
  const std::string& key = info_.generation == ApiGeneration::kLegacyName || c.id.empty() ? c.name : c.id;
  return fmt::format("{}/{}/{}", CollectionsPath(), UrlEscape(key), op);
}

Status ApiClient::EnsureDatabase(bool create) {
  if (!info_.v2() && info_.generation != ApiGeneration::kV1Tenant) {
    if (tenant_ != kDefaultTenant || database_ != kDefaultDatabase) {
      return Status::Unsupported(fmt::format("{} has no tenants or databases (Chroma {}); use default_tenant/default_database",
                                             http_->base_url(), info_.version));
    }
    return Status::Ok();
  }
  bool v2 = info_.v2();
  std::string tpath = v2 ? fmt::format("/api/v2/tenants/{}", UrlEscape(tenant_))
                         : fmt::format("/api/v1/tenants/{}", UrlEscape(tenant_));
  std::string dpath = v2 ? fmt::format("{}/databases/{}", tpath, UrlEscape(database_))
                         : fmt::format("/api/v1/databases/{}?tenant={}", UrlEscape(database_), UrlEscape(tenant_));
  CM_ASSIGN_OR_RETURN(HttpResponse t, http_->Request("GET", tpath, nullptr));
  bool tenant_missing = t.status == 404 || (t.status >= 400 && ServerMessage(t.body).find("not found") != std::string::npos);
  if (!Ok2xx(t.status) && !tenant_missing) return ErrorFrom(t, "GET tenant " + tenant_);
  if (tenant_missing) {
    if (!create) {
      return Status::NotFound(fmt::format("tenant \"{}\" does not exist on {}; add --to-create-database to create it",
                                          tenant_, http_->base_url()));
    }
    std::string body = "{\"name\":" + JsonStr(tenant_) + "}";
    CM_ASSIGN_OR_RETURN(HttpResponse c, http_->Request("POST", v2 ? "/api/v2/tenants" : "/api/v1/tenants", &body));
    if (!Ok2xx(c.status) && c.status != 409) return ErrorFrom(c, "create tenant " + tenant_);
  }
  CM_ASSIGN_OR_RETURN(HttpResponse d, http_->Request("GET", dpath, nullptr));
  if (Ok2xx(d.status)) return Status::Ok();
  bool db_missing = d.status == 404 || ServerMessage(d.body).find("not found") != std::string::npos ||
                    ServerMessage(d.body).find("does not exist") != std::string::npos;
  if (!db_missing) return ErrorFrom(d, "GET database " + database_);
  if (!create) {
    return Status::NotFound(fmt::format("database \"{}\" of tenant \"{}\" does not exist on {}; add --to-create-database to create it",
                                        database_, tenant_, http_->base_url()));
  }
  std::string body = "{\"name\":" + JsonStr(database_) + "}";
  std::string cpath = v2 ? tpath + "/databases" : "/api/v1/databases?tenant=" + UrlEscape(tenant_);
  CM_ASSIGN_OR_RETURN(HttpResponse c, http_->Request("POST", cpath, &body));
  if (!Ok2xx(c.status) && c.status != 409) return ErrorFrom(c, "create database " + database_);
  return Status::Ok();
}

RemoteCollection ApiClient::FromJson(const Value& v) const {
  RemoteCollection c;
  if (const Value* x = v.Find("id"); x && x->is_string()) c.id = x->as_string();
  if (const Value* x = v.Find("name"); x && x->is_string()) c.name = x->as_string();
  if (const Value* x = v.Find("metadata"); x && x->is_object()) c.metadata = *x;
  if (const Value* x = v.Find("configuration_json"); x && x->is_object()) c.configuration = *x;
  if (const Value* x = v.Find("dimension"); x && x->kind() == Value::Kind::kInt && x->as_int() > 0) {
    c.dimension = static_cast<size_t>(x->as_int());
  }
  return c;
}

Result<std::vector<RemoteCollection>> ApiClient::ListCollections() {
  std::vector<RemoteCollection> out;
  bool paged = info_.v2() || (info_.generation == ApiGeneration::kV1Tenant && VersionAtLeast(info_.version, 0, 4, 20));
  size_t page = 100;
  for (size_t offset = 0;; offset += page) {
    std::string path = CollectionsPath();
    if (paged) path += fmt::format("?limit={}&offset={}{}", page, offset, Query(false));
    else path += Query(true);
    CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("GET", path, nullptr));
    CM_ASSIGN_OR_RETURN(Value v, Json(r, "list collections"));
    if (!v.is_array()) return Status::RemoteError(fmt::format("list collections: expected a JSON array, got {}", Snippet(r.body)));
    for (const Value& c : v.as_array()) out.push_back(FromJson(c));
    if (!paged || v.as_array().size() < page) break;
  }
  return out;
}

Result<std::optional<RemoteCollection>> ApiClient::GetCollection(const std::string& name) {
  std::string path = CollectionsPath() + "/" + UrlEscape(name) + Query(true);
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("GET", path, nullptr));
  if (!Ok2xx(r.status)) {
    std::string msg = ServerMessage(r.body);
    if (r.status == 404 || msg.find("does not exist") != std::string::npos || msg.find("InvalidCollection") != std::string::npos ||
        msg.find("not found") != std::string::npos) {
      return std::optional<RemoteCollection>();
    }
    return ErrorFrom(r, fmt::format("get collection \"{}\"", name));
  }
  CM_ASSIGN_OR_RETURN(Value v, Json(r, fmt::format("get collection \"{}\"", name)));
  return std::optional<RemoteCollection>(FromJson(v));
}

Result<RemoteCollection> ApiClient::CreateCollection(const CollectionSpec& spec) {
  Value::Object meta;
  for (const auto& e : spec.metadata) {
    Value x = std::visit(
        [](const auto& y) -> Value {
          using T = std::decay_t<decltype(y)>;
          if constexpr (std::is_same_v<T, bool>) return Value::Bool(y);
          else if constexpr (std::is_same_v<T, int64_t>) return Value::Int(y);
          else if constexpr (std::is_same_v<T, double>) return Value::Double(y);
          else return Value::String(y);
        },
        e.value);
    meta.emplace_back(e.key, std::move(x));
  }
  if (!info_.rust()) AppendHnswMetadata(spec.hnsw, &meta);
  // Rust parses hnsw:* metadata into the configuration and refuses values it cannot use (such as
  // the string "32" that 0.3 accepted). The configuration carries the parameters; the metadata is
  // then set verbatim with an update, which is not parsed.
  Value::Object create_meta;
  bool has_hnsw_keys = false;
  for (const auto& [k, x] : meta) {
    if (info_.rust() && k.rfind("hnsw:", 0) == 0) has_hnsw_keys = true;
    else create_meta.emplace_back(k, x);
  }
  std::string body = "{\"name\":" + JsonStr(spec.name) + ",\"metadata\":";
  body += create_meta.empty() ? "null" : ToJson(Value::MakeObject(std::move(create_meta)));
  if (info_.rust()) body += ",\"configuration\":" + RustConfiguration(spec.hnsw);
  body += ",\"get_or_create\":false}";
  std::string what = fmt::format("create collection \"{}\"", spec.name);
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("POST", CollectionsPath() + Query(true), &body));
  if (r.status == 409 || (!Ok2xx(r.status) && ServerMessage(r.body).find("already exists") != std::string::npos)) {
    return Status::AlreadyExists(fmt::format("{}: it already exists on {}", what, http_->base_url()));
  }
  CM_ASSIGN_OR_RETURN(Value v, Json(r, what));
  RemoteCollection c = FromJson(v);
  if (c.name.empty()) c.name = spec.name;
  if (has_hnsw_keys && !c.id.empty()) {
    Value full = Value::MakeObject(std::move(meta));
    std::string update = "{\"new_metadata\":" + ToJson(full) + "}";
    CM_ASSIGN_OR_RETURN(HttpResponse u, http_->Request("PUT", CollectionsPath() + "/" + UrlEscape(c.id), &update));
    if (!Ok2xx(u.status)) return ErrorFrom(u, what + ": setting its metadata");
    c.metadata = full;
  }
  return c;
}

Result<uint64_t> ApiClient::Count(const RemoteCollection& c) {
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("GET", RecordPath(c, "count"), nullptr));
  CM_ASSIGN_OR_RETURN(Value v, Json(r, fmt::format("count of collection \"{}\"", c.name)));
  if (v.kind() != Value::Kind::kInt || v.as_int() < 0) {
    return Status::RemoteError(fmt::format("count of collection \"{}\": expected an integer, got {}", c.name, Snippet(r.body)));
  }
  return static_cast<uint64_t>(v.as_int());
}

Status ApiClient::Write(const RemoteCollection& c, WriteMode mode, const std::string& body, const std::string& first_id,
                        size_t rows) {
  const char* op = mode == WriteMode::kAdd ? "add" : "upsert";
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("POST", RecordPath(c, op), &body));
  if (Ok2xx(r.status)) return Status::Ok();
  return ErrorFrom(r, fmt::format("collection \"{}\": {} of {} records starting at id \"{}\"", c.name, op, rows, first_id));
}

Status ApiClient::Delete(const RemoteCollection& c, const std::vector<std::string>& ids) {
  std::string body = "{\"ids\":[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) body += ",";
    AppendJsonString(&body, ids[i]);
  }
  body += "]}";
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("POST", RecordPath(c, "delete"), &body));
  if (Ok2xx(r.status)) return Status::Ok();
  return ErrorFrom(r, fmt::format("collection \"{}\": delete of {} ids starting at \"{}\"", c.name, ids.size(),
                                  ids.empty() ? "" : ids[0]));
}

Result<Value> ApiClient::Get(const RemoteCollection& c, std::optional<size_t> limit, size_t offset,
                             const std::vector<std::string>& include, const std::vector<std::string>* ids) {
  std::string body = "{";
  if (ids != nullptr) {
    body += "\"ids\":[";
    for (size_t i = 0; i < ids->size(); ++i) {
      if (i) body += ",";
      AppendJsonString(&body, (*ids)[i]);
    }
    body += "],";
  }
  if (limit) body += fmt::format("\"limit\":{},\"offset\":{},", *limit, offset);
  if (!VersionAtLeast(info_.version, 0, 4, 0) && !info_.v2()) body += "\"sort\":\"id, uuid\",";
  body += "\"include\":[";
  for (size_t i = 0; i < include.size(); ++i) {
    if (i) body += ",";
    AppendJsonString(&body, include[i]);
  }
  body += "]}";
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("POST", RecordPath(c, "get"), &body));
  return Json(r, fmt::format("collection \"{}\": get (offset {})", c.name, offset));
}

Result<std::vector<std::vector<std::string>>> ApiClient::Query(const RemoteCollection& c,
                                                               const std::vector<std::vector<float>>& queries, size_t k) {
  std::string body = "{\"query_embeddings\":[";
  for (size_t q = 0; q < queries.size(); ++q) {
    if (q) body += ",";
    body += "[";
    for (size_t j = 0; j < queries[q].size(); ++j) {
      if (j) body += ",";
      body += fmt::format("{}", queries[q][j]);  // shortest text that reads back as this float32
    }
    body += "]";
  }
  body += fmt::format("],\"n_results\":{},\"include\":[\"distances\"]}}", k);
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("POST", RecordPath(c, "query"), &body));
  CM_ASSIGN_OR_RETURN(Value v, Json(r, fmt::format("collection \"{}\": query", c.name)));
  const Value* ids = v.Find("ids");
  if (ids == nullptr || !ids->is_array()) {
    return Status::RemoteError(fmt::format("collection \"{}\": query answer has no ids list", c.name));
  }
  std::vector<std::vector<std::string>> out;
  for (const Value& row : ids->as_array()) {
    std::vector<std::string> got;
    if (row.is_array()) {
      for (const Value& id : row.as_array()) {
        if (id.is_string()) got.push_back(id.as_string());
      }
    }
    out.push_back(std::move(got));
  }
  return out;
}

Status ApiClient::Persist() {
  if (VersionAtLeast(info_.version, 0, 4, 0) || info_.v2()) return Status::Ok();
  CM_ASSIGN_OR_RETURN(HttpResponse r, http_->Request("POST", "/api/v1/persist", nullptr));
  if (!Ok2xx(r.status)) return ErrorFrom(r, "POST /api/v1/persist");
  return Status::Ok();
}

}  // namespace cm
