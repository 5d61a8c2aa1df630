#include "pipeline/policies.h"

#include <fmt/format.h>

#include <cfloat>
#include <cmath>

#include "chroma/collection_config.h"
#include "chroma/record_json.h"
#include "core/narrow_to_float.h"
#include "formats/json/json_reader.h"
#include "formats/json/json_writer.h"

namespace cm {
namespace {

void Count(ChangeCounts* c, const char* code) {
  if (c != nullptr) ++(*c)[code];
}

bool IsIpv4(const std::string& s) {
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('.', i);
    if (j == std::string::npos) j = s.size();
    std::string part = s.substr(i, j - i);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) if (c < '0' || c > '9') return false;
    if (std::stoi(part) > 255) return false;
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

bool AlnumAscii(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

std::optional<std::string> CollectionNameProblem(const std::string& name) {
  if (name.size() < 3 || name.size() > 512) {
    return fmt::format("it has {} characters; Chroma 1.x needs 3 to 512", name.size());
  }
  for (char c : name) {
    if (!(AlnumAscii(c) || c == '.' || c == '_' || c == '-')) {
      return fmt::format("it contains '{}'; Chroma 1.x allows only letters, digits, '.', '_' and '-'", c);
    }
  }
  if (!AlnumAscii(name.front()) || !AlnumAscii(name.back())) {
    return std::string("Chroma 1.x needs it to start and end with a letter or digit");
  }
  if (name.find("..") != std::string::npos) return std::string("it contains two consecutive periods");
  if (IsIpv4(name)) return std::string("it is an IPv4 address");
  return std::nullopt;
}

Result<CollectionSpec> PolicyEngine::ConvertCollection(const SourceCollection& c, ChangeCounts* changes) const {
  CollectionSpec spec;
  spec.source_key = c.key;
  spec.tenant = c.tenant;
  spec.database = c.database;
  spec.dimension = c.dimension;
  spec.name = c.name;
  if (auto it = options_.renames.find(c.name); it != options_.renames.end()) {
    spec.name = it->second;
  } else if (auto it2 = options_.renames.find(c.key); it2 != options_.renames.end()) {
    spec.name = it2->second;
  }
  if (auto problem = CollectionNameProblem(spec.name)) {
    return Status::InvalidArgument(fmt::format(
        "collection \"{}\" ({}): Chroma 1.x would refuse this name because {}; choose another with "
        "--rename '{}=new_name'",
        spec.name, c.location.empty() ? c.key : c.location, *problem, c.name.empty() ? c.key : c.name));
  }
  // Metadata: legacy text (decoded once, for the metadata and the hnsw:* keys) or modern value.
  Value raw = c.metadata;
  std::optional<RejectReason> bad;
  if (c.metadata_text) bad = DecodeMetadataText(c.metadata_text, &raw, changes);
  if (!bad) bad = ConvertMetadataValue(raw, &spec.metadata, changes);
  if (bad) {
    return Status::InvalidArgument(fmt::format("collection \"{}\" metadata: {} ({})", c.name, bad->detail, bad->code));
  }
  if (c.hnsw) {
    spec.hnsw = *c.hnsw;
  } else {
    std::vector<std::string> ignored;
    auto params = HnswParamsFromLegacyMetadata(raw, &ignored);
    if (!params.ok()) return params.status().WithContext(fmt::format("collection \"{}\"", c.name));
    spec.hnsw = params.value();
    for (size_t i = 0; i < ignored.size(); ++i) Count(changes, "collection.unknown_hnsw_key_ignored");
    // Chroma 0.3 accepted "32" as well as 32; Chroma 1.x validates hnsw:* metadata as numbers, so
    // the kept keys take the typed values the configuration was built from.
    for (auto& e : spec.metadata) {
      auto* text = std::get_if<std::string>(&e.value);
      if (text == nullptr) continue;
      const HnswParams& h = spec.hnsw;
      bool changed = true;
      if (e.key == "hnsw:M") e.value = h.max_neighbors;
      else if (e.key == "hnsw:construction_ef") e.value = h.ef_construction;
      else if (e.key == "hnsw:search_ef") e.value = h.ef_search;
      else if (e.key == "hnsw:sync_threshold" && h.sync_threshold) e.value = *h.sync_threshold;
      else if (e.key == "hnsw:batch_size" && h.batch_size) e.value = *h.batch_size;
      else if (e.key == "hnsw:num_threads" && h.num_threads) e.value = *h.num_threads;
      else if (e.key == "hnsw:resize_factor" && h.resize_factor) e.value = *h.resize_factor;
      else changed = false;
      if (changed) Count(changes, "collection.hnsw_param_text_to_number");
    }
  }
  return spec;
}

std::optional<RejectReason> PolicyEngine::DecodeMetadataText(const std::optional<std::string>& text, Value* out,
                                                             ChangeCounts* changes) const {
  *out = Value();
  if (!text) return std::nullopt;  // SQL NULL: no metadata
  auto parsed = ParseJson(*text);
  if (!parsed.ok()) {
    return RejectReason{"metadata.invalid_json", parsed.status().message()};
  }
  Value v = std::move(parsed).value();
  if (v.is_null()) {
    Count(changes, "metadata.null_text_to_none");
    return std::nullopt;
  }
  if (v.is_string()) {
    auto inner = ParseJson(v.as_string());
    if (inner.ok() && (inner.value().is_object() || inner.value().is_null())) {
      Count(changes, "metadata.double_encoded_decoded");
      v = std::move(inner).value();
    }
  }
  *out = std::move(v);
  return std::nullopt;
}

std::optional<RejectReason> PolicyEngine::ConvertMetadataText(const std::optional<std::string>& text, Metadata* out,
                                                              ChangeCounts* changes) const {
  out->clear();
  Value v;
  if (auto bad = DecodeMetadataText(text, &v, changes)) return bad;
  return ConvertMetadataValue(v, out, changes);
}

std::optional<RejectReason> PolicyEngine::ConvertMetadataValue(const Value& v, Metadata* out,
                                                               ChangeCounts* changes) const {
  out->clear();
  if (v.is_null()) return std::nullopt;
  if (!v.is_object()) {
    return RejectReason{"metadata.not_object",
                        fmt::format("metadata is {} rather than an object", ToJson(v).substr(0, 200))};
  }
  if (v.as_object().empty()) {
    Count(changes, "metadata.empty_object_to_none");
    return std::nullopt;
  }
  for (const auto& [key, value] : v.as_object()) {
    if (key == kDocumentKey || key == kUriKey) {
      return RejectReason{"metadata.reserved_key",
                          fmt::format("metadata key \"{}\" is reserved by Chroma for the document/URI", key)};
    }
    if (auto bad = ConvertEntry(key, value, out, changes)) return bad;
  }
  if (out->empty()) Count(changes, "metadata.all_keys_dropped_to_none");
  return std::nullopt;
}

std::optional<RejectReason> PolicyEngine::ConvertEntry(const std::string& key, const Value& v, Metadata* out,
                                                       ChangeCounts* changes) const {
  switch (v.kind()) {
    case Value::Kind::kNull:
      Count(changes, "metadata.null_value_dropped");
      return std::nullopt;
    case Value::Kind::kBool: out->push_back({key, v.as_bool()}); return std::nullopt;
    case Value::Kind::kInt: out->push_back({key, v.as_int()}); return std::nullopt;
    case Value::Kind::kString: out->push_back({key, v.as_string()}); return std::nullopt;
    case Value::Kind::kBigInt:
      Count(changes, "metadata.big_int_to_string");
      out->push_back({key, v.as_string()});
      return std::nullopt;
    case Value::Kind::kDouble:
      if (!std::isfinite(v.as_double())) {
        Count(changes, "metadata.non_finite_dropped");
        return std::nullopt;
      }
      out->push_back({key, v.as_double()});
      return std::nullopt;
    case Value::Kind::kArray:
    case Value::Kind::kObject:
      switch (options_.nested) {
        case NestedPolicy::kJson:
          Count(changes, "metadata.nested_to_json");
          out->push_back({key, ToJson(v)});
          return std::nullopt;
        case NestedPolicy::kDrop:
          Count(changes, "metadata.nested_dropped");
          return std::nullopt;
        case NestedPolicy::kFail:
          return RejectReason{"metadata.nested",
                              fmt::format("metadata key \"{}\" holds a nested value {} (--nested fail)", key,
                                          ToJson(v).substr(0, 200))};
        case NestedPolicy::kFlatten:
          Count(changes, "metadata.nested_flattened");
          return Flatten(key, v, out, changes);
      }
  }
  return std::nullopt;
}

std::optional<RejectReason> PolicyEngine::Flatten(const std::string& prefix, const Value& v, Metadata* out,
                                                  ChangeCounts* changes) const {
  if (v.is_object()) {
    if (v.as_object().empty()) Count(changes, "metadata.empty_nested_dropped");
    for (const auto& [k, child] : v.as_object()) {
      if (auto bad = Flatten(prefix + "." + k, child, out, changes)) return bad;
    }
    return std::nullopt;
  }
  if (v.is_array()) {
    if (v.as_array().empty()) Count(changes, "metadata.empty_nested_dropped");
    for (size_t i = 0; i < v.as_array().size(); ++i) {
      if (auto bad = Flatten(prefix + "." + std::to_string(i), v.as_array()[i], out, changes)) return bad;
    }
    return std::nullopt;
  }
  return ConvertEntry(prefix, v, out, changes);
}

std::optional<RejectReason> PolicyEngine::ConvertRecord(const SourceRecord& in, ConvertedRecord* out,
                                                        ChangeCounts* changes) const {
  out->source_row = in.fallback_id;
  // Id.
  if (in.id) {
    out->id = *in.id;
  } else if (options_.null_ids == NullIdPolicy::kUuid && !in.fallback_id.empty()) {
    out->id = in.fallback_id;
    Count(changes, "id.null_replaced_by_uuid");
  } else {
    return RejectReason{"id.null", options_.null_ids == NullIdPolicy::kReject
                                       ? "the id is NULL (--null-ids reject)"
                                       : "the id is NULL and the row has no uuid to use instead"};
  }
  // Embedding.
  if (in.embedding_is_null) return RejectReason{"embedding.null", "the embedding is NULL"};
  if (in.embedding.empty()) return RejectReason{"embedding.empty", "the embedding is an empty list"};
  if (in.null_elements > 0) {
    return RejectReason{"embedding.null_element",
                        fmt::format("{} of {} embedding values are NULL", in.null_elements, in.embedding.size())};
  }
  // One pass converts and checks; only a bad vector is walked again to name its first bad value.
  const size_t dim = in.embedding.size();
  out->embedding.resize(dim);
  const double* src = in.embedding.data();
  if (!NarrowToFloat(src, dim, out->embedding.data())) {
    for (size_t i = 0; i < dim; ++i) {
      double d = src[i];
      if (!std::isfinite(d)) {
        return RejectReason{"embedding.non_finite", fmt::format("embedding value {} is {}", i, std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))};
      }
      if (std::fabs(d) > static_cast<double>(FLT_MAX)) {
        return RejectReason{"embedding.out_of_float32_range",
                            fmt::format("embedding value {} = {} does not fit in float32", i, d)};
      }
    }
  }
  // Metadata.
  std::optional<RejectReason> bad = in.metadata_is_text ? ConvertMetadataText(in.metadata_text, &out->metadata, changes)
                                                        : ConvertMetadataValue(in.metadata, &out->metadata, changes);
  if (bad) return bad;
  out->document = in.document;
  out->uri = in.uri;
  return std::nullopt;
}

}  // namespace cm
