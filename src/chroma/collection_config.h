// Chroma 1.x collection configuration (collections.config_json_str) and the legacy `hnsw:*`
// metadata keys it replaces.
//
// The JSON is the serde form of InternalCollectionConfiguration as the 1.0.19 server writes it;
// the `hnsw` object has deny_unknown_fields, so only known keys are ever written.
// Stateless and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/collection.h"
#include "core/status.h"
#include "core/value.h"

namespace cm {

std::string CollectionConfigJson(const HnswParams& p);

// Reads hnsw:space, hnsw:M, hnsw:construction_ef, hnsw:search_ef, hnsw:resize_factor,
// hnsw:sync_threshold, hnsw:batch_size and hnsw:num_threads from legacy collection metadata
// (numbers or numeric strings such as "32", as 0.3 accepted both). Unknown hnsw:* keys are
// listed in `ignored`. InvalidArgument names the key and value that cannot be used.
Result<HnswParams> HnswParamsFromLegacyMetadata(const Value& metadata, std::vector<std::string>* ignored);

}  // namespace cm
