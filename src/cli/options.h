// Command-line options of every subcommand, parsed by CLI11 into plain structs, and their
// conversion into the library's option types. Secrets given on the command line or in the
// environment end up only in HTTP headers, never in messages.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/status.h"
#include "pipeline/migrate.h"

namespace cm::cli {

struct SideArgs {
  std::string tenant, database;
  std::vector<std::string> headers;  // "Name: value"
  std::string headers_json;          // {"Name": "value"}
  std::string token, token_header = "authorization";
  std::string basic;                 // user:password
  std::string ca_bundle;
  bool insecure = false;
  bool create_database = false;
  double timeout = 0;                // seconds per HTTP request; 0 = the default (120)
};

struct Args {
  std::string from, to;
  SideArgs from_side, to_side;
  std::string rejects, report;
  std::string nested = "json", duplicates = "last", null_ids = "uuid";
  std::vector<std::string> renames, collections, exclude;
  std::string on_existing = "fail";
  std::string progress = "auto";
  std::string insertion_order = "spatial";
  std::string build_arithmetic = "fixed-point";
  std::optional<uint64_t> insertion_seed;
  bool overwrite = false, quiet = false, resume = false, verify = false, rebuild_index = false;
  size_t threads = 0, batch_size = 0, read_batch = 8192, concurrency = 4;
  size_t verify_memory_mib = 256, held_memory_mib = 128;
};

// Adds the options shared by migrate/plan/verify to `app`.
void AddEndpointOptions(CLI::App* app, Args* a, bool with_destination_policies);
// Adds --verify-memory (migrate --verify and verify).
void AddVerifyMemoryOption(CLI::App* app, Args* a);

Result<PolicyOptions> ToPolicies(const Args& a);
// `prefix` is "from" or "to"; environment variables CHROMA_<PREFIX>_TOKEN and CHROMA_API_KEY
// supply a token when none is given.
Result<EndpointOptions> ToEndpoint(const SideArgs& s, const std::string& prefix);
Result<ServerSinkOptions> ToSinkOptions(const Args& a);
Selection ToSelection(const Args& a);

}  // namespace cm::cli
