// ClickHouseSource: the collections and embeddings tables of a Chroma 0.3 server's ClickHouse
// (legacy-formats.md §3), read over ClickHouse's HTTP interface.
// URL: clickhouse://[user[:password]@]host[:port][/database], TLS with clickhouses://.
#pragma once

#include <memory>
#include <string>

#include "core/endpoint.h"
#include "sources/source.h"

namespace cm {

bool IsClickHouseUrl(const std::string& s);

class ClickHouseSource : public Source {
 public:
  static Result<std::unique_ptr<Source>> Open(const std::string& url, const EndpointOptions& options);
};

}  // namespace cm
