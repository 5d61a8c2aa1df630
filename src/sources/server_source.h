// ServerSource: any Chroma server over HTTP (0.3 legacy API addressed by name, v1 with or
// without tenants, v2 on Python and Rust, Chroma Cloud) as a source. Nothing is ever created
// or changed on it: only heartbeat/version/pre-flight/identity, list, count and get are used.
//
// Collections are listed with their metadata, the HNSW configuration from configuration_json
// (Rust 1.0.6+; otherwise the hnsw:* metadata decides), the dimension and the record count.
// Records are paged with `get` limit/offset in the server's stable order (http-api.md §4.4;
// 0.3 servers get "sort"); each collection's total is checked against its count, so a page that
// skipped or repeated rows (a source written during the migration) is an error, not a silent
// loss. Embeddings come back as JSON numbers, metadata values keep int vs float.
// One thread.
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
