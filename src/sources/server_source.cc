#include "sources/server_source.h"

#include <fmt/format.h>

#include <unordered_set>

#include "chroma/api_client.h"
#include "sinks/server_batch.h"

namespace cm {
namespace {

std::optional<HnswParams> HnswFromConfiguration(const Value& config) {
  if (!config.is_object()) return std::nullopt;
  const Value* h = config.Find("hnsw");
  const Value* spann = config.Find("spann");
  if ((h == nullptr || !h->is_object()) && (spann == nullptr || !spann->is_object())) return std::nullopt;
  HnswParams p;
  const Value& o = h && h->is_object() ? *h : *spann;
  auto num = [&](const char* k) -> std::optional<double> {
    const Value* x = o.Find(k);
    if (x == nullptr) return std::nullopt;
    if (x->kind() == Value::Kind::kInt) return static_cast<double>(x->as_int());
    if (x->kind() == Value::Kind::kDouble) return x->as_double();
    return std::nullopt;
  };
  if (const Value* s = o.Find("space"); s && s->is_string()) {
    if (auto sp = ParseSpace(s->as_string())) p.space = *sp;
  }
  if (h == nullptr || !h->is_object()) return p;  // spann: only the space carries over
  if (auto v = num("max_neighbors")) p.max_neighbors = static_cast<int64_t>(*v);
  if (auto v = num("ef_construction")) p.ef_construction = static_cast<int64_t>(*v);
  if (auto v = num("ef_search")) p.ef_search = static_cast<int64_t>(*v);
  if (auto v = num("resize_factor")) p.resize_factor = *v;
  if (auto v = num("sync_threshold")) p.sync_threshold = static_cast<int64_t>(*v);
  if (auto v = num("batch_size")) p.batch_size = static_cast<int64_t>(*v);
  if (auto v = num("num_threads")) p.num_threads = static_cast<int64_t>(*v);
  return p;
}

const Value* Column(const Value& page, const char* key, size_t rows) {
  const Value* v = page.Find(key);
  if (v == nullptr || !v->is_array() || v->as_array().size() != rows) return nullptr;
  return v;
}

class ServerSourceImpl : public Source {
 public:
  explicit ServerSourceImpl(std::unique_ptr<ApiClient> api) : api_(std::move(api)) {
    // ≤ 0.3.21 stored a second row for a repeated id: there a repeat is data, for the policies.
    ids_unique_ = VersionAtLeast(api_->info().version, 0, 4, 0);
  }

  std::string Describe() const override { return api_->Describe(); }

  Result<std::vector<SourceCollection>> ListCollections() override {
    if (listed_) return out_;
    CM_ASSIGN_OR_RETURN(remote_, api_->ListCollections());
    total_ = 0;
    for (const RemoteCollection& r : remote_) {
      SourceCollection c;
      c.key = r.id.empty() ? r.name : r.id;
      c.name = r.name;
      c.tenant = api_->tenant();
      c.database = api_->database();
      c.metadata = r.metadata;
      c.hnsw = HnswFromConfiguration(r.configuration);
      c.dimension = r.dimension;
      CM_ASSIGN_OR_RETURN(uint64_t n, api_->Count(r));
      c.expected_count = n;
      total_ += n;
      c.location = fmt::format("collection \"{}\" on {}", r.name, api_->http().base_url());
      out_.push_back(c);
    }
    listed_ = true;
    return out_;
  }

  std::optional<uint64_t> TotalRecords() const override {
    if (!listed_) return std::nullopt;
    return total_;
  }

  Status Next(size_t max_rows, std::vector<SourceRecord>* out, bool* done) override {
    if (!listed_) CM_RETURN_IF_ERROR(ListCollections().status());
    *done = false;
    size_t page = std::min<size_t>(std::max<size_t>(1, max_rows), ComputeBatchLimits(api_->info(), 0).max_rows);
    while (current_ < remote_.size()) {
      const RemoteCollection& c = remote_[current_];
      uint64_t expected = *out_[current_].expected_count;
      if (offset_ >= expected && exhausted_) {
        NextCollection();
        continue;
      }
      std::vector<std::string> include{"embeddings", "metadatas", "documents"};
      if (api_->info().has_uris) include.push_back("uris");
      CM_ASSIGN_OR_RETURN(Value v, api_->Get(c, page, offset_, include));
      CM_RETURN_IF_ERROR(Convert(c, v, out));
      size_t got = v.Find("ids")->as_array().size();
      offset_ += got;
      if (got < page) exhausted_ = true;
      if (exhausted_ || offset_ > expected) {
        if (offset_ != expected) {
          return Status::Mismatch(fmt::format(
              "collection \"{}\" on {}: paging returned {} records but its count is {}; was the source written to during "
              "the migration?",
              c.name, api_->http().base_url(), offset_, expected));
        }
        NextCollection();
      }
      return Status::Ok();
    }
    *done = true;
    return Status::Ok();
  }

 private:
  void NextCollection() {
    ++current_;
    offset_ = 0;
    exhausted_ = false;
    seen_.clear();
  }

  Status Convert(const RemoteCollection& c, const Value& v, std::vector<SourceRecord>* out) {
    const Value* ids = v.Find("ids");
    if (ids == nullptr || !ids->is_array()) {
      return Status::RemoteError(fmt::format("collection \"{}\": get answered without \"ids\"", c.name));
    }
    size_t n = ids->as_array().size();
    const Value* embs = Column(v, "embeddings", n);
    const Value* docs = Column(v, "documents", n);
    const Value* metas = Column(v, "metadatas", n);
    const Value* uris = Column(v, "uris", n);
    for (size_t i = 0; i < n; ++i) {
      SourceRecord r;
      r.collection_key = out_[current_].key;
      const Value& id = ids->as_array()[i];
      if (id.is_string()) r.id = id.as_string();
      r.location = fmt::format("collection \"{}\" record {}", c.name, offset_ + i);
      if (r.id && ids_unique_ && !seen_.insert(*r.id).second) {
        return Status::Mismatch(fmt::format("collection \"{}\" on {}: id \"{}\" returned twice while paging ({}); was "
                                            "the source written to during the migration?",
                                            c.name, api_->http().base_url(), *r.id, r.location));
      }
      r.fallback_id = r.id.value_or("");
      if (embs == nullptr || !embs->as_array()[i].is_array()) {
        r.embedding_is_null = true;
      } else {
        for (const Value& x : embs->as_array()[i].as_array()) {
          if (x.kind() == Value::Kind::kInt) r.embedding.push_back(static_cast<double>(x.as_int()));
          else if (x.kind() == Value::Kind::kDouble) r.embedding.push_back(x.as_double());
          else { r.embedding.push_back(std::nan("")); ++r.null_elements; }
        }
      }
      if (docs && docs->as_array()[i].is_string()) r.document = docs->as_array()[i].as_string();
      if (uris && uris->as_array()[i].is_string()) r.uri = uris->as_array()[i].as_string();
      if (metas) r.metadata = metas->as_array()[i];
      out->push_back(std::move(r));
    }
    return Status::Ok();
  }

  std::unique_ptr<ApiClient> api_;
  bool listed_ = false;
  std::vector<RemoteCollection> remote_;
  std::vector<SourceCollection> out_;
  uint64_t total_ = 0;
  size_t current_ = 0;
  uint64_t offset_ = 0;
  bool exhausted_ = false;
  bool ids_unique_ = true;
  std::unordered_set<std::string> seen_;  // ids of the current collection: paging must not repeat one
};

}  // namespace

bool IsHttpUrl(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

Result<std::unique_ptr<Source>> ServerSource::Open(const std::string& url, const EndpointOptions& options) {
  CM_ASSIGN_OR_RETURN(auto api, ApiClient::Connect(url, options));
  return std::unique_ptr<Source>(new ServerSourceImpl(std::move(api)));
}

}  // namespace cm
