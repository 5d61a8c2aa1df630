// chroma-migrate command line: parses flags, opens the source, picks the destination kind, runs
// the pipeline and maps the outcome to an exit code:
//   0 done · 1 failed · 2 usage · 3 done but some records were rejected · 4 verify mismatch.
// This is the only place that prints or exits.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/endpoints.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "cli/terminal.h"
#include "cli/wizard.h"
#include "pipeline/migrate.h"
#include "pipeline/migrate_to_server.h"
#include "pipeline/plan.h"
#include "pipeline/verify.h"

namespace fs = std::filesystem;

namespace {

constexpr int kExitOk = 0, kExitFailed = 1, kExitUsage = 2, kExitRejected = 3, kExitMismatch = 4, kExitCancelled = 130;

std::atomic<bool> g_cancel{false};

extern "C" void OnSignal(int) { g_cancel.store(true); }

int Fail(const cm::Status& s) {
  std::fprintf(stderr, "chroma-migrate: %s\n", s.ToString().c_str());
  return s.code() == cm::StatusCode::kCancelled ? kExitCancelled : kExitFailed;
}

int Usage(const cm::Status& s) {
  std::fprintf(stderr, "chroma-migrate: %s\n", s.message().c_str());
  return kExitUsage;
}

std::string DefaultRejectsPath(const std::string& to, cm::cli::DestinationKind kind) {
  if (kind == cm::cli::DestinationKind::kServer) return "chroma-migrate.rejects.jsonl";
  std::string base = fs::path(to).lexically_normal().string();
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + ".rejects.jsonl";
}

void PrintSummary(const cm::MigrationReport& r, const std::string& to, cm::cli::DestinationKind kind) {
  std::printf("Migrated %llu records in %zu collections from %s to %s in %.1f s.\n",
              static_cast<unsigned long long>(r.records_migrated), r.collections.size(), r.source.c_str(),
              to.c_str(), r.seconds_total);
  for (const auto& c : r.collections) {
    std::printf("  %-32s %8llu records  dim %-5s %-6s", c.name.c_str(), static_cast<unsigned long long>(c.migrated),
                c.dimension ? std::to_string(*c.dimension).c_str() : "-", c.space.c_str());
    if (c.rejected) std::printf("  %llu rejected", static_cast<unsigned long long>(c.rejected));
    if (c.graph_reused) std::printf("  graph reused from %s", c.graph_source.c_str());
    std::printf("\n");
    if (!c.graph_note.empty()) std::printf("    graph %s\n", c.graph_note.c_str());
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
  if (kind == cm::cli::DestinationKind::kPersistDir) {
    std::string abs = fs::absolute(to).lexically_normal().string();
    std::printf("\nOpen it with Chroma 1.x:\n  python:  chromadb.PersistentClient(path=\"%s\")\n  server:  chroma run --path %s\n",
                abs.c_str(), abs.c_str());
  } else {
    std::string hostport = to.substr(to.find("://") + 3);
    std::string host = hostport.substr(0, hostport.rfind(':'));
    std::string port = hostport.find(':') == std::string::npos ? "8000" : hostport.substr(hostport.rfind(':') + 1);
    while (!port.empty() && port.back() == '/') port.pop_back();
    std::printf("\nOpen it with Chroma:\n  python:  chromadb.HttpClient(host=\"%s\", port=%s%s)\n", host.c_str(), port.c_str(),
                to.rfind("https://", 0) == 0 ? ", ssl=True" : "");
  }
}

int VerifyAndPrint(const cm::cli::Args& a, bool json);

int RunMigrate(const cm::cli::Args& a) {
  if (a.from.empty() || a.to.empty()) {
    std::fprintf(stderr, "chroma-migrate: --from and --to are required (see --help, or run without arguments in a terminal)\n");
    return kExitUsage;
  }
  auto policies = cm::cli::ToPolicies(a);
  if (!policies.ok()) return Usage(policies.status());
  auto from = cm::cli::ToEndpoint(a.from_side, "from");
  if (!from.ok()) return Usage(from.status());
  auto to = cm::cli::ToEndpoint(a.to_side, "to");
  if (!to.ok()) return Usage(to.status());
  auto sink = cm::cli::ToSinkOptions(a);
  if (!sink.ok()) return Usage(sink.status());
  auto kind = cm::cli::KindOfDestination(a.to);

  auto source = cm::cli::OpenSource(a.from, from.value());
  if (!source.ok()) return Fail(source.status());

  cm::MigrateOptions mo;
  mo.policies = policies.value();
  mo.selection = cm::cli::ToSelection(a);
  mo.rejects_path = a.rejects.empty() ? DefaultRejectsPath(a.to, kind) : a.rejects;
  mo.batch_rows = a.read_batch;
  mo.held_memory = uint64_t{a.held_memory_mib} << 20;
  mo.reuse_graphs = !a.rebuild_index;
  mo.cancel = &g_cancel;
  if (to->tenant_given) mo.dest_tenant = to->tenant;
  if (to->database_given) mo.dest_database = to->database;
  cm::ProgressPrinter progress(a.quiet ? "none" : a.progress);
  mo.progress = [&](const std::string& stage, const std::string& coll, uint64_t done, uint64_t total) {
    progress.Update(stage, coll, done, total);
  };
  cm::Result<cm::MigrationReport> report = cm::Status::Internal("no destination");
  if (kind == cm::cli::DestinationKind::kServer) {
    report = cm::MigrateToServer(*source.value(), a.to, to.value(), sink.value(), mo);
  } else {
    cm::PersistDirWriterOptions dest;
    dest.destination = a.to;
    dest.overwrite = a.overwrite;
    dest.threads = a.threads;
    dest.insertion_order = a.insertion_order == "stored"     ? cm::InsertionOrder::kStored
                           : a.insertion_order == "shuffled" ? cm::InsertionOrder::kShuffled
                                                             : cm::InsertionOrder::kSpatial;
    if (a.insertion_seed) dest.insertion_seed = *a.insertion_seed;
    dest.fixed_point_build = a.build_arithmetic != "float32";
    dest.cancel = &g_cancel;
    report = cm::MigrateToPersistDir(*source.value(), dest, mo);
  }
  progress.Finish();
  if (!report.ok()) return Fail(report.status());
  if (!a.report.empty()) {
    std::ofstream out(a.report);
    out << cm::ReportJson(report.value()) << "\n";
    if (!out) return Fail(cm::Status::IoError(fmt::format("{}: cannot write the report", a.report)));
  }
  if (!a.quiet) PrintSummary(report.value(), a.to, kind);
  if (a.verify) {
    if (!a.quiet) std::printf("\nVerifying every record against the source...\n");
    int rc = VerifyAndPrint(a, false);
    if (rc != kExitOk) return rc;
  }
  return report->records_rejected > 0 ? kExitRejected : kExitOk;
}

int RunPlan(const cm::cli::Args& a, bool json) {
  if (a.from.empty()) {
    std::fprintf(stderr, "chroma-migrate plan: --from is required (see plan --help)\n");
    return kExitUsage;
  }
  auto policies = cm::cli::ToPolicies(a);
  if (!policies.ok()) return Usage(policies.status());
  auto from = cm::cli::ToEndpoint(a.from_side, "from");
  if (!from.ok()) return Usage(from.status());
  auto source = cm::cli::OpenSource(a.from, from.value());
  if (!source.ok()) return Fail(source.status());
  cm::MigrateOptions mo;
  mo.policies = policies.value();
  mo.selection = cm::cli::ToSelection(a);
  mo.batch_rows = a.read_batch;
  auto plan = cm::PlanMigration(*source.value(), a.to, mo);
  if (!plan.ok()) return Fail(plan.status());
  std::fputs(json ? (cm::PlanJson(plan.value()) + "\n").c_str() : cm::PlanText(plan.value()).c_str(), stdout);
  return plan->ok() ? kExitOk : kExitFailed;
}

// Compares DST with SRC; prints the result. Returns 0 when identical, 4 on any difference.
int VerifyAndPrint(const cm::cli::Args& a, bool json) {
  auto policies = cm::cli::ToPolicies(a);
  if (!policies.ok()) return Usage(policies.status());
  auto from = cm::cli::ToEndpoint(a.from_side, "from");
  if (!from.ok()) return Usage(from.status());
  auto to = cm::cli::ToEndpoint(a.to_side, "to");
  if (!to.ok()) return Usage(to.status());
  auto source = cm::cli::OpenSource(a.from, from.value());
  if (!source.ok()) return Fail(source.status());
  auto dest = cm::cli::OpenSource(a.to, to.value());
  if (!dest.ok()) return Fail(dest.status().WithContext("opening the destination to verify it"));
  std::unique_ptr<cm::Searcher> searcher;
  if (cm::cli::KindOfDestination(a.to) == cm::cli::DestinationKind::kPersistDir) {
    auto s = cm::OpenPersistDirSearcher(a.to);
    if (!s.ok()) return Fail(s.status());
    searcher = std::move(s).value();
  } else {
    auto s = cm::OpenServerSearcher(a.to, to.value());
    if (!s.ok()) return Fail(s.status());
    searcher = std::move(s).value();
  }
  cm::VerifyOptions vo;
  vo.policies = policies.value();
  vo.selection = cm::cli::ToSelection(a);
  vo.batch_rows = a.read_batch;
  vo.memory_budget = uint64_t{a.verify_memory_mib} << 20;
  if (to->tenant_given) vo.dest_tenant = to->tenant;
  if (to->database_given) vo.dest_database = to->database;
  auto report = cm::Verify(*source.value(), *dest.value(), searcher.get(), vo);
  if (!report.ok()) return Fail(report.status());
  std::fputs(json ? (cm::VerifyJson(report.value()) + "\n").c_str() : cm::VerifyText(report.value()).c_str(), stdout);
  return report->ok() ? kExitOk : kExitMismatch;
}

int RunWizardFlow() {
  cm::cli::Terminal term;
  auto args = cm::cli::RunWizard(term);
  if (!args) {
    term.Print("\nCancelled; nothing was written.\n");
    return kExitCancelled;
  }
  auto from = cm::cli::ToEndpoint(args->from_side, "from");
  if (!from.ok()) return Usage(from.status());
  auto source = cm::cli::OpenSource(args->from, from.value());
  if (!source.ok()) return Fail(source.status());
  cm::MigrateOptions mo;
  term.Print("\nReading the source to plan the migration...\n");
  auto plan = cm::PlanMigration(*source.value(), args->to, mo);
  if (!plan.ok()) return Fail(plan.status());
  term.Print("\n" + cm::PlanText(plan.value()));
  if (!plan->ok()) return kExitFailed;
  auto go = term.Confirm(fmt::format("\nMigrate {} records in {} collections to {} now?", plan->would_migrate,
                                     plan->collections.size(), args->to), true);
  if (!go || !*go) {
    term.Print("Cancelled; nothing was written.\n");
    return kExitCancelled;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  int rc = RunMigrate(*args);
  if (rc == kExitOk || rc == kExitRejected) {
    term.Print("\nThe same migration without questions (secrets shown as ***):\n  " + cm::cli::EquivalentCommand(*args) + "\n");
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 1) return RunWizardFlow();
  CLI::App app{"chroma-migrate: move Chroma data between storage generations, losslessly and verifiably.\n"
               "Sources: a Chroma <= 0.3 persist directory, a Chroma 0.3 server's ClickHouse, a Chroma 0.4-1.x\n"
               "persist directory, any Chroma server. Destinations: a new Chroma 1.x persist directory (written\n"
               "natively; `chroma run --path DIR` and chromadb.PersistentClient(path=DIR) open it at once) or any\n"
               "Chroma server. Run without arguments in a terminal for a guided wizard."};
  app.set_version_flag("--version", std::string("chroma-migrate ") + CM_VERSION);
  cm::cli::Args a;
  cm::cli::AddEndpointOptions(&app, &a, true);
  app.require_subcommand(0, 1);
  cm::cli::Args plan_args;
  bool plan_json = false;
  CLI::App* plan = app.add_subcommand("plan", "Read the whole source through the policies and report what a migration would do; writes nothing");
  cm::cli::AddEndpointOptions(plan, &plan_args, false);
  plan->add_flag("--json", plan_json, "print the plan as JSON");
  cm::cli::Args verify_args;
  bool verify_json = false;
  CLI::App* verify = app.add_subcommand("verify", "Compare every record of DST with SRC (after the same policies); exit 4 on any difference");
  cm::cli::AddEndpointOptions(verify, &verify_args, false);
  verify->add_flag("--json", verify_json, "print the result as JSON");
  cm::cli::AddVerifyMemoryOption(verify, &verify_args);
  verify->footer("Examples:\n  chroma-migrate verify --from ./chroma --to ./chroma_migrated\n"
                 "Checks ids, documents, metadata values and types, embeddings (float32; cosine within a few ulps),\n"
                 "space and HNSW parameters, and recall@10 of the destination's index on a sample.\n"
                 "Exit code 0 when identical, 4 on any difference, 1 when it cannot run.");
  plan->footer("Examples:\n  chroma-migrate plan --from ./chroma\n  chroma-migrate plan --from ./chroma --to ./chroma_migrated --json\n"
               "Exit code 0 when nothing stops the migration, 1 otherwise.");
  app.footer(
      "Examples:\n"
      "  chroma-migrate --from ./chroma --to ./chroma_migrated --verify\n"
      "  chroma-migrate --from clickhouse://localhost:8123 --to http://localhost:8000\n"
      "  chroma-migrate --from ./old_0.4_dir --to https://api.trychroma.com --to-token-header x-chroma-token\n"
      "      (token from CHROMA_API_KEY) --to-tenant T --to-database D\n"
      "  chroma-migrate --from http://old-server:8000 --to ./chroma_migrated --report run.json\n"
      "  chroma-migrate plan --from ./chroma --to ./chroma_migrated\n"
      "  chroma-migrate verify --from ./chroma --to ./chroma_migrated\n"
      "Exit codes: 0 done; 1 failed; 2 usage; 3 done but some records were rejected (see the rejects file);\n"
      "4 verification found a difference; 130 cancelled.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  if (plan->parsed()) return RunPlan(plan_args, plan_json);
  if (verify->parsed()) return VerifyAndPrint(verify_args, verify_json);
  return RunMigrate(a);
}
