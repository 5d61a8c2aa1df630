#include "sources/server_source.h"

namespace cm {

bool IsHttpUrl(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

Result<std::unique_ptr<Source>> ServerSource::Open(const std::string&, const EndpointOptions&) {
  return Status::Unsupported("Chroma servers as a source are not implemented yet");
}

}  // namespace cm
