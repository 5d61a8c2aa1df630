#include "sources/clickhouse_url.h"

#include <fmt/format.h>

#include <charconv>

namespace cm {
namespace {

constexpr const char* kForm = "clickhouse://[user[:password]@]host[:port][/database] (TLS: clickhouses://)";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; false on a malformed escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// The URL as typed, with the password replaced by ***: safe to put in a message.
std::string Redacted(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  size_t auth_begin = scheme_end + 3;
  size_t auth_end = url.find_first_of("/?#", auth_begin);
  if (auth_end == std::string_view::npos) auth_end = url.size();
  std::string_view authority = url.substr(auth_begin, auth_end - auth_begin);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  size_t colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(url);
  return fmt::format("{}{}:***{}", url.substr(0, auth_begin), authority.substr(0, colon),
                     url.substr(auth_begin + at));
}

Status Bad(std::string_view url, const std::string& what) {
  return Status::InvalidArgument(fmt::format("{}: {}; expected {}", Redacted(url), what, kForm));
}

Status ParseQuery(std::string_view url, std::string_view query, ClickHouseUrl* out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string_view key = kv.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
    if (key != "page_rows") {
      return Bad(url, fmt::format("unknown option \"{}\" (the only option is page_rows=N)", key));
    }
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || ptr != value.data() + value.size() || n == 0 || n > kClickHouseMaxPageRows) {
      return Bad(url, fmt::format("page_rows must be a whole number from 1 to {}, found \"{}\"", kClickHouseMaxPageRows,
                                  value));
    }
    out->page_rows = n;
  }
  return Status::Ok();
}

Status ParseHostPort(std::string_view url, std::string_view hostport, ClickHouseUrl* out) {
  std::string_view port_text;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Bad(url, "an IPv6 host opened with [ is not closed with ]");
    out->host = std::string(hostport.substr(1, close - 1));
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Bad(url, fmt::format("unexpected \"{}\" after the IPv6 host", rest));
      port_text = rest.substr(1);
      if (port_text.empty()) return Bad(url, "the port after ':' is empty");
    }
  } else {
    size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      port_text = hostport.substr(colon + 1);
      hostport = hostport.substr(0, colon);
      if (port_text.empty()) return Bad(url, "the port after ':' is empty");
    }
    out->host = std::string(hostport);
  }
  if (out->host.empty()) return Bad(url, "the host is missing");
  for (char c : out->host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_' || c == ':';
    if (!ok) return Bad(url, fmt::format("the host \"{}\" contains '{}'", out->host, c));
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return Bad(url, fmt::format("the port must be a number from 1 to 65535, found \"{}\"", port_text));
    }
    out->port = static_cast<uint16_t>(port);
  }
  return Status::Ok();
}

}  // namespace

std::string ClickHouseUrl::HostPort() const {
  bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

std::string ClickHouseUrl::HttpBase() const { return fmt::format("{}://{}", tls ? "https" : "http", HostPort()); }

std::string ClickHouseUrl::Display() const {
  std::string auth;
  if (user) auth = *user + (password ? ":***@" : "@");
  return fmt::format("{}://{}{}/{}", tls ? "clickhouses" : "clickhouse", auth, HostPort(), database);
}

Result<ClickHouseUrl> ParseClickHouseUrl(const std::string& url) {
  ClickHouseUrl out;
  std::string_view rest(url);
  if (rest.rfind("clickhouse://", 0) == 0) {
    rest.remove_prefix(13);
  } else if (rest.rfind("clickhouses://", 0) == 0) {
    rest.remove_prefix(14);
    out.tls = true;
    out.port = kClickHouseHttpsPort;
  } else {
    return Bad(url, "the scheme must be clickhouse:// or clickhouses://");
  }
  if (rest.find('#') != std::string_view::npos) return Bad(url, "a #fragment is not allowed");
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    std::string user, password;
    if (!PercentDecode(userinfo.substr(0, colon), &user)) return Bad(url, "the user has a malformed %-escape");
    if (user.empty()) return Bad(url, "the user before '@' is empty");
    out.user = user;
    if (colon != std::string_view::npos) {
      if (!PercentDecode(userinfo.substr(colon + 1), &password)) {
        return Bad(url, "the password has a malformed %-escape");
      }
      out.password = password;
    }
  }
  CM_RETURN_IF_ERROR(ParseHostPort(url, authority, &out));
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (!path.empty()) {
    std::string db;
    if (!PercentDecode(path, &db)) return Bad(url, "the database has a malformed %-escape");
    if (db.find('/') != std::string::npos) {
      return Bad(url, fmt::format("the path must be a single database name, found \"{}\"", db));
    }
    if (db.empty()) return Bad(url, "the database name is empty");
    out.database = db;
    out.database_given = true;
  }
  CM_RETURN_IF_ERROR(ParseQuery(url, query, &out));
  return out;
}

}  // namespace cm
