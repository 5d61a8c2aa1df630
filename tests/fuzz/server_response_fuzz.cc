// Fuzz target: what a Chroma server (or a stored configuration) hands us as JSON. The input is
// parsed as a `get` response ({"ids", "embeddings", "documents", "metadatas"}) and every
// metadata object goes through the policies, as the server source does; the same text is also
// tried as config_json_str and schema_str (stored collection configuration).
#include <cstdint>
#include <string>
#include <string_view>

#include "chroma/stored_config.h"
#include "formats/json/json_reader.h"
#include "pipeline/policies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)cm::RecoverHnswConfig(std::nullopt, text, cm::Value());
  (void)cm::RecoverHnswConfig(text, std::nullopt, cm::Value());
  auto v = cm::ParseJson(text);
  if (!v.ok() || !v->is_object()) return 0;
  cm::PolicyEngine policy({});
  if (const cm::Value* metas = v->Find("metadatas"); metas != nullptr && metas->is_array()) {
    for (const cm::Value& m : metas->as_array()) {
      cm::Metadata out;
      (void)policy.ConvertMetadataValue(m, &out, nullptr);
    }
  }
  if (const cm::Value* embs = v->Find("embeddings"); embs != nullptr && embs->is_array()) {
    for (const cm::Value& e : embs->as_array()) {
      if (!e.is_array()) continue;
      cm::SourceRecord r;
      r.id = "x";
      for (const cm::Value& x : e.as_array()) {
        r.embedding.push_back(x.kind() == cm::Value::Kind::kDouble ? x.as_double()
                              : x.kind() == cm::Value::Kind::kInt ? static_cast<double>(x.as_int()) : 0.0);
      }
      cm::ConvertedRecord out;
      (void)policy.ConvertRecord(r, &out, nullptr);
    }
  }
  return 0;
}
