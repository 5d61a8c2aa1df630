#include "pipeline/migrate_to_server.h"

namespace cm {

Result<MigrationReport> MigrateToServer(Source&, const std::string&, const EndpointOptions&, const ServerSinkOptions&,
                                        const MigrateOptions&) {
  return Status::Unsupported("a Chroma server as destination is not implemented yet");
}

}  // namespace cm
