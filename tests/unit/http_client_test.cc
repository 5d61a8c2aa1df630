// HttpClient pieces that need no network: URL parsing, redaction, backoff and Retry-After.
#include "io/http_client.h"

#include <gtest/gtest.h>

namespace cm {
namespace {

TEST(HttpUrl, ParsesSchemeHostPortAndPath) {
  auto u = ParseHttpUrl("http://127.0.0.1:8000");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->path, "");
  EXPECT_EQ(u->Base(), "http://127.0.0.1:8000");
  auto h = ParseHttpUrl("HTTPS://api.trychroma.com/prefix/");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->port, 443);
  EXPECT_EQ(h->path, "/prefix");
  auto v6 = ParseHttpUrl("http://[::1]:9000/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->Base(), "http://[::1]:9000/x");
}

TEST(HttpUrl, UserInfoIsKeptApartAndNeverInBase) {
  auto u = ParseHttpUrl("http://admin:s3cr3t-pw@localhost:8000");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u->user, "admin");
  EXPECT_EQ(*u->password, "s3cr3t-pw");
  EXPECT_EQ(u->Base(), "http://localhost:8000");
  EXPECT_EQ(RedactUrl("http://admin:s3cr3t-pw@localhost:8000/a@b"), "http://localhost:8000/a@b");
  EXPECT_EQ(RedactUrl("http://localhost:8000"), "http://localhost:8000");
}

TEST(HttpUrl, RejectsBadUrlsWithoutShowingThePassword) {
  auto a = ParseHttpUrl("ftp://host");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message(), "ftp://host: the scheme must be http or https");
  auto b = ParseHttpUrl("http://u:hunter22@host:99999");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "http://host:99999: the port must be a number from 1 to 65535");
  EXPECT_EQ(b.status().message().find("hunter22"), std::string::npos);
  EXPECT_FALSE(ParseHttpUrl("http://:80").ok());
  EXPECT_FALSE(ParseHttpUrl("localhost:8000").ok());
  EXPECT_FALSE(ParseHttpUrl("http://h/x?y=1").ok());
}

TEST(HttpUrl, EscapesPathSegments) {
  EXPECT_EQ(UrlEscape("my coll/ü"), "my%20coll%2F%C3%BC");
  EXPECT_EQ(UrlEscape("a-b_c.d~e"), "a-b_c.d~e");
}

TEST(HttpRedaction, ReplacesEverySecretLongestFirst) {
  Redactor r;
  r.Add("Bearer tok-123456");
  r.Add("tok-123456");
  r.Add("ab");  // too short to be redacted safely
  EXPECT_EQ(r.Apply("Authorization: Bearer tok-123456 and again tok-123456"), "Authorization: *** and again ***");
  EXPECT_EQ(r.Apply("about"), "about");
}

TEST(HttpRedaction, ClientMessagesNeverHoldSecrets) {
  HttpOptions o;
  o.headers = {{"X-Chroma-Token", "very-secret-token"}, {"Authorization", "Bearer bearer-secret"}};
  o.basic_auth = "user:basic-secret";
  o.max_retries = 0;
  o.timeout_seconds = 2;
  auto c = HttpClient::Create("http://someone:url-secret@127.0.0.1:1", o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->base_url(), "http://127.0.0.1:1");
  EXPECT_EQ((*c)->Redact("very-secret-token bearer-secret basic-secret url-secret"), "*** *** *** ***");
  auto names = (*c)->HeaderNames();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], "X-Chroma-Token");
  // Port 1 on loopback refuses: the error names the URL, not the secrets.
  auto r = (*c)->Request("GET", "/api/v2/heartbeat", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNetworkError);
  EXPECT_NE(r.status().message().find("GET http://127.0.0.1:1/api/v2/heartbeat"), std::string::npos) << r.status().message();
  for (const char* s : {"very-secret-token", "bearer-secret", "basic-secret", "url-secret"}) {
    EXPECT_EQ(r.status().message().find(s), std::string::npos) << s;
  }
}

TEST(HttpBackoff, GrowsExponentiallyWithJitterAndCap) {
  RetryPolicy p;
  p.base_seconds = 0.5;
  p.max_seconds = 8;
  EXPECT_DOUBLE_EQ(BackoffSeconds(p, 0, std::nullopt, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(BackoffSeconds(p, 0, std::nullopt, 0.0), 0.25);
  EXPECT_DOUBLE_EQ(BackoffSeconds(p, 3, std::nullopt, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(p, 10, std::nullopt, 1.0), 8.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(p, 100, std::nullopt, 0.0), 4.0);
}

TEST(HttpBackoff, RetryAfterWinsAndIsCapped) {
  RetryPolicy p;
  EXPECT_DOUBLE_EQ(BackoffSeconds(p, 5, 2.0, 0.3), 2.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(p, 0, 0.0, 0.3), 0.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(p, 0, 3600.0, 0.3), 60.0);
}

TEST(HttpBackoff, RetryableStatuses) {
  for (long s : {429L, 502L, 503L, 504L}) EXPECT_TRUE(IsRetryableStatus(s)) << s;
  for (long s : {200L, 201L, 400L, 401L, 404L, 409L, 413L, 422L, 500L}) EXPECT_FALSE(IsRetryableStatus(s)) << s;
}

TEST(HttpBackoff, ParsesRetryAfterSecondsAndDates) {
  EXPECT_EQ(ParseRetryAfter("3", 0), 3.0);
  EXPECT_EQ(ParseRetryAfter(" 0 ", 0), 0.0);
  std::time_t now = 1700000000;  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:25 GMT", now), 5.0);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:00 GMT", now), 0.0);
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("", now).has_value());
}

}  // namespace
}  // namespace cm
