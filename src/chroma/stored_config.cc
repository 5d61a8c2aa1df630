#include "chroma/stored_config.h"

#include <fmt/format.h>

#include "chroma/collection_config.h"
#include "formats/json/json_reader.h"

namespace cm {
namespace {

const Value* Path(const Value& root, std::initializer_list<const char*> keys) {
  const Value* v = &root;
  for (const char* k : keys) {
    if (!v->is_object()) return nullptr;
    v = v->Find(k);
    if (v == nullptr) return nullptr;
  }
  return v;
}

bool IntField(const Value& obj, const char* key, int64_t* out) {
  const Value* v = obj.Find(key);
  if (v == nullptr) return false;
  if (v->kind() == Value::Kind::kInt) {
    *out = v->as_int();
    return true;
  }
  return false;
}

Status ApplyHnswObject(const Value& hnsw, const char* m_key, const std::string& column, HnswParams* p) {
  if (!hnsw.is_object()) return Status::Corrupt(fmt::format("{}: the hnsw configuration is not an object", column));
  if (const Value* s = hnsw.Find("space"); s != nullptr && !s->is_null()) {
    auto space = s->is_string() ? ParseSpace(s->as_string()) : std::nullopt;
    if (!space) return Status::Corrupt(fmt::format("{}: space is not \"l2\", \"cosine\" or \"ip\"", column));
    p->space = *space;
  }
  IntField(hnsw, m_key, &p->max_neighbors);
  IntField(hnsw, "ef_construction", &p->ef_construction);
  IntField(hnsw, "ef_search", &p->ef_search);
  int64_t x;
  if (IntField(hnsw, "sync_threshold", &x)) p->sync_threshold = x;
  if (IntField(hnsw, "batch_size", &x)) p->batch_size = x;
  if (IntField(hnsw, "num_threads", &x)) p->num_threads = x;
  if (const Value* r = hnsw.Find("resize_factor"); r != nullptr) {
    if (r->kind() == Value::Kind::kDouble) p->resize_factor = r->as_double();
    if (r->kind() == Value::Kind::kInt) p->resize_factor = static_cast<double>(r->as_int());
  }
  return Status::Ok();
}

bool IsDefault(const HnswParams& p) {
  HnswParams d;
  return p.space == d.space && p.max_neighbors == d.max_neighbors && p.ef_construction == d.ef_construction &&
         p.ef_search == d.ef_search;
}

}  // namespace

Result<StoredConfig> RecoverHnswConfig(const std::optional<std::string>& schema_str,
                                       const std::optional<std::string>& config_json_str,
                                       const Value& segment_metadata) {
  StoredConfig out;
  out.origin = "default";
  bool found = false;
  if (schema_str && !schema_str->empty()) {
    auto parsed = ParseJson(*schema_str);
    if (!parsed.ok()) return parsed.status().WithContext("collections.schema_str");
    const Value* cfg = Path(parsed.value(), {"keys", "#embedding", "float_list", "vector_index", "config"});
    if (cfg == nullptr) cfg = Path(parsed.value(), {"defaults", "float_list", "vector_index", "config"});
    if (cfg != nullptr && cfg->is_object()) {
      if (const Value* s = cfg->Find("space"); s != nullptr && !s->is_null()) {
        auto space = s->is_string() ? ParseSpace(s->as_string()) : std::nullopt;
        if (!space) return Status::Corrupt("collections.schema_str: space is not \"l2\", \"cosine\" or \"ip\"");
        out.params.space = *space;
      }
      if (const Value* h = cfg->Find("hnsw"); h != nullptr && !h->is_null()) {
        CM_RETURN_IF_ERROR(ApplyHnswObject(*h, "max_neighbors", "collections.schema_str", &out.params));
      }
      out.origin = "schema_str";
      found = true;
    }
  }
  if (!found && config_json_str && !config_json_str->empty()) {
    auto parsed = ParseJson(*config_json_str);
    if (!parsed.ok()) return parsed.status().WithContext("collections.config_json_str");
    if (const Value* h = Path(parsed.value(), {"vector_index", "hnsw"}); h != nullptr) {
      CM_RETURN_IF_ERROR(ApplyHnswObject(*h, "max_neighbors", "collections.config_json_str", &out.params));
      out.origin = "config_json_str";
    } else if (const Value* py = Path(parsed.value(), {"hnsw_configuration"}); py != nullptr) {
      CM_RETURN_IF_ERROR(ApplyHnswObject(*py, "M", "collections.config_json_str", &out.params));
      out.origin = "config_json_str";
    }
  }
  if (IsDefault(out.params) && segment_metadata.is_object()) {
    bool any = false;
    for (const auto& [k, v] : segment_metadata.as_object()) any = any || k.rfind("hnsw:", 0) == 0;
    if (any) {
      std::vector<std::string> ignored;
      auto legacy = HnswParamsFromLegacyMetadata(segment_metadata, &ignored);
      if (!legacy.ok()) return legacy.status().WithContext("segment_metadata of the VECTOR segment");
      if (!IsDefault(legacy.value())) {
        out.params = legacy.value();
        out.origin = "segment_metadata";
      }
    }
  }
  return out;
}

}  // namespace cm
