#include "io/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

namespace cm {
namespace {

std::once_flag g_curl_init;

void GlobalInit() {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

struct Collector {
  std::string* body = nullptr;
  const std::function<bool(std::string_view)>* on_data = nullptr;
  bool* delivered = nullptr;
  std::string content_type;
  std::optional<std::string> retry_after;
};

size_t OnBody(char* ptr, size_t size, size_t n, void* user) {
  auto* c = static_cast<Collector*>(user);
  size_t len = size * n;
  if (c->on_data != nullptr) {
    *c->delivered = true;
    if (!(*c->on_data)(std::string_view(ptr, len))) return 0;  // abort the transfer
  } else {
    c->body->append(ptr, len);
  }
  return len;
}

size_t OnHeader(char* buf, size_t size, size_t n, void* user) {
  auto* c = static_cast<Collector*>(user);
  std::string_view line(buf, size * n);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name = Lower(std::string(line.substr(0, colon)));
    if (name == "retry-after") c->retry_after = Trim(line.substr(colon + 1));
    if (name == "content-type") c->content_type = Trim(line.substr(colon + 1));
  }
  return size * n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

uint64_t NextRandom(uint64_t* s) {  // splitmix64
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::string ParsedUrl::Base() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}{}", scheme, ipv6 ? "[" : "", host, ipv6 ? "]" : "", port, path);
}

Result<ParsedUrl> ParseHttpUrl(const std::string& url) {
  ParsedUrl u;
  size_t sep = url.find("://");
  if (sep == std::string::npos) {
    return Status::InvalidArgument(fmt::format("{}: expected http://host:port or https://host:port", RedactUrl(url)));
  }
  u.scheme = Lower(url.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") {
    return Status::InvalidArgument(fmt::format("{}: the scheme must be http or https", RedactUrl(url)));
  }
  std::string rest = url.substr(sep + 3);
  size_t slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (size_t q = path.find_first_of("?#"); q != std::string::npos) {
    return Status::InvalidArgument(fmt::format("{}: a server URL takes no query or fragment", RedactUrl(url)));
  }
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    std::string info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = info.find(':');
    u.user = info.substr(0, colon);
    if (colon != std::string::npos) u.password = info.substr(colon + 1);
  }
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Status::InvalidArgument(fmt::format("{}: unclosed '[' in the host", RedactUrl(url)));
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Status::InvalidArgument(fmt::format("{}: unexpected text after the host", RedactUrl(url)));
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) return Status::InvalidArgument(fmt::format("{}: the host is missing", RedactUrl(url)));
  u.port = u.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit) ||
        std::stoi(port_text) < 1 || std::stoi(port_text) > 65535) {
      return Status::InvalidArgument(fmt::format("{}: the port must be a number from 1 to 65535", RedactUrl(url)));
    }
    u.port = std::stoi(port_text);
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  u.path = path;
  return u;
}

std::string RedactUrl(const std::string& url) {
  size_t sep = url.find("://");
  size_t start = sep == std::string::npos ? 0 : sep + 3;
  size_t end = url.find_first_of("/?#", start);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

std::string UrlEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

void Redactor::Add(const std::string& secret) {
  if (secret.size() < 3) return;  // a one- or two-letter "secret" would blank out ordinary words
  secrets_.push_back(secret);
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Redactor::Apply(std::string text) const {
  for (const std::string& s : secrets_) {
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3)) text.replace(pos, s.size(), "***");
  }
  return text;
}

double BackoffSeconds(const RetryPolicy& p, int attempt, std::optional<double> retry_after, double unit_random) {
  if (retry_after) return std::clamp(*retry_after, 0.0, p.max_retry_after_seconds);
  double d = std::min(p.max_seconds, p.base_seconds * std::ldexp(1.0, std::min(attempt, 30)));
  return d * (0.5 + std::clamp(unit_random, 0.0, 1.0) / 2);
}

static bool IsCertificateError(CURLcode rc) {
  return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
         rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

bool IsRetryableStatus(long status) { return status == 429 || status == 502 || status == 503 || status == 504; }

std::optional<double> ParseRetryAfter(std::string_view value, std::time_t now) {
  std::string v = Trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), ::isdigit)) {
    if (v.size() > 9) return std::nullopt;
    return static_cast<double>(std::stol(v));
  }
  std::time_t t = curl_getdate(v.c_str(), nullptr);
  if (t < 0) return std::nullopt;
  return std::max(0.0, std::difftime(t, now));
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const std::string& base_url, const HttpOptions& options) {
  GlobalInit();
  CM_ASSIGN_OR_RETURN(ParsedUrl parsed, ParseHttpUrl(base_url));
  std::unique_ptr<HttpClient> c(new HttpClient());
  c->url_ = base_url;
  c->parsed_ = parsed;
  c->base_ = parsed.Base();
  c->options_ = options;
  if (!c->options_.basic_auth && parsed.user) {
    c->options_.basic_auth = *parsed.user + ":" + parsed.password.value_or("");
  }
  for (const auto& [name, value] : c->options_.headers) {
    c->redactor_.Add(value);
    // "Bearer <token>": the token alone is a secret too.
    if (size_t sp = value.find(' '); sp != std::string::npos) c->redactor_.Add(value.substr(sp + 1));
  }
  if (c->options_.basic_auth) {
    c->redactor_.Add(*c->options_.basic_auth);
    size_t colon = c->options_.basic_auth->find(':');
    if (colon != std::string::npos) c->redactor_.Add(c->options_.basic_auth->substr(colon + 1));
  }
  if (parsed.password) c->redactor_.Add(*parsed.password);
  c->retry_.max_retries = std::max(0, options.max_retries);
  c->rng_state_ = std::random_device{}() ^ (static_cast<uint64_t>(reinterpret_cast<uintptr_t>(c.get())) << 16);
  CM_RETURN_IF_ERROR(c->Configure());
  return c;
}

Result<std::unique_ptr<HttpClient>> HttpClient::Clone() const {
  CM_ASSIGN_OR_RETURN(auto c, Create(url_, options_));
  c->retry_ = retry_;
  c->cancel_ = cancel_;
  return c;
}

HttpClient::~HttpClient() {
  if (headers_ != nullptr) curl_slist_free_all(headers_);
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::vector<std::string> HttpClient::HeaderNames() const {
  std::vector<std::string> out;
  for (const auto& h : options_.headers) out.push_back(h.first);
  if (options_.basic_auth) out.push_back("Authorization (basic)");
  return out;
}

Status HttpClient::Configure() {
  CURL* h = curl_easy_init();
  if (h == nullptr) return Status::Internal("libcurl could not create a handle");
  curl_ = h;
  for (const auto& [name, value] : options_.headers) {
    std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(headers_, line.c_str());
    if (next == nullptr) return Status::Internal("libcurl could not add a header");
    headers_ = next;
  }
  headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  headers_ = curl_slist_append(headers_, "Accept: application/json");
  headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip for large bodies
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  long timeout_ms = static_cast<long>(std::max(0.1, options_.timeout_seconds) * 1000);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10000L));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.insecure ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.insecure ? 0L : 2L);
  if (options_.ca_bundle) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_bundle->c_str());
  if (options_.basic_auth) {
    const std::string& ba = *options_.basic_auth;
    size_t colon = ba.find(':');
    std::string user = ba.substr(0, colon);
    std::string pass = colon == std::string::npos ? "" : ba.substr(colon + 1);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, user.c_str());  // libcurl copies strings
    curl_easy_setopt(h, CURLOPT_PASSWORD, pass.c_str());
  }
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  return Status::Ok();
}

Result<HttpResponse> HttpClient::Once(std::string_view method, const std::string& path, const std::string* body,
                                      const std::function<bool(std::string_view)>* on_data, bool* delivered) {
  CURL* h = static_cast<CURL*>(curl_);
  HttpResponse resp;
  Collector col;
  col.body = &resp.body;
  col.on_data = on_data;
  col.delivered = delivered;
  std::string url = base_ + path;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  std::string m(method);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
  if (body != nullptr) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else if (m == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  }
  if (m == "GET") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, nullptr);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &col);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &col);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, cancel_);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  if (rc == CURLE_ABORTED_BY_CALLBACK && Cancelled()) return Status::Cancelled("interrupted");
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc);
    if (IsCertificateError(rc)) {  // not transient: retrying cannot help
      return Status::InvalidArgument(Redact(fmt::format(
          "{} {}{}: {}; the server's TLS certificate is not trusted: give its CA certificate with --from-ca-bundle / "
          "--to-ca-bundle FILE (or, at your own risk, --from-insecure / --to-insecure)", m, base_, path, detail)));
    }
    return Status::NetworkError(Redact(fmt::format("{} {}{}: {}", m, base_, path, detail)));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  resp.content_type = col.content_type;
  if (col.retry_after) resp.retry_after = ParseRetryAfter(*col.retry_after, std::time(nullptr));
  return resp;
}

Result<HttpResponse> HttpClient::Request(std::string_view method, const std::string& path, const std::string* body,
                                         bool retry) {
  int max = retry ? retry_.max_retries : 0;
  for (int attempt = 0;; ++attempt) {
    if (Cancelled()) return Status::Cancelled("interrupted");
    bool delivered = false;
    auto r = Once(method, path, body, nullptr, &delivered);
    bool again = false;
    std::optional<double> retry_after;
    if (!r.ok()) {
      if (r.status().code() != StatusCode::kNetworkError) return r.status();
      again = attempt < max;
      if (!again) {
        return Status::NetworkError(fmt::format("{} (after {} attempts)", r.status().message(), attempt + 1));
      }
    } else if (IsRetryableStatus(r->status) && attempt < max) {
      again = true;
      retry_after = r->retry_after;
    }
    if (!again) {
      if (r.ok()) r->attempts = attempt + 1;
      return r;
    }
    double unit = static_cast<double>(NextRandom(&rng_state_) >> 11) / 9007199254740992.0;
    double wait = BackoffSeconds(retry_, attempt, retry_after, unit);
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait);
    while (std::chrono::steady_clock::now() < until) {
      if (Cancelled()) return Status::Cancelled("interrupted");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

Result<HttpResponse> HttpClient::Stream(std::string_view method, const std::string& path, const std::string* body,
                                        const std::function<bool(std::string_view)>& on_data) {
  for (int attempt = 0;; ++attempt) {
    if (Cancelled()) return Status::Cancelled("interrupted");
    bool delivered = false;
    auto r = Once(method, path, body, &on_data, &delivered);
    bool retryable = !r.ok() ? r.status().code() == StatusCode::kNetworkError : IsRetryableStatus(r->status);
    if (!retryable || delivered || attempt >= retry_.max_retries) return r;
    double unit = static_cast<double>(NextRandom(&rng_state_) >> 11) / 9007199254740992.0;
    std::this_thread::sleep_for(std::chrono::duration<double>(
        BackoffSeconds(retry_, attempt, r.ok() ? r->retry_after : std::nullopt, unit)));
  }
}

}  // namespace cm
