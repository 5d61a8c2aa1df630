#include "sources/clickhouse_http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

namespace cm::clickhouse {
namespace {

constexpr size_t kErrorBodyLimit = 64 << 10;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string FirstLine(std::string_view body, size_t max_chars = 600) {
  size_t nl = body.find('\n');
  std::string_view line = body.substr(0, nl);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  std::string out(line.substr(0, max_chars));
  if (line.size() > max_chars) out += "…";
  return out;
}

// ClickHouse error texts start with "Code: 193, e.displayText() = …" (18.x) or "Code: 516. DB::…".
int ClickHouseErrorCode(std::string_view body) {
  size_t p = body.find("Code: ");
  if (p == std::string_view::npos) return 0;
  int code = 0;
  for (size_t i = p + 6; i < body.size() && std::isdigit(static_cast<unsigned char>(body[i])); ++i) {
    code = code * 10 + (body[i] - '0');
    if (code > 100000) return 0;
  }
  return code;
}

// The native port's answer to an HTTP request, on one line: "Port 9000 is for clickhouse-client
// program. You must use port 8123 for HTTP."
std::string ServerSays(std::string_view body) {
  size_t p = body.find("Port ");
  std::string out;
  for (char c : body.substr(p == std::string_view::npos ? 0 : p, 300)) {
    if (c == '\r') continue;
    if (c == '\n') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool IsNativePortAnswer(std::string_view body) {
  return body.find("is for clickhouse-client program") != std::string_view::npos;
}

}  // namespace

struct HttpClient::Handles {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  curl_slist* headers = nullptr;
  bool attached = false;
  char errbuf[CURL_ERROR_SIZE] = {};
  std::string inbox;
  std::string body;  // the POST body; must outlive the transfer
  long status = 0;
  bool headers_done = false;
  bool finished = false;
  CURLcode result = CURLE_OK;

  ~Handles() {
    Detach();
    if (easy) curl_easy_cleanup(easy);
    if (multi) curl_multi_cleanup(multi);
  }
  void Detach() {
    if (attached) curl_multi_remove_handle(multi, easy);
    attached = false;
    if (headers) curl_slist_free_all(headers);
    headers = nullptr;
  }

  static size_t OnData(char* p, size_t size, size_t n, void* self) {
    static_cast<Handles*>(self)->inbox.append(p, size * n);
    return size * n;
  }
  static size_t OnHeader(char* p, size_t size, size_t n, void* self) {
    auto* h = static_cast<Handles*>(self);
    std::string_view line(p, size * n);
    if (StartsWithNoCase(line, "HTTP/")) {
      h->headers_done = false;  // a new status line (after 100 Continue, say)
      size_t sp = line.find(' ');
      h->status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    } else if (line == "\r\n" || line == "\n") {
      if (h->status >= 200) h->headers_done = true;
    }
    return size * n;
  }
};

HttpClient::HttpClient(ClickHouseUrl url, HttpOptions http)
    : url_(std::move(url)), http_(std::move(http)), h_(std::make_unique<Handles>()) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const ClickHouseUrl& url, const HttpOptions& http) {
  GlobalInit();
  std::unique_ptr<HttpClient> c(new HttpClient(url, http));
  c->h_->easy = curl_easy_init();
  c->h_->multi = curl_multi_init();
  if (!c->h_->easy || !c->h_->multi) return Status::Internal("libcurl could not create a handle");
  return c;
}

std::string HttpClient::Scrub(std::string text) const {
  if (url_.password && url_.password->size() >= 3) {
    for (size_t p; (p = text.find(*url_.password)) != std::string::npos;) text.replace(p, url_.password->size(), "***");
  }
  return text;
}

Status HttpClient::Begin(const std::string& path, const std::string* body) {
  Handles& h = *h_;
  h.Detach();
  curl_easy_reset(h.easy);
  h.inbox.clear();
  h.status = 0;
  h.headers_done = false;
  h.finished = false;
  h.result = CURLE_OK;
  h.errbuf[0] = 0;
  retryable_ = false;
  CURL* e = h.easy;
  std::string target = url_.HttpBase() + path;
  curl_easy_setopt(e, CURLOPT_URL, target.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h.errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Handles::OnData);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &h);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Handles::OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &h);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  long connect_timeout = static_cast<long>(std::clamp(http_.timeout_seconds, 1.0, 30.0));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, connect_timeout);
  // A stalled transfer (no byte for timeout_seconds) fails; a slow but moving one does not.
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(std::max(1.0, http_.timeout_seconds)));
  if (url_.tls) {
    if (http_.ca_bundle) curl_easy_setopt(e, CURLOPT_CAINFO, http_.ca_bundle->c_str());
    if (http_.insecure) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  // Credentials and extra headers go with every request (a proxy in front may want them for /ping too).
  curl_slist* headers = nullptr;
  if (url_.user) {
    headers = curl_slist_append(headers, ("X-ClickHouse-User: " + *url_.user).c_str());
    if (url_.password) headers = curl_slist_append(headers, ("X-ClickHouse-Key: " + *url_.password).c_str());
  } else if (http_.basic_auth) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERPWD, http_.basic_auth->c_str());
  }
  for (const auto& [name, value] : http_.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  if (body) {
    headers = curl_slist_append(headers, "Content-Type: text/plain; charset=UTF-8");
    headers = curl_slist_append(headers, "Expect:");
    h.body = *body;
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, h.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(h.body.size()));
  } else {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  }
  h.headers = headers;
  if (headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  if (curl_multi_add_handle(h.multi, e) != CURLM_OK) return Status::Internal("libcurl refused the request");
  h.attached = true;
  return Status::Ok();
}

Status HttpClient::Pump(bool* finished) {
  Handles& h = *h_;
  *finished = h.finished;
  if (h.finished) return Status::Ok();
  int running = 0;
  bool had_headers = h.headers_done;
  CURLMcode mc = curl_multi_perform(h.multi, &running);
  if (mc != CURLM_OK) return Status::Internal(fmt::format("libcurl: {}", curl_multi_strerror(mc)));
  if (running == 0) {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(h.multi, &left)) {
      if (m->msg == CURLMSG_DONE) h.result = m->data.result;
    }
    h.finished = true;
    *finished = true;
    if (h.result != CURLE_OK) return CurlFailure(h.result);
    return Status::Ok();
  }
  // Wait for the socket unless this round brought something the caller is waiting for.
  if (h.inbox.empty() && h.headers_done == had_headers) {
    curl_multi_poll(h.multi, nullptr, 0, 1000, nullptr);
  }
  return Status::Ok();
}

Status HttpClient::CurlFailure(int curl_code) {
  auto code = static_cast<CURLcode>(curl_code);
  std::string detail = Scrub(h_->errbuf[0] ? h_->errbuf : curl_easy_strerror(code));
  std::string where = url_.HostPort();
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return Status::NetworkError(fmt::format("cannot resolve the ClickHouse host {}: {}", url_.host, detail));
    case CURLE_COULDNT_CONNECT:
      retryable_ = true;
      return Status::NetworkError(fmt::format(
          "cannot reach ClickHouse at {} ({}): is the server running, and is {} its HTTP port (default {}; {} with "
          "clickhouses://)?",
          where, detail, url_.port, kClickHouseHttpPort, kClickHouseHttpsPort));
    case CURLE_OPERATION_TIMEDOUT:
      retryable_ = true;
      return Status::NetworkError(fmt::format("ClickHouse at {} did not answer {} in time: {}", where, what_, detail));
    case CURLE_GOT_NOTHING:
      retryable_ = true;  // also what a server that died mid-run looks like
      [[fallthrough]];
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
      return Status::InvalidArgument(fmt::format(
          "{} does not answer HTTP ({}): is {} ClickHouse's native TCP port (9000 by default, used by "
          "clickhouse-client)? chroma-migrate reads ClickHouse over its HTTP interface: use the HTTP port "
          "(default {}; {} with clickhouses://)",
          where, detail, url_.port, kClickHouseHttpPort, kClickHouseHttpsPort));
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return Status::NetworkError(fmt::format(
          "TLS with ClickHouse at {} failed: {} (give the CA with --from-ca-bundle FILE, or use clickhouse:// if the "
          "port is plain HTTP)",
          where, detail));
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      retryable_ = true;
      return Status::NetworkError(fmt::format("the connection to ClickHouse at {} broke during {}: {}", where, what_,
                                              detail));
    default:
      return Status::NetworkError(fmt::format("talking to ClickHouse at {} ({}): {}", where, what_, detail));
  }
}

Status HttpClient::HttpFailure(long code, const std::string& raw_body, const std::string& what) {
  std::string body = Scrub(raw_body);
  std::string where = url_.HostPort();
  if (IsNativePortAnswer(body)) {
    return Status::InvalidArgument(fmt::format(
        "{} is ClickHouse's native TCP port (for clickhouse-client), not its HTTP interface; the server says: \"{}\". "
        "chroma-migrate reads ClickHouse over HTTP: use the HTTP port (default {}; {} with clickhouses://)",
        where, ServerSays(body),
        kClickHouseHttpPort, kClickHouseHttpsPort));
  }
  int ch_code = ClickHouseErrorCode(body);
  if (code == 401 || code == 403 || ch_code == 192 || ch_code == 193 || ch_code == 194 || ch_code == 516) {
    std::string user = url_.user ? *url_.user : (http_.basic_auth ? http_.basic_auth->substr(0, http_.basic_auth->find(':'))
                                                                   : std::string("default"));
    return Status::RemoteError(fmt::format(
        "ClickHouse at {} refused the credentials of user \"{}\" (HTTP {}): {}. Give the user and password as "
        "clickhouse://USER:PASSWORD@{}/{}",
        where, user, code, FirstLine(body), where, url_.database));
  }
  return Status::RemoteError(fmt::format("ClickHouse at {} answered HTTP {} to {}: {}", where, code, what,
                                         body.empty() ? "(empty body)" : FirstLine(body)));
}

Status HttpClient::WaitForStatus() {
  bool finished = false;
  while (!h_->headers_done && !finished) CM_RETURN_IF_ERROR(Pump(&finished));
  if (!h_->headers_done) {
    return Status::InvalidArgument(fmt::format(
        "{} closed the connection without an HTTP answer: is {} ClickHouse's native TCP port? Use its HTTP port "
        "(default {})",
        url_.HostPort(), url_.port, kClickHouseHttpPort));
  }
  if (h_->status != 200) {
    std::string body;
    Status st = Drain(&body, kErrorBodyLimit);
    long status = h_->status;
    Cancel();
    (void)st;  // the status code is the error; a body cut short is still worth quoting
    return HttpFailure(status, body, what_);
  }
  return Status::Ok();
}

Status HttpClient::Drain(std::string* body, size_t max_bytes) {
  bool eof = false;
  while (!eof) {
    CM_RETURN_IF_ERROR(Read(body, &eof));
    if (body->size() > max_bytes) {
      body->resize(max_bytes);
      return Status::Unsupported(fmt::format("the answer of ClickHouse at {} to {} exceeds {} bytes", url_.HostPort(),
                                             what_, max_bytes));
    }
  }
  return Status::Ok();
}

Status HttpClient::Ping() {
  what_ = "GET /ping";
  CM_RETURN_IF_ERROR(Begin("/ping", nullptr));
  bool finished = false;
  while (!h_->headers_done && !finished) CM_RETURN_IF_ERROR(Pump(&finished));
  std::string body;
  Status drained = h_->headers_done ? Drain(&body, kErrorBodyLimit) : Status::Ok();
  long status = h_->status;
  Cancel();
  if (!h_->headers_done && status == 0) {
    return Status::InvalidArgument(fmt::format(
        "{} closed the connection without an HTTP answer: is {} ClickHouse's native TCP port? Use its HTTP port "
        "(default {})",
        url_.HostPort(), url_.port, kClickHouseHttpPort));
  }
  if (IsNativePortAnswer(body)) return HttpFailure(status, body, what_);
  if (status == 200 && body.rfind("Ok.", 0) == 0) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "{} answers HTTP but is not ClickHouse's HTTP interface: GET /ping gave HTTP {} \"{}\" where ClickHouse says "
      "\"Ok.\" (is this a Chroma server? Then use --from http://{})",
      url_.HostPort(), status, FirstLine(body, 120), url_.HostPort()));
}

Status HttpClient::Start(const std::string& sql) {
  what_ = "the query " + FirstLine(sql, 160);
  CM_RETURN_IF_ERROR(Begin("/?wait_end_of_query=1", &sql));
  return WaitForStatus();
}

Status HttpClient::Read(std::string* out, bool* eof) {
  *eof = false;
  bool finished = false;
  while (h_->inbox.empty() && !finished) CM_RETURN_IF_ERROR(Pump(&finished));
  if (!h_->inbox.empty()) {
    out->append(h_->inbox);
    h_->inbox.clear();
    return Status::Ok();
  }
  *eof = true;
  return Status::Ok();
}

Result<std::string> HttpClient::Query(const std::string& sql, size_t max_bytes) {
  CM_RETURN_IF_ERROR(Start(sql));
  std::string body;
  CM_RETURN_IF_ERROR(Drain(&body, max_bytes));
  return body;
}

void HttpClient::Cancel() {
  Handles& h = *h_;
  if (h.attached && !h.finished) {
    // Do not reuse a connection with an unread response on it.
    curl_easy_setopt(h.easy, CURLOPT_FORBID_REUSE, 1L);
  }
  h.Detach();
  h.inbox.clear();
}

}  // namespace cm::clickhouse
