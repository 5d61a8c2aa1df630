#include "pipeline/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "chroma/record_json.h"
#include "formats/json/json_writer.h"
#include "pipeline/collection_buffer.h"

namespace cm {
namespace {

std::string Show(const Metadata& m) { return m.empty() ? "null" : ToJson(MetadataToValue(m)); }

bool SameValue(const MetadataValue& a, const MetadataValue& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<double>(&a)) return *x == std::get<double>(b);
  return a == b;
}

bool SameMetadata(const Metadata& a, const Metadata& b) {
  if (a.size() != b.size()) return false;
  for (const auto& e : a) {
    const MetadataValue* other = FindMetadata(b, e.key);
    if (other == nullptr || !SameValue(e.value, *other)) return false;
  }
  return true;
}

// How far `got` may be from `want`: float32 rounding for l2/ip; cosine vectors come back as
// unit vector × length, a few ulps of the norm off.
bool CloseEnough(Space space, const std::vector<double>& got, const float* want, size_t dim, double* worst) {
  if (got.size() != dim) return false;
  double norm = 0;
  for (size_t j = 0; j < dim; ++j) norm += static_cast<double>(want[j]) * want[j];
  norm = std::sqrt(norm);
  *worst = 0;
  for (size_t j = 0; j < dim; ++j) {
    double diff = std::fabs(got[j] - static_cast<double>(want[j]));
    *worst = std::max(*worst, diff);
    double allowed = space == Space::kCosine ? 4 * FLT_EPSILON * std::max(norm, 1e-30) + 1e-30
                                             : std::fabs(static_cast<double>(want[j])) * FLT_EPSILON / 2;
    if (diff > allowed) return false;
  }
  return true;
}

float Distance(Space space, const float* a, const float* b, size_t dim) {
  double acc = 0, na = 0, nb = 0;
  for (size_t j = 0; j < dim; ++j) {
    if (space == Space::kL2) {
      double d = static_cast<double>(a[j]) - b[j];
      acc += d * d;
    } else {
      acc += static_cast<double>(a[j]) * b[j];
      na += static_cast<double>(a[j]) * a[j];
      nb += static_cast<double>(b[j]) * b[j];
    }
  }
  if (space == Space::kL2) return static_cast<float>(acc);
  if (space == Space::kIp) return static_cast<float>(1 - acc);
  return static_cast<float>(1 - acc / (std::sqrt(na * nb) + 1e-30));
}

class Checker {
 public:
  Checker(VerifyReport* r, size_t max_listed) : r_(r), max_listed_(max_listed) {}
  void Add(const std::string& collection, const std::string& id, const std::string& kind, std::string detail) {
    ++r_->differences;
    ++r_->kinds[kind];
    if (r_->listed.size() < max_listed_) r_->listed.push_back({collection, id, kind, std::move(detail)});
  }

 private:
  VerifyReport* r_;
  size_t max_listed_;
};

}  // namespace

Result<VerifyReport> Verify(Source& source, Source& destination, Searcher* searcher, const VerifyOptions& options) {
  VerifyReport report;
  Checker diff(&report, options.max_listed);
  PolicyEngine policy(options.policies);
  PolicyEngine plain({});

  // Expected: the source through the policies.
  CM_ASSIGN_OR_RETURN(auto src_collections, source.ListCollections());
  std::map<std::string, std::unique_ptr<CollectionBuffer>> expected;  // by source key
  std::map<std::string, std::string> key_of_name;                     // "tenant/db/name" -> source key
  for (const auto& c : src_collections) {
    if (!options.selection.Selected(c.name, c.key)) continue;
    CM_ASSIGN_OR_RETURN(CollectionSpec spec, policy.ConvertCollection(c, nullptr));
    if (options.dest_tenant) spec.tenant = *options.dest_tenant;
    if (options.dest_database) spec.database = *options.dest_database;
    key_of_name[spec.tenant + "/" + spec.database + "/" + spec.name] = c.key;
    expected[c.key] = std::make_unique<CollectionBuffer>(std::move(spec), options.policies.duplicates);
  }
  std::vector<SourceRecord> batch;
  bool done = false;
  while (!done) {
    batch.clear();
    CM_RETURN_IF_ERROR(source.Next(options.batch_rows, &batch, &done));
    for (const SourceRecord& r : batch) {
      auto it = expected.find(r.collection_key);
      if (it == expected.end()) continue;
      ConvertedRecord conv;
      if (policy.ConvertRecord(r, &conv, nullptr)) continue;  // rejected: not expected at the destination
      std::optional<ConvertedRecord> displaced;
      std::string loc;
      std::optional<RejectReason> why;
      ChangeCounts ignored;
      CM_RETURN_IF_ERROR(it->second->Add(std::move(conv), r.location, &displaced, &loc, &why, &ignored));
    }
  }

  // Found: the destination, matched by tenant/database/name.
  CM_ASSIGN_OR_RETURN(auto dst_collections, destination.ListCollections());
  std::map<std::string, std::string> src_key_of_dst;  // destination key -> source key
  std::map<std::string, CollectionCheck> checks;      // by source key
  for (const auto& [name, key] : key_of_name) checks[key].name = expected[key]->spec().name;
  for (const auto& d : dst_collections) {
    auto it = key_of_name.find(d.tenant + "/" + d.database + "/" + d.name);
    if (it == key_of_name.end()) continue;
    src_key_of_dst[d.key] = it->second;
    const CollectionSpec& want = expected[it->second]->spec();
    if (d.hnsw) {
      if (d.hnsw->space != want.hnsw.space) {
        diff.Add(want.name, "", "space", fmt::format("space is {} but the source's is {}", SpaceName(d.hnsw->space), SpaceName(want.hnsw.space)));
      }
      if (d.hnsw->max_neighbors != want.hnsw.max_neighbors || d.hnsw->ef_construction != want.hnsw.ef_construction ||
          d.hnsw->ef_search != want.hnsw.ef_search) {
        diff.Add(want.name, "", "hnsw_params",
                 fmt::format("M/ef_construction/ef_search are {}/{}/{}, expected {}/{}/{}", d.hnsw->max_neighbors,
                             d.hnsw->ef_construction, d.hnsw->ef_search, want.hnsw.max_neighbors,
                             want.hnsw.ef_construction, want.hnsw.ef_search));
      }
    }
    Metadata meta;
    if (d.metadata_text) {
      (void)plain.ConvertMetadataText(d.metadata_text, &meta, nullptr);
    } else {
      (void)plain.ConvertMetadataValue(d.metadata, &meta, nullptr);
    }
    if (!SameMetadata(meta, want.metadata)) {
      diff.Add(want.name, "", "collection_metadata", fmt::format("{} instead of {}", Show(meta), Show(want.metadata)));
    }
  }
  for (const auto& [name, key] : key_of_name) {
    bool present = false;
    for (const auto& [dk, sk] : src_key_of_dst) present = present || sk == key;
    if (!present) diff.Add(expected[key]->spec().name, "", "missing_collection", "the destination has no collection of this name");
  }

  std::map<std::string, std::vector<bool>> seen;
  for (const auto& [key, buf] : expected) seen[key].assign(buf->records().size(), false);
  done = false;
  while (!done) {
    batch.clear();
    CM_RETURN_IF_ERROR(destination.Next(options.batch_rows, &batch, &done));
    for (const SourceRecord& r : batch) {
      auto k = src_key_of_dst.find(r.collection_key);
      if (k == src_key_of_dst.end()) continue;
      CollectionBuffer& buf = *expected[k->second];
      CollectionCheck& check = checks[k->second];
      const std::string& name = buf.spec().name;
      ++check.found;
      std::string id = r.id.value_or("");
      long row = buf.Find(id);
      if (row < 0) {
        diff.Add(name, id, "extra", "a record the source does not have (after policies)");
        continue;
      }
      if (seen[k->second][static_cast<size_t>(row)]) {
        diff.Add(name, id, "duplicate", "the destination returned this id twice");
        continue;
      }
      seen[k->second][static_cast<size_t>(row)] = true;
      const RecordBatch& rec = buf.records();
      size_t i = static_cast<size_t>(row);
      bool ok = true;
      if (r.document != rec.documents[i]) {
        ok = false;
        diff.Add(name, id, "document", fmt::format("{} instead of {}", r.document ? "\"" + r.document->substr(0, 80) + "\"" : "null",
                                                   rec.documents[i] ? "\"" + rec.documents[i]->substr(0, 80) + "\"" : "null"));
      }
      if (r.uri != rec.uris[i]) {
        ok = false;
        diff.Add(name, id, "uri", "the URI differs");
      }
      Metadata meta;
      if (r.metadata_is_text) (void)plain.ConvertMetadataText(r.metadata_text, &meta, nullptr);
      else (void)plain.ConvertMetadataValue(r.metadata, &meta, nullptr);
      if (!SameMetadata(meta, rec.metadatas[i])) {
        ok = false;
        diff.Add(name, id, "metadata", fmt::format("{} instead of {}", Show(meta).substr(0, 200), Show(rec.metadatas[i]).substr(0, 200)));
      }
      double worst = 0;
      if (!CloseEnough(buf.spec().hnsw.space, r.embedding, rec.embedding(i), rec.dim, &worst)) {
        ok = false;
        diff.Add(name, id, "embedding",
                 r.embedding.size() != rec.dim ? fmt::format("{} values instead of {}", r.embedding.size(), rec.dim)
                                               : fmt::format("differs by up to {:.3g}", worst));
      }
      if (ok) ++check.matched;
    }
  }
  for (auto& [key, buf] : expected) {
    CollectionCheck& check = checks[key];
    check.expected = buf->records().size();
    const auto& s = seen[key];
    for (size_t i = 0; i < s.size(); ++i) {
      if (!s[i]) diff.Add(buf->spec().name, buf->records().ids[i], "missing", "the destination does not have this record");
    }
  }

  // Query parity on a sample: recall@10 of the destination's own index vs exact search.
  if (searcher != nullptr && options.recall_queries > 0) {
    for (auto& [key, buf] : expected) {
      const RecordBatch& rec = buf->records();
      if (rec.size() == 0) continue;
      size_t k = std::min<size_t>(10, rec.size());
      size_t q = std::min(options.recall_queries, rec.size());
      std::vector<std::vector<float>> queries;
      for (size_t i = 0; i < q; ++i) {
        size_t row = (i * 7919) % rec.size();
        queries.emplace_back(rec.embedding(row), rec.embedding(row) + rec.dim);
      }
      auto got = searcher->Query(buf->spec(), queries, k);
      if (!got.ok() && got.status().code() == StatusCode::kUnsupported) continue;  // nothing to query
      if (!got.ok()) {
        diff.Add(buf->spec().name, "", "query", got.status().message());
        continue;
      }
      size_t hits = 0;
      std::vector<float> dist(rec.size());
      for (size_t qi = 0; qi < queries.size(); ++qi) {
        for (size_t r = 0; r < rec.size(); ++r) dist[r] = Distance(buf->spec().hnsw.space, queries[qi].data(), rec.embedding(r), rec.dim);
        std::vector<float> sorted = dist;
        std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(k - 1), sorted.end());
        float kth = sorted[k - 1];
        for (const std::string& id : got.value()[qi]) {
          long row = buf->Find(id);
          if (row >= 0 && dist[static_cast<size_t>(row)] <= kth + 1e-5f * (std::fabs(kth) + 1)) ++hits;
        }
      }
      double recall = static_cast<double>(hits) / static_cast<double>(queries.size() * k);
      checks[key].recall = recall;
      if (recall < options.min_recall) {
        diff.Add(buf->spec().name, "", "recall", fmt::format("recall@{} is {:.3f}, below {:.2f}", k, recall, options.min_recall));
      }
    }
  }
  for (auto& [key, c] : checks) report.collections.push_back(c);
  return report;
}

std::string VerifyText(const VerifyReport& r) {
  std::string o;
  for (const auto& c : r.collections) {
    o += fmt::format("  {:<32} {:>8} expected {:>8} found {:>8} identical", c.name, c.expected, c.found, c.matched);
    if (c.recall) o += fmt::format("  recall@10 {:.3f}", *c.recall);
    o += "\n";
  }
  if (r.ok()) return o + "Verified: the destination holds exactly the source's records.\n";
  o += fmt::format("{} differences:", r.differences);
  for (const auto& [k, n] : r.kinds) o += fmt::format(" {} {};", n, k);
  o += "\n";
  for (const auto& d : r.listed) {
    o += fmt::format("  {} {}{}: {}\n", d.kind, d.collection, d.id.empty() ? "" : " id \"" + d.id + "\"", d.detail);
  }
  if (r.listed.size() < r.differences) o += fmt::format("  ... and {} more\n", r.differences - r.listed.size());
  return o;
}

std::string VerifyJson(const VerifyReport& r) {
  std::string o = fmt::format("{{\"ok\":{},\"differences\":{},\"kinds\":{{", r.ok() ? "true" : "false", r.differences);
  bool first = true;
  for (const auto& [k, n] : r.kinds) {
    o += fmt::format("{}\"{}\":{}", first ? "" : ",", k, n);
    first = false;
  }
  o += "},\"listed\":[";
  for (size_t i = 0; i < r.listed.size(); ++i) {
    const auto& d = r.listed[i];
    o += i ? ",{\"collection\":" : "{\"collection\":";
    AppendJsonString(&o, d.collection);
    o += ",\"id\":";
    AppendJsonString(&o, d.id);
    o += ",\"kind\":";
    AppendJsonString(&o, d.kind);
    o += ",\"detail\":";
    AppendJsonString(&o, d.detail);
    o += "}";
  }
  o += "],\"collections\":[";
  for (size_t i = 0; i < r.collections.size(); ++i) {
    const auto& c = r.collections[i];
    o += i ? ",{\"name\":" : "{\"name\":";
    AppendJsonString(&o, c.name);
    o += fmt::format(",\"expected\":{},\"found\":{},\"identical\":{},\"recall\":{}}}", c.expected, c.found, c.matched,
                     c.recall ? fmt::format("{:.4f}", *c.recall) : "null");
  }
  return o + "]}";
}

}  // namespace cm
