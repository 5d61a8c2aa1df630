#include "pipeline/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <functional>
#include <map>
#include <random>

#include "chroma/record_json.h"
#include "formats/json/json_writer.h"
#include "pipeline/collection_buffer.h"
#include "pipeline/record_spill.h"

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

namespace {

// What verify knows of one selected collection of the source.
struct Expected {
  std::string key;
  CollectionSpec spec;                    // dimension fixed by the first valid record
  uint64_t valid = 0;                     // records that passed the policies (duplicates included)
  std::vector<std::vector<float>> queries;  // a reservoir sample of their vectors
  std::vector<std::vector<std::string>> returned;  // the destination's answers to the queries
  size_t k = 0;                                    // neighbours asked for
  // Per query: the k smallest exact distances over the expected records, and the distance of
  // each returned id that is an expected record.
  std::vector<std::vector<float>> best;
  std::vector<std::map<std::string, float>> returned_dist;
  uint64_t final_count = 0;  // after the duplicate policy
};

void EncodeExpected(SpillEncoder* e, uint32_t collection, const std::string& location, const ConvertedRecord& r) {
  e->Clear();
  e->U32(collection);
  EncodeConverted(e, location, r);
}

Status DecodeExpected(ByteCursor& c, uint32_t* collection, std::string* location, ConvertedRecord* r) {
  CM_RETURN_IF_ERROR(c.ReadLE(collection, "collection"));
  return DecodeConverted(c, location, r);
}

struct Found {
  std::string id;
  std::optional<std::string> document, uri;
  Metadata metadata;
  std::vector<double> embedding;
};

void EncodeFound(SpillEncoder* e, uint32_t collection, const Found& f) {
  e->Clear();
  e->U32(collection);
  e->Str(f.id);
  e->OptStr(f.document);
  e->OptStr(f.uri);
  e->Meta(f.metadata);
  e->Doubles(f.embedding.data(), f.embedding.size());
}

Status DecodeFound(ByteCursor& c, uint32_t* collection, Found* f) {
  CM_RETURN_IF_ERROR(c.ReadLE(collection, "collection"));
  CM_RETURN_IF_ERROR(SpillStr(c, &f->id));
  CM_RETURN_IF_ERROR(SpillOptStr(c, &f->document));
  CM_RETURN_IF_ERROR(SpillOptStr(c, &f->uri));
  CM_RETURN_IF_ERROR(SpillMeta(c, &f->metadata));
  return SpillDoubles(c, &f->embedding);
}

// Keeps the k smallest values in `best` (a max-heap).
void KeepSmallest(std::vector<float>* best, size_t k, float d) {
  if (best->size() < k) {
    best->push_back(d);
    std::push_heap(best->begin(), best->end());
  } else if (k > 0 && d < best->front()) {
    std::pop_heap(best->begin(), best->end());
    best->back() = d;
    std::push_heap(best->begin(), best->end());
  }
}

}  // namespace

Result<VerifyReport> Verify(Source& source, Source& destination, Searcher* searcher, const VerifyOptions& options) {
  VerifyReport report;
  Checker diff(&report, options.max_listed);
  PolicyEngine policy(options.policies);
  PolicyEngine plain({});

  CM_ASSIGN_OR_RETURN(auto src_collections, source.ListCollections());
  std::vector<Expected> expected;
  std::map<std::string, uint32_t> index_of_key;   // source key -> index in `expected`
  std::map<std::string, uint32_t> index_of_name;  // "tenant/db/name" -> index
  std::optional<uint64_t> total_hint = source.TotalRecords();
  uint64_t listed_counts = 0;
  bool all_counted = true;
  for (const auto& c : src_collections) {
    if (!options.selection.Selected(c.name, c.key)) continue;
    CM_ASSIGN_OR_RETURN(CollectionSpec spec, policy.ConvertCollection(c, nullptr));
    if (options.dest_tenant) spec.tenant = *options.dest_tenant;
    if (options.dest_database) spec.database = *options.dest_database;
    auto idx = static_cast<uint32_t>(expected.size());
    index_of_name[spec.tenant + "/" + spec.database + "/" + spec.name] = idx;
    index_of_key[c.key] = idx;
    if (c.expected_count) listed_counts += *c.expected_count;
    all_counted = all_counted && c.expected_count.has_value();
    expected.push_back(Expected{c.key, std::move(spec)});
  }
  if (!total_hint && all_counted) total_hint = listed_counts;

  // 1. The expected records: the source through the policies and the dimension rule, spilled by
  // (collection, id) so that each partition can be checked on its own. A reservoir of query
  // vectors per collection is drawn on the way.
  // Half the budget: when they fit, the encoded records and their decoded copy are held at once.
  RecordSpill want("expected records", options.memory_budget / 2);
  want.set_expected_records(total_hint);
  std::mt19937_64 rng(20231);
  SpillEncoder enc;
  std::vector<SourceRecord> batch;
  bool done = false;
  while (!done) {
    batch.clear();
    CM_RETURN_IF_ERROR(source.Next(options.batch_rows, &batch, &done));
    for (const SourceRecord& r : batch) {
      auto it = index_of_key.find(r.collection_key);
      if (it == index_of_key.end()) continue;
      Expected& x = expected[it->second];
      ConvertedRecord conv;
      if (policy.ConvertRecord(r, &conv, nullptr)) continue;  // rejected: not expected at the destination
      if (!x.spec.dimension) x.spec.dimension = conv.embedding.size();
      if (conv.embedding.size() != *x.spec.dimension) continue;  // rejected by the dimension rule
      size_t q = options.recall_queries;
      if (x.queries.size() < q) {
        x.queries.push_back(conv.embedding);
      } else if (q > 0) {
        uint64_t slot = rng() % (x.valid + 1);
        if (slot < q) x.queries[slot] = conv.embedding;
      }
      ++x.valid;
      EncodeExpected(&enc, it->second, r.location, conv);
      CM_RETURN_IF_ERROR(want.Add(SpillHash(x.key, conv.id), enc.bytes()));
    }
  }
  CM_RETURN_IF_ERROR(want.Finish());

  // 2. The destination's collections: names, space, HNSW parameters, metadata.
  CM_ASSIGN_OR_RETURN(auto dst_collections, destination.ListCollections());
  std::map<std::string, uint32_t> index_of_dst;  // destination key -> index in `expected`
  for (const auto& d : dst_collections) {
    auto it = index_of_name.find(d.tenant + "/" + d.database + "/" + d.name);
    if (it == index_of_name.end()) continue;
    index_of_dst[d.key] = it->second;
    const CollectionSpec& spec = expected[it->second].spec;
    if (d.hnsw) {
      if (d.hnsw->space != spec.hnsw.space) {
        diff.Add(spec.name, "", "space", fmt::format("space is {} but the source's is {}", SpaceName(d.hnsw->space), SpaceName(spec.hnsw.space)));
      }
      if (d.hnsw->max_neighbors != spec.hnsw.max_neighbors || d.hnsw->ef_construction != spec.hnsw.ef_construction ||
          d.hnsw->ef_search != spec.hnsw.ef_search) {
        diff.Add(spec.name, "", "hnsw_params",
                 fmt::format("M/ef_construction/ef_search are {}/{}/{}, expected {}/{}/{}", d.hnsw->max_neighbors,
                             d.hnsw->ef_construction, d.hnsw->ef_search, spec.hnsw.max_neighbors,
                             spec.hnsw.ef_construction, spec.hnsw.ef_search));
      }
    }
    Metadata meta;
    if (d.metadata_text) {
      (void)plain.ConvertMetadataText(d.metadata_text, &meta, nullptr);
    } else {
      (void)plain.ConvertMetadataValue(d.metadata, &meta, nullptr);
    }
    if (!SameMetadata(meta, spec.metadata)) {
      diff.Add(spec.name, "", "collection_metadata", fmt::format("{} instead of {}", Show(meta), Show(spec.metadata)));
    }
  }
  std::vector<bool> present(expected.size(), false);
  for (const auto& [dk, idx] : index_of_dst) present[idx] = true;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!present[i]) diff.Add(expected[i].spec.name, "", "missing_collection", "the destination has no collection of this name");
  }

  // 3. Query parity, asked now: the destination's own index answers the sampled queries; the
  // exact answers are found while the partitions are checked.
  if (searcher != nullptr && options.recall_queries > 0) {
    for (Expected& x : expected) {
      if (x.valid == 0) continue;
      x.k = static_cast<size_t>(std::min<uint64_t>(10, x.valid));
      auto got = searcher->Query(x.spec, x.queries, x.k);
      if (!got.ok() && got.status().code() == StatusCode::kUnsupported) {  // nothing to query
        x.k = 0;
        continue;
      }
      // A damaged index (one that does not parse or load, a server that answers with an error)
      // is a difference; an I/O error while reading or staging it (permissions, a full $TMPDIR)
      // or a server that cannot be reached (after the retries) means verify cannot judge it.
      if (!got.ok() && (got.status().code() == StatusCode::kIoError || got.status().code() == StatusCode::kNetworkError)) {
        return got.status().WithContext(fmt::format("verify: querying collection \"{}\" in the destination", x.spec.name));
      }
      if (!got.ok()) {
        diff.Add(x.spec.name, "", "query", got.status().message());
        x.k = 0;
        continue;
      }
      x.returned = std::move(got).value();
      x.returned.resize(x.queries.size());
      x.best.assign(x.queries.size(), {});
      x.returned_dist.assign(x.queries.size(), {});
    }
  }

  // 4. The destination's records against the expected ones, partition by partition: the
  // expected records of a partition are held (duplicate policy applied) and the found ones of
  // the same partition compared with them. When the expected records fit in memory there is
  // one partition and the destination is compared as it is read; otherwise its records are
  // spilled into the same partitions first.
  std::vector<CollectionCheck> checks(expected.size());
  for (size_t i = 0; i < expected.size(); ++i) checks[i].name = expected[i].spec.name;
  std::vector<std::unique_ptr<CollectionBuffer>> held;
  std::vector<std::vector<bool>> seen;
  auto load_expected = [&](size_t p) -> Status {
    held.clear();
    held.resize(expected.size());
    CM_RETURN_IF_ERROR(want.ForEach(p, [&](ByteCursor& c) -> Status {
      uint32_t idx = 0;
      std::string location;
      ConvertedRecord conv;
      CM_RETURN_IF_ERROR(DecodeExpected(c, &idx, &location, &conv));
      if (idx >= expected.size()) return c.Error("collection index out of range");
      if (!held[idx]) held[idx] = std::make_unique<CollectionBuffer>(expected[idx].spec, options.policies.duplicates);
      std::optional<ConvertedRecord> displaced;
      std::string loc;
      std::optional<RejectReason> why;
      ChangeCounts ignored;
      return held[idx]->Add(std::move(conv), location, &displaced, &loc, &why, &ignored);
    }));
    seen.assign(expected.size(), {});
    for (size_t i = 0; i < expected.size(); ++i) {
      if (held[i]) seen[i].assign(held[i]->records().size(), false);
    }
    return Status::Ok();
  };
  auto check_found = [&](uint32_t idx, const Found& f) {
    const std::string& name = expected[idx].spec.name;
    long row = held[idx] ? held[idx]->Find(f.id) : -1;
    if (row < 0) {
      diff.Add(name, f.id, "extra", "a record the source does not have (after policies)");
      return;
    }
    auto i = static_cast<size_t>(row);
    if (seen[idx][i]) {
      diff.Add(name, f.id, "duplicate", "the destination returned this id twice");
      return;
    }
    seen[idx][i] = true;
    const RecordBatch& rec = held[idx]->records();
    bool ok = true;
    if (f.document != rec.documents[i]) {
      ok = false;
      diff.Add(name, f.id, "document", fmt::format("{} instead of {}", f.document ? "\"" + f.document->substr(0, 80) + "\"" : "null",
                                                   rec.documents[i] ? "\"" + rec.documents[i]->substr(0, 80) + "\"" : "null"));
    }
    if (f.uri != rec.uris[i]) {
      ok = false;
      diff.Add(name, f.id, "uri", "the URI differs");
    }
    if (!SameMetadata(f.metadata, rec.metadatas[i])) {
      ok = false;
      diff.Add(name, f.id, "metadata", fmt::format("{} instead of {}", Show(f.metadata).substr(0, 200), Show(rec.metadatas[i]).substr(0, 200)));
    }
    double worst = 0;
    if (!CloseEnough(expected[idx].spec.hnsw.space, f.embedding, rec.embedding(i), rec.dim, &worst)) {
      ok = false;
      diff.Add(name, f.id, "embedding",
               f.embedding.size() != rec.dim ? fmt::format("{} values instead of {}", f.embedding.size(), rec.dim)
                                             : fmt::format("differs by up to {:.3g}", worst));
    }
    if (ok) ++checks[idx].matched;
  };
  auto finish_partition = [&] {
    for (size_t idx = 0; idx < expected.size(); ++idx) {
      if (!held[idx]) continue;
      Expected& x = expected[idx];
      const RecordBatch& rec = held[idx]->records();
      x.final_count += rec.size();
      for (size_t i = 0; i < seen[idx].size(); ++i) {
        if (!seen[idx][i]) diff.Add(x.spec.name, rec.ids[i], "missing", "the destination does not have this record");
      }
      // Exact neighbours, and the distances of what the destination returned.
      for (size_t qi = 0; qi < x.best.size(); ++qi) {
        const std::vector<float>& q = x.queries[qi];
        for (size_t r = 0; r < rec.size(); ++r) KeepSmallest(&x.best[qi], x.k, Distance(x.spec.hnsw.space, q.data(), rec.embedding(r), rec.dim));
        for (size_t j = 0; j < x.returned[qi].size() && j < x.k; ++j) {
          long row = held[idx]->Find(x.returned[qi][j]);
          if (row >= 0) x.returned_dist[qi][x.returned[qi][j]] = Distance(x.spec.hnsw.space, q.data(), rec.embedding(static_cast<size_t>(row)), rec.dim);
        }
      }
    }
    held.clear();
  };
  // Reads the destination; each record of a selected collection goes to `take`.
  auto read_destination = [&](const std::function<Status(uint32_t, Found&)>& take) -> Status {
    Found f;
    done = false;
    while (!done) {
      batch.clear();
      CM_RETURN_IF_ERROR(destination.Next(options.batch_rows, &batch, &done));
      for (SourceRecord& r : batch) {
        auto k = index_of_dst.find(r.collection_key);
        if (k == index_of_dst.end()) continue;
        ++checks[k->second].found;
        f.id = r.id.value_or("");
        f.document = std::move(r.document);
        f.uri = std::move(r.uri);
        f.metadata.clear();
        if (r.metadata_is_text) (void)plain.ConvertMetadataText(r.metadata_text, &f.metadata, nullptr);
        else (void)plain.ConvertMetadataValue(r.metadata, &f.metadata, nullptr);
        f.embedding = std::move(r.embedding);
        CM_RETURN_IF_ERROR(take(k->second, f));
      }
    }
    return Status::Ok();
  };
  RecordSpill found("destination records", options.memory_budget);
  if (!want.on_disk()) {
    CM_RETURN_IF_ERROR(load_expected(0));
    CM_RETURN_IF_ERROR(read_destination([&](uint32_t idx, Found& f) {
      check_found(idx, f);
      return Status::Ok();
    }));
    finish_partition();
  } else {
    CM_RETURN_IF_ERROR(found.StartPartitioned(want.partitions()));
    CM_RETURN_IF_ERROR(read_destination([&](uint32_t idx, Found& f) {
      EncodeFound(&enc, idx, f);
      return found.Add(SpillHash(expected[idx].key, f.id), enc.bytes());
    }));
    CM_RETURN_IF_ERROR(found.Finish());
    for (size_t p = 0; p < want.partitions(); ++p) {
      CM_RETURN_IF_ERROR(load_expected(p));
      Found f;
      CM_RETURN_IF_ERROR(found.ForEach(p, [&](ByteCursor& c) -> Status {
        uint32_t idx = 0;
        CM_RETURN_IF_ERROR(DecodeFound(c, &idx, &f));
        if (idx >= expected.size()) return c.Error("collection index out of range");
        check_found(idx, f);
        return Status::Ok();
      }));
      finish_partition();
    }
  }

  for (size_t idx = 0; idx < expected.size(); ++idx) {
    Expected& x = expected[idx];
    checks[idx].expected = x.final_count;
    if (x.k == 0 || x.best.empty()) continue;
    // k is min(10, records that passed the policies); duplicates may leave fewer.
    size_t k = static_cast<size_t>(std::min<uint64_t>(x.k, x.final_count));
    if (k == 0) continue;
    size_t hits = 0;
    for (size_t qi = 0; qi < x.best.size(); ++qi) {
      std::vector<float> sorted = x.best[qi];
      std::sort(sorted.begin(), sorted.end());
      float kth = sorted[k - 1];
      for (size_t j = 0; j < x.returned[qi].size() && j < k; ++j) {
        auto d = x.returned_dist[qi].find(x.returned[qi][j]);
        if (d != x.returned_dist[qi].end() && d->second <= kth + 1e-5f * (std::fabs(kth) + 1)) ++hits;
      }
    }
    double recall = static_cast<double>(hits) / static_cast<double>(x.best.size() * k);
    checks[idx].recall = recall;
    if (recall < options.min_recall) {
      diff.Add(x.spec.name, "", "recall", fmt::format("recall@{} is {:.3f}, below {:.2f}", k, recall, options.min_recall));
    }
  }
  report.spilled_bytes = want.on_disk() ? want.bytes() + found.bytes() : 0;
  report.partitions = want.partitions();
  for (auto& c : checks) report.collections.push_back(c);
  return report;
}

std::string VerifyText(const VerifyReport& r) {
  std::string o;
  for (const auto& c : r.collections) {
    o += fmt::format("  {:<32} {:>8} expected {:>8} found {:>8} identical", c.name, c.expected, c.found, c.matched);
    if (c.recall) o += fmt::format("  recall@10 {:.3f}", *c.recall);
    o += "\n";
  }
  if (r.partitions > 1) {
    o += fmt::format("  (checked in {} partitions; {:.0f} MiB spilled to a temporary file)\n", r.partitions,
                     static_cast<double>(r.spilled_bytes) / (1 << 20));
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
  Value::Array listed, collections;
  for (const Difference& d : r.listed) {
    listed.push_back(Value::MakeObject({{"collection", Value::String(d.collection)},
                                        {"id", Value::String(d.id)},
                                        {"kind", Value::String(d.kind)},
                                        {"detail", Value::String(d.detail)}}));
  }
  for (const CollectionCheck& c : r.collections) {
    collections.push_back(Value::MakeObject({{"name", Value::String(c.name)},
                                             {"expected", JsonCount(c.expected)},
                                             {"found", JsonCount(c.found)},
                                             {"identical", JsonCount(c.matched)},
                                             {"recall", c.recall ? JsonRounded(*c.recall, 4) : Value::Null()}}));
  }
  return ToJson(Value::MakeObject({{"ok", Value::Bool(r.ok())},
                                   {"differences", JsonCount(r.differences)},
                                   {"kinds", JsonCounts(r.kinds)},
                                   {"listed", Value::MakeArray(std::move(listed))},
                                   {"collections", Value::MakeArray(std::move(collections))},
                                   {"partitions", JsonCount(r.partitions)},
                                   {"spilled_bytes", JsonCount(r.spilled_bytes)}}));
}

}  // namespace cm
