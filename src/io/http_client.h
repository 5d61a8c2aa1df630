// HttpClient: one libcurl easy handle configured from HttpOptions (extra headers, basic auth,
// TLS verified by default with an optional CA bundle, timeouts), with retries.
//
// Retries: connection failures, timeouts and the statuses 429/502/503/504 are retried up to
// HttpOptions::max_retries times with exponential backoff and jitter; a Retry-After header
// (seconds or an HTTP date) replaces the computed delay. Other statuses are returned to the
// caller as they are. Redirects are never followed (credentials would travel to another host).
//
// Secrets: header values, the basic-auth credentials and a password in the URL are secrets.
// Every message this module produces passes through Redact(), which replaces each secret with
// "***"; the base URL it reports never holds user info.
//
// Thread-safety: an HttpClient is used by one thread at a time. Clone() makes an independent
// client with the same settings for another thread.
#pragma once

#include <atomic>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.h"
#include "core/status.h"

struct curl_slist;  // libcurl

namespace cm {

struct ParsedUrl {
  std::string scheme;  // http or https
  std::string host;    // without brackets for IPv6
  int port = 0;        // explicit or the scheme's default
  std::string path;    // base path without a trailing slash ("" for the root)
  std::optional<std::string> user, password;  // from user:password@ (secrets)
  // scheme://host:port/path without user info: safe to print.
  std::string Base() const;
};

// Parses an http(s) URL; InvalidArgument names what is wrong (never the password).
Result<ParsedUrl> ParseHttpUrl(const std::string& url);
// The URL with any user info removed, for messages.
std::string RedactUrl(const std::string& url);
// Percent-encodes one path segment or query value (RFC 3986 unreserved characters kept).
std::string UrlEscape(std::string_view s);

// Replaces every registered secret in a text with "***" (longest secrets first).
class Redactor {
 public:
  void Add(const std::string& secret);
  std::string Apply(std::string text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;
};

struct RetryPolicy {
  int max_retries = 6;
  double base_seconds = 0.25;
  double max_seconds = 20;
  double max_retry_after_seconds = 60;
};

// Seconds to wait before retry number `attempt` (0 = the first retry). Exponential
// (base·2^attempt, capped at max_seconds) with jitter: scaled by 0.5 + unit_random/2, so
// concurrent clients spread out. A Retry-After value wins (capped at max_retry_after_seconds).
double BackoffSeconds(const RetryPolicy& p, int attempt, std::optional<double> retry_after, double unit_random);
bool IsRetryableStatus(long status);
// Retry-After: delta-seconds or an HTTP date (relative to `now`); nullopt when unparseable.
std::optional<double> ParseRetryAfter(std::string_view value, std::time_t now);

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::optional<double> retry_after;
  int attempts = 1;
};

class HttpClient {
 public:
  // `base_url` is "http(s)://[user:password@]host[:port][/path]"; requests append their path.
  static Result<std::unique_ptr<HttpClient>> Create(const std::string& base_url, const HttpOptions& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<std::unique_ptr<HttpClient>> Clone() const;

  // Sends `method path` with an optional JSON body; retries as described above when `retry`.
  // Returns the final response whatever its status, or NetworkError/Cancelled.
  Result<HttpResponse> Request(std::string_view method, const std::string& path, const std::string* body,
                               bool retry = true);
  // Like Request, but hands the body to `on_data` as it arrives instead of keeping it (for large
  // responses). No retries once data has been delivered; the status is in the result.
  Result<HttpResponse> Stream(std::string_view method, const std::string& path, const std::string* body,
                              const std::function<bool(std::string_view)>& on_data);

  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  void set_retry_policy(const RetryPolicy& p) { retry_ = p; }
  const std::string& base_url() const { return base_; }  // without user info
  std::string Redact(std::string text) const { return redactor_.Apply(std::move(text)); }
  // Header names only (values are secrets), for reports.
  std::vector<std::string> HeaderNames() const;

 private:
  HttpClient() = default;
  Status Configure();
  Result<HttpResponse> Once(std::string_view method, const std::string& path, const std::string* body,
                            const std::function<bool(std::string_view)>* on_data, bool* delivered);
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  std::string url_;   // as given (may hold user info; never printed)
  std::string base_;  // redacted
  HttpOptions options_;
  ParsedUrl parsed_;
  Redactor redactor_;
  RetryPolicy retry_;
  const std::atomic<bool>* cancel_ = nullptr;
  void* curl_ = nullptr;             // CURL*
  ::curl_slist* headers_ = nullptr;
  uint64_t rng_state_ = 0;
};

}  // namespace cm
