#include "sources/clickhouse_source.h"

namespace cm {

bool IsClickHouseUrl(const std::string& s) {
  return s.rfind("clickhouse://", 0) == 0 || s.rfind("clickhouses://", 0) == 0;
}

Result<std::unique_ptr<Source>> ClickHouseSource::Open(const std::string&, const EndpointOptions&) {
  return Status::Unsupported("ClickHouse sources are not implemented yet");
}

}  // namespace cm
