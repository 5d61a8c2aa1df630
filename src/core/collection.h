// CollectionSpec: everything about a collection except its records.
//
// `hnsw` is the configuration Chroma 1.x keeps in collections.config_json_str (space, M,
// ef_construction, ef_search and the rarely used rest). `metadata` is the user metadata after
// policies, flat and typed. Plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/record.h"

namespace cm {

enum class Space { kL2, kCosine, kIp };

const char* SpaceName(Space s);
std::optional<Space> ParseSpace(std::string_view name);

struct HnswParams {
  Space space = Space::kL2;
  int64_t max_neighbors = 16;     // hnsw:M
  int64_t ef_construction = 100;  // hnsw:construction_ef
  int64_t ef_search = 100;        // hnsw:search_ef
  std::optional<double> resize_factor;
  std::optional<int64_t> sync_threshold;
  std::optional<int64_t> batch_size;
  std::optional<int64_t> num_threads;
  bool operator==(const HnswParams&) const = default;
};

inline constexpr const char* kDefaultTenant = "default_tenant";
inline constexpr const char* kDefaultDatabase = "default_database";

struct CollectionSpec {
  std::string source_key;  // how the source names it (legacy collection uuid, modern id)
  std::string name;        // name in the destination (after --rename)
  std::string tenant = kDefaultTenant;
  std::string database = kDefaultDatabase;
  Metadata metadata;
  HnswParams hnsw;
  std::optional<size_t> dimension;
};

}  // namespace cm
