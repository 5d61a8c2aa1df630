// EndpointOptions: how to reach one side of a migration (tenant, database, HTTP settings).
//
// Header values may hold secrets (tokens, basic-auth credentials): code that logs or reports
// an endpoint prints header *names* only, never values, and never a URL's password.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/collection.h"

namespace cm {

struct HttpOptions {
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, auth included
  std::optional<std::string> basic_auth;                     // user:password (a secret)
  std::optional<std::string> ca_bundle;                      // --*-ca-bundle FILE
  bool insecure = false;                                     // --*-insecure: skip TLS verification
  double timeout_seconds = 120;
  int max_retries = 6;
};

struct EndpointOptions {
  std::string tenant = kDefaultTenant;
  std::string database = kDefaultDatabase;
  bool tenant_given = false;    // set explicitly on the command line
  bool database_given = false;
  bool create_database = false;  // create a missing tenant/database instead of failing
  HttpOptions http;
};

// What to do with destination collections that already exist.
enum class OnExisting { kFail, kSkip, kAppend, kUpsert };

struct ServerSinkOptions {
  OnExisting on_existing = OnExisting::kFail;
  size_t batch_size = 0;   // 0 = the server's max_batch_size
  size_t concurrency = 4;  // batches in flight
  bool resume = false;     // continue an interrupted migration from its journal
  std::string journal_dir; // where resume journals live (default: ~/.cache/chroma-migrate)
};

}  // namespace cm
