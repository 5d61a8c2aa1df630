// ApiClient: the HTTP API of a Chroma server of any generation (spec/http-api.md), reduced to
// what a migration needs: detect the generation (§1.3), pre-flight checks, tenant/database,
// list/get/create collections, count, page through records, add/upsert/delete.
//
// Generations and their routes:
//   kRustV2     Rust 1.x and Chroma Cloud: /api/v2/tenants/{t}/databases/{d}/collections/{uuid}/…
//   kPythonV2   Python 0.5.16–0.6.3: the same v2 routes (the v1 ones still work)
//   kV1Tenant   Python 0.4.15–0.5.15: /api/v1/collections/{uuid}/… with ?tenant=&database=
//   kV1         Python 0.3.23–0.4.14: /api/v1/collections/{uuid}/…, one implicit namespace
//   kLegacyName Python 0.3.0–0.3.22: /api/v1/collections/{name}/…, records addressed by name
// Errors carry the server's own message (JSON `message`/`error`/`detail`, else the raw text),
// the operation and the collection; secrets never appear (HttpClient redacts).
//
// Thread-safety: one thread per ApiClient; Clone() gives another thread its own connection with
// the same detected ServerInfo.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/collection.h"
#include "core/endpoint.h"
#include "core/status.h"
#include "core/value.h"
#include "io/http_client.h"

namespace cm {

enum class ApiGeneration { kRustV2, kPythonV2, kV1Tenant, kV1, kLegacyName };
const char* ApiGenerationName(ApiGeneration g);

struct ServerInfo {
  ApiGeneration generation = ApiGeneration::kRustV2;
  std::string version;          // "1.x (Rust)" or the Python package version
  size_t max_batch_size = 0;    // 0 = the server does not say
  bool supports_base64 = false; // float32 base64 embeddings (Rust ≥ 1.0.13)
  bool is_cloud = false;        // api.trychroma.com: 300 records per read and write
  bool has_uris = true;         // `uris` include (≥ 0.4.16)
  bool has_upsert = true;       // upsert route (≥ 0.3.22)
  bool v2() const { return generation == ApiGeneration::kRustV2 || generation == ApiGeneration::kPythonV2; }
  bool rust() const { return generation == ApiGeneration::kRustV2; }
};

// "0.4.24" → {0,4,24}; missing parts are 0.
std::vector<int> ParseVersion(const std::string& v);
bool VersionAtLeast(const std::string& v, int major, int minor, int patch);
// The server's message from an error body: JSON "message", "error" or "detail", else the text.
std::string ServerMessage(const std::string& body);

struct RemoteCollection {
  std::string id;    // empty on ≤ 0.3.22
  std::string name;
  Value metadata;    // object or null
  Value configuration;  // configuration_json or null
  std::optional<size_t> dimension;
};

enum class WriteMode { kAdd, kUpsert };

class ApiClient {
 public:
  static Result<std::unique_ptr<ApiClient>> Connect(const std::string& url, const EndpointOptions& options,
                                                    const std::atomic<bool>* cancel = nullptr);
  Result<std::unique_ptr<ApiClient>> Clone() const;

  const ServerInfo& info() const { return info_; }
  const std::string& tenant() const { return tenant_; }
  const std::string& database() const { return database_; }
  // "http://127.0.0.1:8000 (Chroma 1.x (Rust), API v2, tenant/database)" without secrets.
  std::string Describe() const;
  HttpClient& http() { return *http_; }

  // Makes sure tenant and database exist; creates them when `create`, else NotFound with a hint.
  Status EnsureDatabase(bool create);
  Result<std::vector<RemoteCollection>> ListCollections();
  Result<std::optional<RemoteCollection>> GetCollection(const std::string& name);
  // Creates a collection (never get_or_create); AlreadyExists on a name clash.
  Result<RemoteCollection> CreateCollection(const CollectionSpec& spec);
  Result<uint64_t> Count(const RemoteCollection& c);
  // POSTs a pre-encoded add/upsert body. `first_id` and `rows` only feed error messages.
  Status Write(const RemoteCollection& c, WriteMode mode, const std::string& body, const std::string& first_id,
               size_t rows);
  Status Delete(const RemoteCollection& c, const std::vector<std::string>& ids);
  // POST …/get with limit/offset (or ids) and the given include list; the parsed response.
  Result<Value> Get(const RemoteCollection& c, std::optional<size_t> limit, size_t offset,
                    const std::vector<std::string>& include, const std::vector<std::string>* ids = nullptr);
  // POST …/query: the ids of the k nearest records for each query vector (verify's query parity).
  Result<std::vector<std::vector<std::string>>> Query(const RemoteCollection& c, const std::vector<std::vector<float>>& queries,
                                                      size_t k);
  // For persistence on 0.3 servers (POST /api/v1/persist); a no-op elsewhere.
  Status Persist();

  // Route helpers (exposed for tests).
  std::string CollectionsPath() const;                    // list / create
  std::string RecordPath(const RemoteCollection& c, const std::string& op) const;

 private:
  ApiClient() = default;
  Status Detect();
  Status PreFlight();
  Status Identity(const EndpointOptions& options);
  std::string Query(bool first) const;  // ?tenant=&database= for kV1Tenant
  Result<Value> Json(const HttpResponse& r, const std::string& what) const;
  Status ErrorFrom(const HttpResponse& r, const std::string& what) const;
  RemoteCollection FromJson(const Value& v) const;

  std::string url_;
  EndpointOptions options_;
  std::unique_ptr<HttpClient> http_;
  ServerInfo info_;
  std::string tenant_, database_;
};

}  // namespace cm
