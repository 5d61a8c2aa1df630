#include "cli/wizard.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>

#include "formats/json/json_reader.h"
#include "sources/legacy_dir_source.h"
#include "sources/modern_dir_source.h"

namespace fs = std::filesystem;

namespace cm::cli {
namespace {

std::string CheckHeadersJson(const std::string& s) {
  auto v = ParseJson(s);
  if (!v.ok() || !v->is_object()) return "Expected a JSON object such as {} or {\"Authorization\": \"Bearer ...\"}.";
  for (const auto& [k, x] : v->as_object()) {
    if (!x.is_string()) return fmt::format("Header \"{}\" must be a string.", k);
  }
  return "";
}

std::string CheckPort(const std::string& s) {
  try {
    size_t pos = 0;
    int p = std::stoi(s, &pos);
    if (pos == s.size() && p > 0 && p < 65536) return "";
  } catch (...) {
  }
  return "Expected a port number between 1 and 65535.";
}

std::string CheckNotEmpty(const std::string& s) { return s.empty() ? "Please enter a value." : ""; }

std::string CheckHost(const std::string& s) {
  if (s.empty()) return "Please enter a host name or address.";
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']')) {
      return "A host name has only letters, digits, '.', '-' and ':' (for example localhost or db.example.com).";
    }
  }
  return "";
}

bool AskServer(Terminal& t, const std::string& what, std::string* url, SideArgs* side) {
  auto host = t.Ask(what + " host", "localhost", CheckHost);
  if (!host) return false;
  auto port = t.Ask(what + " port", "8000", CheckPort);
  if (!port) return false;
  auto tls = t.Confirm("Use HTTPS?", false);
  if (!tls) return false;
  auto headers = t.Ask("HTTP headers as JSON (for auth tokens; {} for none)", "{}", CheckHeadersJson);
  if (!headers) return false;
  auto tenant = t.Ask("Tenant", "default_tenant", CheckNotEmpty);
  if (!tenant) return false;
  auto database = t.Ask("Database", "default_database", CheckNotEmpty);
  if (!database) return false;
  *url = fmt::format("{}://{}:{}", *tls ? "https" : "http", *host, *port);
  if (*headers != "{}") side->headers_json = *headers;
  if (*tenant != "default_tenant") side->tenant = *tenant;
  if (*database != "default_database") side->database = *database;
  return true;
}

}  // namespace

std::optional<Args> RunWizard(Terminal& t) {
  Args a;
  t.Print("chroma-migrate: move your Chroma data to Chroma 1.x. Press Ctrl-C at any time to stop; nothing is\n"
          "written until you confirm.\n");
  auto from = t.Choose("Where is your data now?",
                       {"a legacy persist directory (Chroma 0.3 and older: chroma-*.parquet files)",
                        "a legacy Chroma 0.3 server's ClickHouse database",
                        "a Chroma server (any version, local or remote, Chroma Cloud)",
                        "a modern persist directory (Chroma 0.4 and newer: chroma.sqlite3)"});
  if (!from) return std::nullopt;
  if (*from == 0 || *from == 3) {
    bool legacy = *from == 0;
    auto dir = t.Ask(legacy ? "Legacy persist directory" : "Persist directory", "./chroma", [&](const std::string& d) {
      std::error_code ec;
      if (!fs::is_directory(d, ec)) return fmt::format("{} is not a directory.", d);
      if (legacy && !LooksLikeLegacyDir(d)) {
        return fmt::format("{} has no chroma-collections.parquet / chroma-embeddings.parquet.{}", d,
                           LooksLikeModernDir(d) ? " It looks like a modern (0.4+) directory." : "");
      }
      if (!legacy && !LooksLikeModernDir(d)) return fmt::format("{} has no chroma.sqlite3.", d);
      return std::string();
    });
    if (!dir) return std::nullopt;
    a.from = *dir;
  } else if (*from == 1) {
    auto host = t.Ask("ClickHouse host", "localhost", CheckHost);
    if (!host) return std::nullopt;
    auto port = t.Ask("ClickHouse HTTP port", "8123", CheckPort);
    if (!port) return std::nullopt;
    auto user = t.Ask("ClickHouse user (empty for the default user)", "");
    if (!user) return std::nullopt;
    auto database = t.Ask("ClickHouse database", "default", CheckNotEmpty);
    if (!database) return std::nullopt;
    a.from = fmt::format("clickhouse://{}{}:{}/{}", user->empty() ? "" : *user + "@", *host, *port, *database);
  } else {
    if (!AskServer(t, "Source server", &a.from, &a.from_side)) return std::nullopt;
  }
  auto to = t.Choose("Where should it go?", {"a new persist directory (fastest; open it with PersistentClient or chroma run)",
                                             "a Chroma server (local, remote or Chroma Cloud)"});
  if (!to) return std::nullopt;
  if (*to == 0) {
    auto dir = t.Ask("New persist directory", "./chroma_migrated", [](const std::string& d) {
      std::error_code ec;
      if (fs::exists(d, ec) && !(fs::is_directory(d, ec) && fs::is_empty(d, ec))) {
        return fmt::format("{} already exists and is not empty; choose a new directory.", d);
      }
      return std::string();
    });
    if (!dir) return std::nullopt;
    a.to = *dir;
  } else {
    if (!AskServer(t, "Destination server", &a.to, &a.to_side)) return std::nullopt;
  }
  return a;
}

std::string EquivalentCommand(const Args& a) {
  auto q = [](const std::string& s) {
    if (s.find_first_of(" '\"$`\\{}*?!&;|<>()") == std::string::npos) return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  };
  std::string cmd = "chroma-migrate --from " + q(a.from) + " --to " + q(a.to);
  for (const auto& [side, s] : {std::pair<std::string, const SideArgs*>{"from", &a.from_side}, {"to", &a.to_side}}) {
    if (!s->tenant.empty()) cmd += " --" + side + "-tenant " + q(s->tenant);
    if (!s->database.empty()) cmd += " --" + side + "-database " + q(s->database);
    if (!s->headers_json.empty()) cmd += " --" + side + "-headers-json '***'";
    for (const auto& h : s->headers) cmd += " --" + side + "-header " + q(h.substr(0, h.find(':')) + ": ***");
    if (!s->token.empty()) cmd += " --" + side + "-token '***'";
  }
  return cmd;
}

}  // namespace cm::cli
