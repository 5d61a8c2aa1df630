// ServerSource: any Chroma server over HTTP (0.3 legacy API, v1, v2, Chroma Cloud) as a
// source. Nothing is ever created or changed on it.
#pragma once

#include <memory>
#include <string>

#include "core/endpoint.h"
#include "sources/source.h"

namespace cm {

bool IsHttpUrl(const std::string& s);

class ServerSource : public Source {
 public:
  static Result<std::unique_ptr<Source>> Open(const std::string& url, const EndpointOptions& options);
};

}  // namespace cm
