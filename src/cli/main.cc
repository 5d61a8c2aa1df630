// chroma-migrate command line: parses flags, picks the source and destination kinds, runs the
// pipeline and maps the outcome to an exit code:
//   0 done · 1 failed · 2 usage · 3 done but some records were rejected · 4 verify mismatch.
// This is the only place that prints or exits.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/progress.h"
#include "pipeline/migrate.h"
#include "sources/legacy_dir_source.h"

namespace fs = std::filesystem;

namespace {

constexpr int kExitOk = 0, kExitFailed = 1, kExitUsage = 2, kExitRejected = 3;

std::atomic<bool> g_cancel{false};

extern "C" void OnSignal(int) { g_cancel.store(true); }

struct Args {
  std::string from, to;
  std::string rejects, report;
  std::string nested = "json", duplicates = "last", null_ids = "uuid";
  std::vector<std::string> renames, collections, exclude;
  std::string progress = "auto";
  bool overwrite = false;
  bool quiet = false;
  size_t threads = 0;
  size_t batch_size = 8192;
};

int Fail(const cm::Status& s) {
  std::fprintf(stderr, "chroma-migrate: %s\n", s.ToString().c_str());
  return kExitFailed;
}

cm::Result<cm::PolicyOptions> ParsePolicies(const Args& a) {
  cm::PolicyOptions p;
  if (a.nested == "json") p.nested = cm::NestedPolicy::kJson;
  else if (a.nested == "flatten") p.nested = cm::NestedPolicy::kFlatten;
  else if (a.nested == "drop") p.nested = cm::NestedPolicy::kDrop;
  else if (a.nested == "fail") p.nested = cm::NestedPolicy::kFail;
  if (a.duplicates == "last") p.duplicates = cm::DuplicatePolicy::kLast;
  else if (a.duplicates == "first") p.duplicates = cm::DuplicatePolicy::kFirst;
  else if (a.duplicates == "fail") p.duplicates = cm::DuplicatePolicy::kFail;
  p.null_ids = a.null_ids == "reject" ? cm::NullIdPolicy::kReject : cm::NullIdPolicy::kUuid;
  for (const std::string& r : a.renames) {
    auto eq = r.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == r.size()) {
      return cm::Status::InvalidArgument(fmt::format("--rename '{}': expected OLD=NEW", r));
    }
    p.renames[r.substr(0, eq)] = r.substr(eq + 1);
  }
  return p;
}

std::string DefaultRejectsPath(const std::string& to) {
  std::string base = fs::path(to).lexically_normal().string();
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + ".rejects.jsonl";
}

void PrintSummary(const cm::MigrationReport& r, const std::string& to) {
  std::printf("Migrated %llu records in %zu collections from %s to %s in %.1f s.\n",
              static_cast<unsigned long long>(r.records_migrated), r.collections.size(), r.source.c_str(),
              to.c_str(), r.seconds_total);
  for (const auto& c : r.collections) {
    std::printf("  %-32s %8llu records  dim %-5s %-6s", c.name.c_str(), static_cast<unsigned long long>(c.migrated),
                c.dimension ? std::to_string(*c.dimension).c_str() : "-", c.space.c_str());
    if (c.rejected) std::printf("  %llu rejected", static_cast<unsigned long long>(c.rejected));
    std::printf("\n");
  }
  if (!r.changes.empty()) {
    std::printf("Changes made by the policies:\n");
    for (const auto& [k, v] : r.changes) std::printf("  %-40s %llu\n", k.c_str(), static_cast<unsigned long long>(v));
  }
  if (r.records_skipped) {
    std::printf("Skipped %llu records of collections not selected.\n", static_cast<unsigned long long>(r.records_skipped));
  }
  if (r.records_rejected) {
    std::printf("%llu records were NOT migrated; each is in %s with its reason:\n",
                static_cast<unsigned long long>(r.records_rejected), r.rejects_path.c_str());
    for (const auto& [k, v] : r.rejected_by_reason) std::printf("  %-40s %llu\n", k.c_str(), static_cast<unsigned long long>(v));
  }
  std::string abs = fs::absolute(to).lexically_normal().string();
  std::printf("\nOpen it with Chroma 1.x:\n  python:  chromadb.PersistentClient(path=\"%s\")\n  server:  chroma run --path %s\n",
              abs.c_str(), abs.c_str());
}

int RunMigrate(const Args& a) {
  if (a.from.empty() || a.to.empty()) {
    std::fprintf(stderr, "chroma-migrate: --from and --to are required (see --help)\n");
    return kExitUsage;
  }
  auto policies = ParsePolicies(a);
  if (!policies.ok()) {
    std::fprintf(stderr, "chroma-migrate: %s\n", policies.status().message().c_str());
    return kExitUsage;
  }
  if (a.to.rfind("http://", 0) == 0 || a.to.rfind("https://", 0) == 0) {
    return Fail(cm::Status::Unsupported("a Chroma server as destination is not implemented yet"));
  }
  if (!cm::LooksLikeLegacyDir(a.from)) {
    std::error_code ec;
    if (fs::exists(fs::path(a.from) / "chroma.sqlite3", ec)) {
      return Fail(cm::Status::Unsupported(fmt::format(
          "{} is a modern (0.4+) persist directory; reading those is not implemented yet", a.from)));
    }
    if (!fs::exists(a.from, ec)) return Fail(cm::Status::NotFound(fmt::format("{}: no such file or directory", a.from)));
    return Fail(cm::Status::InvalidArgument(fmt::format(
        "{} is not a Chroma persist directory: expected chroma-collections.parquet and chroma-embeddings.parquet "
        "(Chroma ≤ 0.3) or chroma.sqlite3 (Chroma ≥ 0.4)", a.from)));
  }
  auto source = cm::LegacyDirSource::Open(a.from);
  if (!source.ok()) return Fail(source.status());

  cm::MigrateOptions mo;
  mo.policies = policies.value();
  mo.selection.include.insert(a.collections.begin(), a.collections.end());
  mo.selection.exclude.insert(a.exclude.begin(), a.exclude.end());
  mo.rejects_path = a.rejects.empty() ? DefaultRejectsPath(a.to) : a.rejects;
  mo.batch_rows = a.batch_size;
  mo.cancel = &g_cancel;
  cm::ProgressPrinter progress(a.quiet ? "none" : a.progress);
  mo.progress = [&](const std::string& stage, const std::string& coll, uint64_t done, uint64_t total) {
    progress.Update(stage, coll, done, total);
  };
  cm::PersistDirWriterOptions dest;
  dest.destination = a.to;
  dest.overwrite = a.overwrite;
  dest.threads = a.threads;
  auto report = cm::MigrateToPersistDir(*source.value(), dest, mo);
  progress.Finish();
  if (!report.ok()) return Fail(report.status());
  if (!a.report.empty()) {
    std::ofstream out(a.report);
    out << cm::ReportJson(report.value()) << "\n";
    if (!out) return Fail(cm::Status::IoError(fmt::format("{}: cannot write the report", a.report)));
  }
  if (!a.quiet) PrintSummary(report.value(), a.to);
  return report->records_rejected > 0 ? kExitRejected : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"chroma-migrate: move Chroma data between storage generations, losslessly and verifiably.\n"
               "Reads a Chroma <= 0.3 persist directory and writes a Chroma 1.x persist directory that\n"
               "`chroma run --path DIR` and chromadb.PersistentClient(path=DIR) open at once."};
  app.set_version_flag("--version", std::string("chroma-migrate ") + CM_VERSION);
  Args a;
  app.add_option("--from", a.from, "source: a persist directory")->type_name("SRC");
  app.add_option("--to", a.to, "destination: a new persist directory")->type_name("DST");
  app.add_option("--rejects", a.rejects, "JSON-lines file for records that are not migrated (default: DST.rejects.jsonl)");
  app.add_option("--report", a.report, "write a JSON report of the run to this file");
  app.add_option("--nested", a.nested, "nested metadata values: json (default), flatten, drop or fail")
      ->check(CLI::IsMember({"json", "flatten", "drop", "fail"}));
  app.add_option("--duplicates", a.duplicates, "an id seen twice in a collection: last (default), first or fail")
      ->check(CLI::IsMember({"last", "first", "fail"}));
  app.add_option("--null-ids", a.null_ids, "records without an id: uuid (use the legacy row uuid, default) or reject")
      ->check(CLI::IsMember({"uuid", "reject"}));
  app.add_option("--rename", a.renames, "rename a collection: OLD=NEW (OLD may be a name or a legacy uuid); repeatable");
  app.add_option("--collections", a.collections, "migrate only these collections (names or ids)")->delimiter(',');
  app.add_option("--exclude", a.exclude, "skip these collections (names or ids)")->delimiter(',');
  app.add_flag("--overwrite", a.overwrite, "replace a non-empty destination (only once the new one is complete)");
  app.add_option("--progress", a.progress, "progress on stderr: auto, bar, plain, json or none")
      ->check(CLI::IsMember({"auto", "bar", "plain", "json", "none"}));
  app.add_flag("-q,--quiet", a.quiet, "print nothing but errors");
  app.add_option("--threads", a.threads, "threads for the HNSW build (default: all cores)");
  app.add_option("--batch-size", a.batch_size, "records read per batch")->check(CLI::Range(1, 1 << 20));
  app.footer(
      "Examples:\n"
      "  chroma-migrate --from ./chroma --to ./chroma_migrated\n"
      "  chroma-migrate --from ./chroma --to ./chroma_migrated --rename 'my collection=my_collection' --report run.json\n"
      "Exit codes: 0 done; 1 failed; 2 usage; 3 done but some records were rejected (see the rejects file).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  return RunMigrate(a);
}
