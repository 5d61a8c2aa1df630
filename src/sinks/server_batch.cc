#include "sinks/server_batch.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "chroma/record_json.h"
#include "formats/json/json_writer.h"

namespace cm {

BatchLimits ComputeBatchLimits(const ServerInfo& info, size_t user_batch_size) {
  BatchLimits l;
  size_t rows = info.max_batch_size > 0 ? info.max_batch_size : kDefaultBatchRows;
  if (user_batch_size > 0) rows = std::min(rows, user_batch_size);
  if (info.is_cloud) rows = std::min(rows, kCloudBatchRows);
  l.max_rows = std::max<size_t>(1, rows);
  return l;
}

void AppendFloat32Json(std::string* out, float f) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), f);
  *r.ptr = '\0';
  // The shortest float32 text is exact for f32 parsers; make sure a double parser followed by
  // a cast to float32 (numpy) lands on the same value, else write the exact double. (from_chars,
  // not strtod: locale-free, and 12 ns a number instead of 58; servers that take no base64
  // embeddings get every number as text.)
  double d = 0;
  std::from_chars(buf, r.ptr, d);
  if (static_cast<float>(d) != f) {
    r = std::to_chars(buf, buf + sizeof(buf), static_cast<double>(f));
  }
  out->append(buf, r.ptr);
}

std::string Base64Float32(const float* v, size_t n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(n * 4, '\0');
  for (size_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, &v[i], 4);
    for (int k = 0; k < 4; ++k) bytes[i * 4 + k] = static_cast<char>((u >> (8 * k)) & 0xff);  // little-endian
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t j) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[j])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t x = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    out.push_back(kAlphabet[(x >> 18) & 63]);
    out.push_back(kAlphabet[(x >> 12) & 63]);
    out.push_back(kAlphabet[(x >> 6) & 63]);
    out.push_back(kAlphabet[x & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t x = b(i) << 16;
    out.push_back(kAlphabet[(x >> 18) & 63]);
    out.push_back(kAlphabet[(x >> 12) & 63]);
    out += "==";
  } else if (rest == 2) {
    uint32_t x = (b(i) << 16) | (b(i + 1) << 8);
    out.push_back(kAlphabet[(x >> 18) & 63]);
    out.push_back(kAlphabet[(x >> 12) & 63]);
    out.push_back(kAlphabet[(x >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

size_t EstimateRecordBytes(const std::string& id, size_t dim, const std::optional<std::string>& document,
                           const std::optional<std::string>& uri, const Metadata& metadata, bool base64) {
  // JSON escapes can grow a string 6x (\u00XX); count that worst case for text fields.
  size_t n = 16 + id.size() * 6;
  n += base64 ? (dim * 4 + 2) / 3 * 4 + 4 : dim * 26 + 2;
  if (document) n += document->size() * 6 + 2;
  if (uri) n += uri->size() * 6 + 2;
  n += 8;
  for (const auto& e : metadata) {
    n += e.key.size() * 6 + 4;
    if (const auto* s = std::get_if<std::string>(&e.value)) n += s->size() * 6 + 2;
    else n += 26;
  }
  return n;
}

std::string EncodeWriteBody(const RecordBatch& b, bool base64) {
  std::string o;
  o.reserve(b.size() * (b.dim * (base64 ? 6 : 12) + 64) + 64);
  o += "{\"ids\":[";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i) o += ',';
    AppendJsonString(&o, b.ids[i]);
  }
  o += "],\"embeddings\":[";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i) o += ',';
    if (base64) {
      o += '"';
      o += Base64Float32(b.embedding(i), b.dim);
      o += '"';
    } else {
      o += '[';
      const float* v = b.embedding(i);
      for (size_t k = 0; k < b.dim; ++k) {
        if (k) o += ',';
        AppendFloat32Json(&o, v[k]);
      }
      o += ']';
    }
  }
  o += "],\"documents\":[";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i) o += ',';
    if (b.documents[i]) AppendJsonString(&o, *b.documents[i]); else o += "null";
  }
  o += "],\"metadatas\":[";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i) o += ',';
    const Metadata& m = b.metadatas[i];
    if (m.empty()) {
      o += "null";
      continue;
    }
    o += '{';
    for (size_t k = 0; k < m.size(); ++k) {
      if (k) o += ',';
      AppendJsonString(&o, m[k].key);
      o += ':';
      AppendMetadataValueJson(&o, m[k].value);
    }
    o += '}';
  }
  o += ']';
  bool any_uri = std::any_of(b.uris.begin(), b.uris.end(), [](const auto& u) { return u.has_value(); });
  if (any_uri) {
    o += ",\"uris\":[";
    for (size_t i = 0; i < b.size(); ++i) {
      if (i) o += ',';
      if (b.uris[i]) AppendJsonString(&o, *b.uris[i]); else o += "null";
    }
    o += ']';
  }
  o += '}';
  return o;
}

}  // namespace cm
