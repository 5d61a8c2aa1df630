// Turns a SRC argument into a Source: a legacy or modern persist directory (told apart by their
// files), a Chroma server (http/https URL) or a legacy ClickHouse (clickhouse:// URL).
#pragma once

#include <memory>
#include <string>

#include "core/endpoint.h"
#include "sources/source.h"

namespace cm::cli {

enum class DestinationKind { kPersistDir, kServer };

DestinationKind KindOfDestination(const std::string& dst);
Result<std::unique_ptr<Source>> OpenSource(const std::string& src, const EndpointOptions& options);

}  // namespace cm::cli
