#include "cli/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "formats/json/json_reader.h"

namespace cm::cli {
namespace {

void AddSide(CLI::App* app, SideArgs* s, const std::string& side, const std::string& what) {
  app->add_option("--" + side + "-tenant", s->tenant, "tenant of the " + what + " (default: default_tenant)");
  app->add_option("--" + side + "-database", s->database, "database of the " + what + " (default: default_database)");
  app->add_option("--" + side + "-header", s->headers, "extra HTTP header 'Name: value' for the " + what + "; repeatable");
  app->add_option("--" + side + "-headers-json", s->headers_json, "HTTP headers as a JSON object, e.g. '{\"X-Api-Key\": \"...\"}'");
  app->add_option("--" + side + "-token", s->token,
                  "API token for the " + what + " (or env CHROMA_" + std::string(side == "from" ? "FROM" : "TO") +
                      "_TOKEN / CHROMA_API_KEY)");
  app->add_option("--" + side + "-token-header", s->token_header,
                  "how the token is sent: authorization (Bearer) or x-chroma-token")
      ->check(CLI::IsMember({"authorization", "x-chroma-token"}));
  app->add_option("--" + side + "-basic-auth", s->basic, "user:password for HTTP basic auth");
  app->add_option("--" + side + "-ca-bundle", s->ca_bundle, "CA certificates (PEM) to verify the " + what + "'s TLS certificate");
  app->add_flag("--" + side + "-insecure", s->insecure, "do not verify the " + what + "'s TLS certificate (not recommended)");
  app->add_option("--" + side + "-timeout", s->timeout, "seconds an HTTP request to the " + what + " may take before it is retried (default 120)")
      ->check(CLI::Range(0.1, 86400.0));
  if (side == "to") app->add_flag("--to-create-database", s->create_database, "create the destination tenant/database if missing");
}

}  // namespace

void AddEndpointOptions(CLI::App* app, Args* a, bool with_destination_policies) {
  app->add_option("--from", a->from, "source: a persist directory, http(s)://host:port, or clickhouse://host:port")->type_name("SRC");
  app->add_option("--to", a->to, "destination: a new persist directory or http(s)://host:port")->type_name("DST");
  AddSide(app, &a->from_side, "from", "source");
  AddSide(app, &a->to_side, "to", "destination");
  app->add_option("--collections", a->collections, "only these collections (names or ids, comma-separated)")->delimiter(',');
  app->add_option("--exclude", a->exclude, "skip these collections (names or ids, comma-separated)")->delimiter(',');
  app->add_option("--rename", a->renames, "rename a collection: OLD=NEW (OLD may be a name or a source id); repeatable");
  app->add_option("--nested", a->nested, "nested metadata values: json (default), flatten, drop or fail")
      ->check(CLI::IsMember({"json", "flatten", "drop", "fail"}));
  app->add_option("--duplicates", a->duplicates, "an id seen twice in a collection: last (default), first or fail")
      ->check(CLI::IsMember({"last", "first", "fail"}));
  app->add_option("--null-ids", a->null_ids, "records without an id: uuid (the legacy row uuid, default) or reject")
      ->check(CLI::IsMember({"uuid", "reject"}));
  app->add_option("--progress", a->progress, "progress on stderr: auto, bar, plain, json or none")
      ->check(CLI::IsMember({"auto", "bar", "plain", "json", "none"}));
  app->add_flag("-q,--quiet", a->quiet, "print nothing but errors");
  if (!with_destination_policies) return;
  app->add_option("--rejects", a->rejects, "JSON-lines file for records not migrated (default: DST.rejects.jsonl, or ./chroma-migrate.rejects.jsonl for a server)");
  app->add_option("--report", a->report, "write a JSON report of the run to this file");
  app->add_option("--on-existing", a->on_existing, "destination collections that already exist (server): fail (default), skip, append or upsert")
      ->check(CLI::IsMember({"fail", "skip", "append", "upsert"}));
  app->add_flag("--overwrite", a->overwrite, "replace a non-empty destination directory (only once the new one is complete)");
  app->add_flag("--resume", a->resume, "continue an interrupted migration into a server");
  app->add_flag("--verify", a->verify, "compare every record of the destination with the source afterwards");
  AddVerifyMemoryOption(app, a);
  app->add_option("--held-memory", a->held_memory_mib,
                  "MiB of records with repeated ids held for the duplicate policy (default 128); beyond it they wait in "
                  "a temporary file in $TMPDIR")
      ->check(CLI::Range(1, 1 << 20))
      ->type_name("MIB");
  app->add_flag("--rebuild-index", a->rebuild_index,
                "build every HNSW graph, even where the source's own graph (a legacy index/ graph, or a modern "
                "directory's HNSW segment) indexes exactly the migrated records and would be reused");
  app->add_option("--threads", a->threads, "threads for the HNSW build (default: all cores)");
  app->add_option("--insertion-order", a->insertion_order,
                  "order in which a graph that is built receives the records: spatial (default; a random tenth of "
                  "the collection, then the rest grouped by where the vectors lie, which keeps the build in the CPU's "
                  "cache), shuffled (a random order over the whole collection; like spatial, recall does not depend "
                  "on how the source is sorted) or stored (the source's order, building while reading; a source "
                  "sorted by topic gives a markedly worse graph)")
      ->check(CLI::IsMember({"spatial", "shuffled", "stored"}));
  app->add_option("--insertion-seed", a->insertion_seed,
                  "seed of the spatial or shuffled insertion order (default: a fixed one, so a re-run inserts in the same order; "
                  "another seed is another random order, e.g. to measure how recall varies between orders)");
  app->add_option("--build-arithmetic", a->build_arithmetic,
                  "distances a graph that is built after the last record (spatial or shuffled order) is built with: fixed-point (default; int16 "
                  "copies of the vectors, which halves what the build reads, used when the collection's values fit "
                  "16 bits closely enough, else float32) or float32 (hnswlib's own float spaces). The segment holds "
                  "the exact float32 vectors either way")
      ->check(CLI::IsMember({"fixed-point", "float32"}));
  app->add_option("--batch-size", a->batch_size, "records per request to a server (default: the server's max_batch_size)");
  app->add_option("--concurrency", a->concurrency, "requests in flight to a server (default 4)")->check(CLI::Range(1, 64));
  app->add_option("--read-batch", a->read_batch, "records read from the source per batch (default 8192)")->check(CLI::Range(1, 1 << 20));
}

void AddVerifyMemoryOption(CLI::App* app, Args* a) {
  app->add_option("--verify-memory", a->verify_memory_mib,
                  "MiB of records verify holds at a time (default 256); larger sources are checked in partitions "
                  "through a temporary file in $TMPDIR")
      ->check(CLI::Range(1, 1 << 20))
      ->type_name("MIB");
}

Result<PolicyOptions> ToPolicies(const Args& a) {
  PolicyOptions p;
  if (a.nested == "json") p.nested = NestedPolicy::kJson;
  else if (a.nested == "flatten") p.nested = NestedPolicy::kFlatten;
  else if (a.nested == "drop") p.nested = NestedPolicy::kDrop;
  else p.nested = NestedPolicy::kFail;
  if (a.duplicates == "last") p.duplicates = DuplicatePolicy::kLast;
  else if (a.duplicates == "first") p.duplicates = DuplicatePolicy::kFirst;
  else p.duplicates = DuplicatePolicy::kFail;
  p.null_ids = a.null_ids == "reject" ? NullIdPolicy::kReject : NullIdPolicy::kUuid;
  for (const std::string& r : a.renames) {
    auto eq = r.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == r.size()) {
      return Status::InvalidArgument(fmt::format("--rename '{}': expected OLD=NEW", r));
    }
    p.renames[r.substr(0, eq)] = r.substr(eq + 1);
  }
  return p;
}

Result<EndpointOptions> ToEndpoint(const SideArgs& s, const std::string& prefix) {
  EndpointOptions e;
  if (!s.tenant.empty()) { e.tenant = s.tenant; e.tenant_given = true; }
  if (!s.database.empty()) { e.database = s.database; e.database_given = true; }
  e.create_database = s.create_database;
  for (const std::string& h : s.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument(fmt::format("--{}-header: expected 'Name: value', got a value without ':' "
                                                 "(the value is not shown in case it is a secret)", prefix));
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    e.http.headers.emplace_back(h.substr(0, colon), value);
  }
  if (!s.headers_json.empty()) {
    auto v = ParseJson(s.headers_json);
    if (!v.ok() || !v->is_object()) {
      return Status::InvalidArgument(fmt::format("--{}-headers-json: expected a JSON object of strings", prefix));
    }
    for (const auto& [k, x] : v->as_object()) {
      if (!x.is_string()) {
        return Status::InvalidArgument(fmt::format("--{}-headers-json: header \"{}\" must be a string", prefix, k));
      }
      e.http.headers.emplace_back(k, x.as_string());
    }
  }
  std::string token = s.token;
  if (token.empty()) {
    std::string var = "CHROMA_" + std::string(prefix == "from" ? "FROM" : "TO") + "_TOKEN";
    if (const char* t = std::getenv(var.c_str())) token = t;
    else if (const char* k = std::getenv("CHROMA_API_KEY")) token = k;
  }
  if (!token.empty()) {
    if (s.token_header == "x-chroma-token") e.http.headers.emplace_back("X-Chroma-Token", token);
    else e.http.headers.emplace_back("Authorization", "Bearer " + token);
  }
  if (!s.basic.empty()) e.http.basic_auth = s.basic;
  if (!s.ca_bundle.empty()) e.http.ca_bundle = s.ca_bundle;
  e.http.insecure = s.insecure;
  if (s.timeout > 0) e.http.timeout_seconds = s.timeout;
  return e;
}

Result<ServerSinkOptions> ToSinkOptions(const Args& a) {
  ServerSinkOptions o;
  if (a.on_existing == "skip") o.on_existing = OnExisting::kSkip;
  else if (a.on_existing == "append") o.on_existing = OnExisting::kAppend;
  else if (a.on_existing == "upsert") o.on_existing = OnExisting::kUpsert;
  o.batch_size = a.batch_size;
  o.concurrency = a.concurrency;
  o.resume = a.resume;
  return o;
}

Selection ToSelection(const Args& a) {
  Selection s;
  s.include.insert(a.collections.begin(), a.collections.end());
  s.exclude.insert(a.exclude.begin(), a.exclude.end());
  return s;
}

}  // namespace cm::cli
