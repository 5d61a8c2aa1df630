// MigrateToServer: source → policies → a running Chroma server over HTTP (any generation),
// streaming in batches with bounded memory, retries and resume (issue "servers as destination").
#pragma once

#include <string>

#include "core/endpoint.h"
#include "pipeline/migrate.h"
#include "sources/source.h"

namespace cm {

Result<MigrationReport> MigrateToServer(Source& source, const std::string& url, const EndpointOptions& endpoint,
                                        const ServerSinkOptions& sink, const MigrateOptions& options);

}  // namespace cm
