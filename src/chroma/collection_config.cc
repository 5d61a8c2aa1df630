#include "chroma/collection_config.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "formats/json/json_writer.h"

namespace cm {

std::string CollectionConfigJson(const HnswParams& p) {
  std::string out = "{\"vector_index\":{\"hnsw\":{\"space\":\"";
  out += SpaceName(p.space);
  out += fmt::format("\",\"ef_construction\":{},\"ef_search\":{},\"max_neighbors\":{}", p.ef_construction,
                     p.ef_search, p.max_neighbors);
  out += ",\"resize_factor\":";
  AppendJsonDouble(&out, p.resize_factor.value_or(1.2));
  out += fmt::format(",\"sync_threshold\":{}", p.sync_threshold.value_or(1000));
  if (p.batch_size) out += fmt::format(",\"batch_size\":{}", *p.batch_size);
  if (p.num_threads) out += fmt::format(",\"num_threads\":{}", *p.num_threads);
  out += "}},\"embedding_function\":null}";
  return out;
}

namespace {

// A number, or a string holding one (legacy 0.3 validated str(value) against a regex).
bool AsNumber(const Value& v, double* out) {
  switch (v.kind()) {
    case Value::Kind::kInt: *out = static_cast<double>(v.as_int()); return true;
    case Value::Kind::kDouble: *out = v.as_double(); return std::isfinite(*out);
    case Value::Kind::kString: {
      const std::string& s = v.as_string();
      if (s.empty()) return false;
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (end != s.c_str() + s.size() || !std::isfinite(d)) return false;
      *out = d;
      return true;
    }
    default: return false;
  }
}

Status PositiveInt(const std::string& key, const Value& v, int64_t min, int64_t* out) {
  double d;
  if (!AsNumber(v, &d) || d != std::floor(d) || d < static_cast<double>(min) || d > 1e9) {
    std::string shown = v.is_string() ? "\"" + v.as_string() + "\"" : ToJson(v);
    return Status::InvalidArgument(fmt::format(
        "collection metadata {} = {}: expected an integer ≥ {}", key, shown, min));
  }
  *out = static_cast<int64_t>(d);
  return Status::Ok();
}

}  // namespace

Result<HnswParams> HnswParamsFromLegacyMetadata(const Value& metadata, std::vector<std::string>* ignored) {
  HnswParams p;
  if (!metadata.is_object()) return p;
  for (const auto& [key, v] : metadata.as_object()) {
    if (key.rfind("hnsw:", 0) != 0) continue;
    if (key == "hnsw:space") {
      auto space = v.is_string() ? ParseSpace(v.as_string()) : std::nullopt;
      if (!space) {
        return Status::InvalidArgument(fmt::format(
            "collection metadata hnsw:space = {}: expected \"l2\", \"cosine\" or \"ip\"", ToJson(v)));
      }
      p.space = *space;
    } else if (key == "hnsw:M") {
      CM_RETURN_IF_ERROR(PositiveInt(key, v, 2, &p.max_neighbors));
    } else if (key == "hnsw:construction_ef") {
      CM_RETURN_IF_ERROR(PositiveInt(key, v, 1, &p.ef_construction));
    } else if (key == "hnsw:search_ef") {
      CM_RETURN_IF_ERROR(PositiveInt(key, v, 1, &p.ef_search));
    } else if (key == "hnsw:sync_threshold") {
      int64_t x;
      CM_RETURN_IF_ERROR(PositiveInt(key, v, 2, &x));
      p.sync_threshold = x;
    } else if (key == "hnsw:batch_size") {
      int64_t x;
      CM_RETURN_IF_ERROR(PositiveInt(key, v, 2, &x));
      p.batch_size = x;
    } else if (key == "hnsw:num_threads") {
      int64_t x;
      CM_RETURN_IF_ERROR(PositiveInt(key, v, 1, &x));
      p.num_threads = x;
    } else if (key == "hnsw:resize_factor") {
      double d;
      if (!AsNumber(v, &d) || d <= 1.0) {
        return Status::InvalidArgument(fmt::format(
            "collection metadata hnsw:resize_factor = {}: expected a number > 1", ToJson(v)));
      }
      p.resize_factor = d;
    } else if (ignored != nullptr) {
      ignored->push_back(key);
    }
  }
  return p;
}

}  // namespace cm
