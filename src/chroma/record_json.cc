#include "chroma/record_json.h"

#include "formats/json/json_writer.h"

namespace cm {

Value MetadataToValue(const Metadata& metadata) {
  Value::Object obj;
  for (const auto& e : metadata) {
    Value v = std::visit(
        [](const auto& x) -> Value {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, bool>) return Value::Bool(x);
          else if constexpr (std::is_same_v<T, int64_t>) return Value::Int(x);
          else if constexpr (std::is_same_v<T, double>) return Value::Double(x);
          else return Value::String(x);
        },
        e.value);
    obj.emplace_back(e.key, std::move(v));
  }
  return Value::MakeObject(std::move(obj));
}

void AppendMetadataValueJson(std::string* out, const MetadataValue& v) {
  std::visit(
      [out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) out->append(x ? "true" : "false");
        else if constexpr (std::is_same_v<T, int64_t>) out->append(std::to_string(x));
        else if constexpr (std::is_same_v<T, double>) AppendJsonDouble(out, x);
        else AppendJsonString(out, x);
      },
      v);
}

std::string MetadataJson(const Metadata& metadata, const std::optional<std::string>& document,
                         const std::optional<std::string>& uri) {
  std::string out = "{";
  bool first = true;
  auto key = [&](const std::string& k) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(&out, k);
    out.push_back(':');
  };
  for (const auto& e : metadata) {
    key(e.key);
    AppendMetadataValueJson(&out, e.value);
  }
  if (document) {
    key(kDocumentKey);
    AppendJsonString(&out, *document);
  }
  if (uri) {
    key(kUriKey);
    AppendJsonString(&out, *uri);
  }
  out.push_back('}');
  return out;
}

}  // namespace cm
