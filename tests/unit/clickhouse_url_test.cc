// clickhouse://[user[:password]@]host[:port][/database][?page_rows=N] parsing, defaults, and that
// no message or display string ever contains the password.
#include <gtest/gtest.h>

#include "sources/clickhouse_source.h"
#include "sources/clickhouse_url.h"

namespace cm {
namespace {

TEST(ClickHouseUrl, Defaults) {
  auto u = ParseClickHouseUrl("clickhouse://localhost");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 8123);
  EXPECT_EQ(u->database, "default");
  EXPECT_FALSE(u->database_given);
  EXPECT_FALSE(u->user);
  EXPECT_FALSE(u->password);
  EXPECT_EQ(u->page_rows, kClickHouseDefaultPageRows);
  EXPECT_EQ(u->HttpBase(), "http://localhost:8123");
  EXPECT_EQ(u->Display(), "clickhouse://localhost:8123/default");
}

TEST(ClickHouseUrl, TlsDefaultsTo8443) {
  auto u = ParseClickHouseUrl("clickhouses://ch.example.com/");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->HttpBase(), "https://ch.example.com:8443");
  EXPECT_EQ(u->database, "default");
}

TEST(ClickHouseUrl, Everything) {
  auto u = ParseClickHouseUrl("clickhouse://chroma:p%40ss%3Aw0rd@127.0.0.1:18123/legacy%5F03?page_rows=97");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(*u->user, "chroma");
  EXPECT_EQ(*u->password, "p@ss:w0rd");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 18123);
  EXPECT_EQ(u->database, "legacy_03");
  EXPECT_TRUE(u->database_given);
  EXPECT_EQ(u->page_rows, 97u);
  EXPECT_EQ(u->Display(), "clickhouse://chroma:***@127.0.0.1:18123/legacy_03");
  EXPECT_EQ(u->Display().find("p@ss"), std::string::npos);
}

TEST(ClickHouseUrl, UserWithoutPasswordAndIpv6) {
  auto u = ParseClickHouseUrl("clickhouse://reader@[::1]:9123/db");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(*u->user, "reader");
  EXPECT_FALSE(u->password);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->HttpBase(), "http://[::1]:9123");
  EXPECT_EQ(u->Display(), "clickhouse://reader@[::1]:9123/db");
}

TEST(ClickHouseUrl, EmptyPasswordIsAPassword) {
  auto u = ParseClickHouseUrl("clickhouse://default:@h");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u->password, "");
}

void ExpectInvalid(const std::string& url, const std::string& message) {
  auto u = ParseClickHouseUrl(url);
  ASSERT_FALSE(u.ok()) << url;
  EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(u.status().message(), message);
}

TEST(ClickHouseUrl, ErrorsNameThePartAndHideThePassword) {
  const std::string form = "; expected clickhouse://[user[:password]@]host[:port][/database] (TLS: clickhouses://)";
  ExpectInvalid("http://h:8123", "http://h:8123: the scheme must be clickhouse:// or clickhouses://" + form);
  ExpectInvalid("clickhouse://u:secret@h:99999/db",
                "clickhouse://u:***@h:99999/db: the port must be a number from 1 to 65535, found \"99999\"" + form);
  ExpectInvalid("clickhouse://u:secret@h:abc", "clickhouse://u:***@h:abc: the port must be a number from 1 to 65535, "
                                               "found \"abc\"" + form);
  ExpectInvalid("clickhouse://u:secret@:8123", "clickhouse://u:***@:8123: the host is missing" + form);
  ExpectInvalid("clickhouse://h/db/extra", "clickhouse://h/db/extra: the path must be a single database name, found "
                                           "\"db/extra\"" + form);
  ExpectInvalid("clickhouse://h/db?limit=5", "clickhouse://h/db?limit=5: unknown option \"limit\" (the only option is "
                                             "page_rows=N)" + form);
  ExpectInvalid("clickhouse://h/db?page_rows=0", "clickhouse://h/db?page_rows=0: page_rows must be a whole number from "
                                                 "1 to 1000000, found \"0\"" + form);
  ExpectInvalid("clickhouse://u:sec%zzret@h", "clickhouse://u:***@h: the password has a malformed %-escape" + form);
  ExpectInvalid("clickhouse://[::1/db", "clickhouse://[::1/db: an IPv6 host opened with [ is not closed with ]" + form);
  ExpectInvalid("clickhouse://:pw@h", "clickhouse://:***@h: the user before '@' is empty" + form);
}

TEST(ClickHouseUrl, Recognised) {
  EXPECT_TRUE(IsClickHouseUrl("clickhouse://h"));
  EXPECT_TRUE(IsClickHouseUrl("clickhouses://h"));
  EXPECT_FALSE(IsClickHouseUrl("http://h"));
  EXPECT_FALSE(IsClickHouseUrl("./clickhouse://"));
}

}  // namespace
}  // namespace cm
