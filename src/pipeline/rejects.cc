#include "pipeline/rejects.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "chroma/record_json.h"
#include "formats/json/json_writer.h"

namespace cm {
namespace {

void Field(std::string* out, const char* key, const std::optional<std::string>& v) {
  out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
  if (v) AppendJsonString(out, *v); else out->append("null");
}

std::string Header(const std::string& collection, const std::string& key, const std::optional<std::string>& id,
                   const std::string& location, const RejectReason& why) {
  std::string out = "{\"collection\":";
  AppendJsonString(&out, collection);
  Field(&out, "collection_key", key);
  Field(&out, "id", id);
  Field(&out, "location", location);
  Field(&out, "reason", why.code);
  Field(&out, "detail", why.detail);
  return out;
}

}  // namespace

RejectsFile::~RejectsFile() {
  (void)Close();
  if (count_ > 0 && !committed_) std::remove(partial_path().c_str());
}

Status RejectsFile::Commit() {
  CM_RETURN_IF_ERROR(Close());
  if (count_ == 0) return Status::Ok();
  if (std::rename(partial_path().c_str(), path_.c_str()) != 0) {
    return Status::IoError(fmt::format("cannot rename {} to {}: {}", partial_path(), path_, std::strerror(errno)));
  }
  committed_ = true;
  return Status::Ok();
}

Status RejectsFile::WriteLine(const std::string& line) {
  if (f_ == nullptr) {
    f_ = std::fopen(partial_path().c_str(), "w");
    if (f_ == nullptr) {
      return Status::IoError(fmt::format("{}: cannot create the rejects file: {}", partial_path(), std::strerror(errno)));
    }
  }
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fputc('\n', f_) == EOF) {
    return Status::IoError(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
  }
  ++count_;
  return Status::Ok();
}

Status RejectsFile::AddSource(const std::string& collection, const SourceRecord& r, const RejectReason& why) {
  std::string out = Header(collection, r.collection_key, r.id, r.location, why);
  out.append(",\"record\":{\"id\":");
  if (r.id) AppendJsonString(&out, *r.id); else out.append("null");
  out.append(",\"uuid\":");
  AppendJsonString(&out, r.fallback_id);
  out.append(",\"embedding\":");
  if (r.embedding_is_null) {
    out.append("null");
  } else {
    out.push_back('[');
    for (size_t i = 0; i < r.embedding.size(); ++i) {
      if (i) out.push_back(',');
      AppendJsonDouble(&out, r.embedding[i]);
    }
    out.push_back(']');
  }
  Field(&out, "document", r.document);
  if (r.uri) Field(&out, "uri", r.uri);
  if (r.metadata_is_text) {
    Field(&out, "metadata_text", r.metadata_text);
  } else {
    out.append(",\"metadata\":");
    AppendJson(&out, r.metadata);
  }
  out.append("}}");
  return WriteLine(out);
}

Status RejectsFile::AddConverted(const std::string& collection, const std::string& collection_key,
                                 const std::string& location, const ConvertedRecord& r, const RejectReason& why) {
  std::string out = Header(collection, collection_key, r.id, location, why);
  out.append(",\"record\":{\"id\":");
  AppendJsonString(&out, r.id);
  out.append(",\"embedding\":[");
  for (size_t i = 0; i < r.embedding.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonDouble(&out, r.embedding[i]);
  }
  out.push_back(']');
  Field(&out, "document", r.document);
  if (r.uri) Field(&out, "uri", r.uri);
  out.append(",\"metadata\":");
  AppendJson(&out, MetadataToValue(r.metadata));
  out.append("}}");
  return WriteLine(out);
}

Status RejectsFile::Close() {
  if (f_ == nullptr) return Status::Ok();
  int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) return Status::IoError(fmt::format("{}: close failed: {}", path_, std::strerror(errno)));
  return Status::Ok();
}

}  // namespace cm
