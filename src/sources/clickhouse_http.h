// ClickHouseHttp: one client of ClickHouse's HTTP interface, reading responses incrementally.
//
// A libcurl easy handle is driven by a multi handle, so a caller pulls response bytes as it needs
// them (Read) and the kernel's socket buffer, not this process, holds what is not yet wanted:
// memory stays bounded whatever the response size. Connections are kept alive between queries.
// Queries go in the POST body with `wait_end_of_query=1`, so a query that fails on the server is
// an HTTP error status, never an error text spliced into a 200 response.
//
// Credentials: the URL's user/password go in X-ClickHouse-User / X-ClickHouse-Key headers; without
// a URL user, HttpOptions::basic_auth is sent as HTTP basic auth. No message built here contains
// the password (server texts are scrubbed of it too).
//
// Errors: unreachable server (NetworkError, retryable), a port that does not speak HTTP or speaks
// ClickHouse's native protocol (InvalidArgument naming the HTTP port to use), an HTTP server that
// is not ClickHouse, refused credentials (RemoteError naming the user), other server errors
// (RemoteError with ClickHouse's code and text). Not thread-safe; one query at a time.
#pragma once

#include <memory>
#include <string>

#include "core/endpoint.h"
#include "core/status.h"
#include "sources/clickhouse_url.h"

namespace cm::clickhouse {

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Create(const ClickHouseUrl& url, const HttpOptions& http);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET /ping: checks that host:port is ClickHouse's HTTP interface.
  Status Ping();
  // Runs `sql` and returns the whole response body; fails when it exceeds max_bytes.
  Result<std::string> Query(const std::string& sql, size_t max_bytes = 64u << 20);

  // Streaming: Start sends `sql` and waits for the response status (non-200 is an error);
  // Read then appends at least one byte to *out, or sets *eof when the response is complete.
  Status Start(const std::string& sql);
  Status Read(std::string* out, bool* eof);
  // Drops the response in progress (the connection is closed, not reused).
  void Cancel();

  // Whether the last failure was a transient network failure worth retrying.
  bool last_error_retryable() const { return retryable_; }
  const ClickHouseUrl& url() const { return url_; }

 private:
  struct Handles;
  HttpClient(ClickHouseUrl url, HttpOptions http);
  Status Begin(const std::string& path, const std::string* body);
  Status Pump(bool* finished);
  Status WaitForStatus();
  Status Drain(std::string* body, size_t max_bytes);
  Status CurlFailure(int curl_code);
  Status HttpFailure(long code, const std::string& body, const std::string& what);
  std::string Scrub(std::string text) const;

  ClickHouseUrl url_;
  HttpOptions http_;
  std::unique_ptr<Handles> h_;
  bool retryable_ = false;
  std::string what_;  // the request, for messages ("query", "GET /ping")
};

}  // namespace cm::clickhouse
