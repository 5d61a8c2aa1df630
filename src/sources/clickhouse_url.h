// ClickHouseUrl: where a legacy Chroma 0.3 ClickHouse lives, parsed from
//   clickhouse://[user[:password]@]host[:port][/database][?page_rows=N]
//   clickhouses://…  (TLS; default port 8443 instead of 8123)
// User, password and database are percent-decoded. The password is a secret: Display() and every
// message built from a ClickHouseUrl show the user and "***" instead. An IPv6 host is written in
// brackets ([::1]). page_rows sets the keyset page size (rows per HTTP request).
// Plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"

namespace cm {

inline constexpr uint16_t kClickHouseHttpPort = 8123;
inline constexpr uint16_t kClickHouseHttpsPort = 8443;
inline constexpr uint64_t kClickHouseDefaultPageRows = 5000;
inline constexpr uint64_t kClickHouseMaxPageRows = 1000000;

struct ClickHouseUrl {
  bool tls = false;
  std::string host;  // without brackets
  uint16_t port = kClickHouseHttpPort;
  std::string database = "default";
  bool database_given = false;
  std::optional<std::string> user;
  std::optional<std::string> password;  // a secret
  uint64_t page_rows = kClickHouseDefaultPageRows;

  // "http://host:port" or "https://host:port" (brackets around an IPv6 host).
  std::string HttpBase() const;
  // "clickhouse://user:***@host:port/database": safe for messages and reports.
  std::string Display() const;
  // "host:port"
  std::string HostPort() const;
};

// InvalidArgument names the offending part and what is accepted; never repeats the password.
Result<ClickHouseUrl> ParseClickHouseUrl(const std::string& url);

}  // namespace cm
