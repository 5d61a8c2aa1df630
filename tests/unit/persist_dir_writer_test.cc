// The streaming persist-dir writer, read back with this project's own modern reader
// (ModernDirSource, which the integration tests check against the real Chroma server):
// collections written interleaved in both insertion orders (a graph that starts too small and
// grows), the insertion order as seen in the written graph, cosine and l2,
// documents, URIs and typed metadata. Also the incremental HnswBuilder's bounds (the
// IndexFeeder has index_feeder_test.cc).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "chroma/schema.h"
#include "chroma/sqlite_db.h"
#include "formats/hnsw/hnsw_builder.h"
#include "formats/hnsw/segment_reader.h"
#include "io/warm_block.h"
#include "sinks/persist_dir_writer.h"
#include "sinks/spatial_order.h"
#include "sources/modern_dir_source.h"
#include "test_env.h"

namespace cm {
namespace {

ConvertedRecord MakeRecord(const std::string& id, size_t dim, std::mt19937& rng, size_t i) {
  std::normal_distribution<float> x(0.0f, 1.0f);
  ConvertedRecord r;
  r.id = id;
  for (size_t j = 0; j < dim; ++j) r.embedding.push_back(x(rng));
  if (i % 3 != 0) r.document = "document " + id;
  if (i % 5 == 0) r.uri = "s3://bucket/" + id;
  r.metadata = {{"i", static_cast<int64_t>(i)}, {"even", i % 2 == 0}, {"x", 0.5 * static_cast<double>(i)},
                {"name", std::string("n") + id}};
  return r;
}

// A writer into a fresh temporary directory's "out", with two graph threads.
PersistDirWriterOptions WriterOptions(const std::string& tag) {
  PersistDirWriterOptions o;
  o.destination = test::MakeTempDir(tag) + "/out";
  o.threads = 2;
  return o;
}

// Adds records prefix0 … prefix{n−1} of `dim` random components (MakeRecord) to `c`, each
// checked for its dimension first, as the migration checks a source's records.
void AddRecords(CollectionWriter& c, const std::string& prefix, size_t n, size_t dim, std::mt19937& rng) {
  for (size_t i = 0; i < n; ++i) {
    ConvertedRecord r = MakeRecord(prefix + std::to_string(i), dim, rng, i);
    ASSERT_FALSE(c.CheckDimension(dim, r.id).has_value()) << r.id;
    ASSERT_TRUE(c.Add(std::move(r)).ok()) << r.id;
  }
}

// Every insertion order: spatial and shuffled (the vectors wait in the spill file until Finish)
// and stored (they go to the graph as they come, which starts at 1024 elements and must grow).
class InterleavedCollections : public ::testing::TestWithParam<InsertionOrder> {};

TEST_P(InterleavedCollections, ReadBackAsWritten) {
  PersistDirWriterOptions o = WriterOptions("writer");
  o.insertion_order = GetParam();
  auto w = PersistDirWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  CollectionSpec a, b;
  a.name = "alpha";
  a.hnsw.space = Space::kCosine;
  b.name = "beta";
  b.hnsw.space = Space::kL2;
  // alpha announces nothing (its graph starts at 1024 and must grow); beta announces its size.
  const size_t na = 2600, nb = 700, dim_a = 12, dim_b = 5;
  auto ca = (*w)->BeginCollection(a, 0);
  auto cb = (*w)->BeginCollection(b, nb);
  ASSERT_TRUE(ca.ok() && cb.ok());
  std::mt19937 rng(3);
  std::map<std::string, ConvertedRecord> want;
  for (size_t i = 0, ia = 0, ib = 0; ia < na || ib < nb; ++i) {
    bool to_a = ia < na && (ib >= nb || i % 4 != 3);
    CollectionWriter& c = to_a ? **ca : **cb;
    std::string id = (to_a ? "a" : "b") + std::to_string(to_a ? ia++ : ib++);
    ConvertedRecord r = MakeRecord(id, to_a ? dim_a : dim_b, rng, i);
    ASSERT_FALSE(c.CheckDimension(r.embedding.size(), id).has_value());
    want[id] = r;
    ASSERT_TRUE(c.Add(std::move(r)).ok());
  }
  // A record of another dimension is refused with the first record's location.
  auto why = (*cb)->CheckDimension(dim_b + 1, "row 9999");
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->code, "embedding.dimension_mismatch");
  EXPECT_NE(why->detail.find("set by b0"), std::string::npos) << why->detail;
  auto wa = (*ca)->Finish();
  auto wb = (*cb)->Finish();
  ASSERT_TRUE(wa.ok()) << wa.status().ToString();
  ASSERT_TRUE(wb.ok()) << wb.status().ToString();
  EXPECT_EQ(wa->records, na);
  EXPECT_EQ(wb->records, nb);
  const std::string seed = ", seed " + std::to_string(kDefaultInsertionSeed);
  const std::string want_order = GetParam() == InsertionOrder::kSpatial    ? "spatial" + seed
                                 : GetParam() == InsertionOrder::kShuffled ? "shuffled" + seed
                                                                           : "stored";
  EXPECT_EQ(wa->graph_order, want_order);
  EXPECT_EQ(wb->graph_order, want_order);
  ca->reset();
  cb->reset();
  ASSERT_TRUE((*w)->Commit().ok());

  auto src = ModernDirSource::Open(o.destination, EndpointOptions{});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  auto colls = (*src)->ListCollections();
  ASSERT_TRUE(colls.ok());
  ASSERT_EQ(colls->size(), 2u);
  std::vector<SourceRecord> got;
  bool done = false;
  while (!done) ASSERT_TRUE((*src)->Next(1000, &got, &done).ok());
  ASSERT_EQ(got.size(), na + nb);
  PolicyEngine policy(PolicyOptions{});
  for (const SourceRecord& r : got) {
    ASSERT_TRUE(r.id.has_value());
    const ConvertedRecord& e = want.at(*r.id);
    ASSERT_EQ(r.embedding.size(), e.embedding.size()) << *r.id;
    for (size_t j = 0; j < e.embedding.size(); ++j) {
      // cosine vectors come back as unit vector × stored norm (float rounding), l2 exactly.
      EXPECT_NEAR(r.embedding[j], e.embedding[j], 1e-5 * (1 + std::fabs(e.embedding[j]))) << *r.id << " " << j;
    }
    EXPECT_EQ(r.document, e.document) << *r.id;
    EXPECT_EQ(r.uri, e.uri) << *r.id;
    Metadata m;
    ChangeCounts changes;
    ASSERT_FALSE(policy.ConvertMetadataValue(r.metadata, &m, &changes).has_value()) << *r.id;
    auto by_key = [](Metadata x) {
      std::sort(x.begin(), x.end(), [](const auto& p, const auto& q) { return p.key < q.key; });
      return x;
    };
    EXPECT_EQ(by_key(m), by_key(e.metadata)) << *r.id;
  }
}

INSTANTIATE_TEST_SUITE_P(PersistDirWriter, InterleavedCollections,
                         ::testing::Values(InsertionOrder::kSpatial, InsertionOrder::kShuffled, InsertionOrder::kStored),
                         [](const auto& p) {
                           return p.param == InsertionOrder::kSpatial    ? "Spatial"
                                  : p.param == InsertionOrder::kShuffled ? "Shuffled"
                                                                         : "Stored";
                         });

// The order the graph received its vectors is visible in the written graph: hnswlib gives
// slots in insertion order. One graph thread makes it exact.
std::vector<uint64_t> SlotLabels(InsertionOrder order, size_t n, const std::string& tag,
                                 uint64_t seed = kDefaultInsertionSeed) {
  PersistDirWriterOptions o = WriterOptions(tag);
  o.threads = 1;
  o.insertion_order = order;
  o.insertion_seed = seed;
  auto w = PersistDirWriter::Create(o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  if (!w.ok()) return {};
  CollectionSpec spec;
  spec.name = "c";
  auto c = (*w)->BeginCollection(spec, n);
  EXPECT_TRUE(c.ok());
  std::mt19937 rng(5);
  EXPECT_NO_FATAL_FAILURE(AddRecords(**c, "r", n, 4, rng));
  auto written = (*c)->Finish();
  EXPECT_TRUE(written.ok()) << written.status().ToString();
  c->reset();
  EXPECT_TRUE((*w)->Commit().ok());
  auto graph = HnswSegmentReader::Open(o.destination + "/" + written->vector_segment, 4, false);
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  if (!graph.ok()) return {};
  std::vector<uint64_t> labels;
  for (size_t i = 0; i < graph->slot_count(); ++i) labels.push_back(graph->Label(i));
  return labels;
}

TEST(PersistDirWriter, InsertionOrderShuffledIsASeededPermutationSpatialItsHeadThenGroupedStoredIsTheSources) {
  const size_t n = 3000;
  std::vector<uint64_t> identity(n);
  std::iota(identity.begin(), identity.end(), uint64_t{1});
  EXPECT_EQ(SlotLabels(InsertionOrder::kStored, n, "order-stored"), identity);

  std::vector<uint64_t> shuffled = SlotLabels(InsertionOrder::kShuffled, n, "order-shuffled");
  ASSERT_EQ(shuffled.size(), n);
  EXPECT_NE(shuffled, identity);
  // Spread over the whole collection, not shuffled within windows: the first tenth inserted
  // holds records from every tenth of the source.
  std::vector<int> tenths(10, 0);
  for (size_t i = 0; i < n / 10; ++i) ++tenths[(shuffled[i] - 1) * 10 / n];
  for (int t = 0; t < 10; ++t) EXPECT_GT(tenths[t], 10) << "tenth " << t;
  std::vector<uint64_t> sorted = shuffled;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, identity) << "every record exactly once";
  EXPECT_EQ(SlotLabels(InsertionOrder::kShuffled, n, "order-shuffled-again"), shuffled) << "a re-run inserts in the same order";
  std::vector<uint64_t> other = SlotLabels(InsertionOrder::kShuffled, n, "order-other-seed", 7);
  EXPECT_NE(other, shuffled) << "another seed, another order";
  std::sort(other.begin(), other.end());
  EXPECT_EQ(other, identity);

  // Spatial: the same permutation's first tenth, then the rest rearranged (spatial_order_test.cc
  // checks how), each record once, the same again on a re-run.
  std::vector<uint64_t> spatial = SlotLabels(InsertionOrder::kSpatial, n, "order-spatial");
  ASSERT_EQ(spatial.size(), n);
  const size_t head = SpatialOrder::HeadOf(n);
  EXPECT_TRUE(std::equal(spatial.begin(), spatial.begin() + head, shuffled.begin())) << "the random head";
  EXPECT_FALSE(std::equal(spatial.begin() + head, spatial.end(), shuffled.begin() + head)) << "the tail rearranged";
  EXPECT_EQ(SlotLabels(InsertionOrder::kSpatial, n, "order-spatial-again"), spatial) << "a re-run inserts in the same order";
  std::sort(spatial.begin(), spatial.end());
  EXPECT_EQ(spatial, identity) << "every record exactly once";
}

// A collection large enough to build in fixed point gets its graph's rows faulted in while its
// records are read (io/warm_block.h), but one collection per writer at a time: a source that
// interleaves collections would otherwise hold all their graphs' rows at once. The slot is given
// back when the collection finishes, so a later collection gets one again.
TEST(PersistDirWriter, OneCollectionAtATimeHoldsWarmRows) {
  PersistDirWriterOptions o = WriterOptions("writer-warm");
  auto w = PersistDirWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  // Announced large enough for a WarmBlock (at least 4 MiB of int16 rows); fewer records come.
  const size_t dim = 384, announced = 8000, n = 300;
  ASSERT_GE(FixedPointRowsBytes(dim, announced), size_t{4} << 20);
  const size_t before = WarmBlock::Live();
  std::mt19937 rng(11);
  CollectionSpec a, b, c;
  a.name = "a";
  b.name = "b";
  c.name = "c";
  auto ca = (*w)->BeginCollection(a, announced);
  auto cb = (*w)->BeginCollection(b, announced);
  ASSERT_TRUE(ca.ok() && cb.ok());
  ASSERT_NO_FATAL_FAILURE(AddRecords(**ca, "a", n, dim, rng));
  EXPECT_EQ(WarmBlock::Live(), before + 1) << "the first collection's rows are warmed";
  ASSERT_NO_FATAL_FAILURE(AddRecords(**cb, "b", n, dim, rng));
  EXPECT_EQ(WarmBlock::Live(), before + 1) << "not the second's while the first holds a block";
  auto wa = (*ca)->Finish();
  ASSERT_TRUE(wa.ok()) << wa.status().ToString();
  ca->reset();
  EXPECT_EQ(WarmBlock::Live(), before) << "the first collection's block taken by its graph or freed";
  auto cc = (*w)->BeginCollection(c, announced);
  ASSERT_TRUE(cc.ok());
  ASSERT_NO_FATAL_FAILURE(AddRecords(**cc, "c", n, dim, rng));
  EXPECT_EQ(WarmBlock::Live(), before + 1) << "the slot given back: a later collection gets one";
  auto wb = (*cb)->Finish();
  auto wc = (*cc)->Finish();
  ASSERT_TRUE(wb.ok() && wc.ok());
  cb->reset();
  cc->reset();
  EXPECT_EQ(WarmBlock::Live(), before);
  ASSERT_TRUE((*w)->Commit().ok());
  // With or without warmed rows, each graph holds its records.
  for (const WrittenCollection* x : {&*wa, &*wb, &*wc}) {
    EXPECT_EQ(x->records, n);
    auto graph = HnswSegmentReader::Open(o.destination + "/" + x->vector_segment, dim, false);
    ASSERT_TRUE(graph.ok()) << graph.status().ToString();
    EXPECT_EQ(graph->slot_count(), n);
  }
}

// Rows are written on their own thread: a record the database refuses (an id added twice) fails
// the writer by Finish at the latest, naming the collection and the record; nothing is committed.
TEST(PersistDirWriter, ARefusedRowFailsTheWriterNamingTheRecord) {
  PersistDirWriterOptions o = WriterOptions("writer-dup");
  auto w = PersistDirWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  CollectionSpec spec;
  spec.name = "gamma";
  auto c = (*w)->BeginCollection(spec, 10);
  ASSERT_TRUE(c.ok());
  std::mt19937 rng(5);
  ConvertedRecord r = MakeRecord("same", 4, rng, 1);
  ASSERT_FALSE((*c)->CheckDimension(4, "row 0").has_value());
  ASSERT_TRUE((*c)->Add(r).ok());
  Status second = (*c)->Add(r);
  auto finished = (*c)->Finish();
  Status failure = second.ok() ? finished.status() : second;
  ASSERT_FALSE(failure.ok());
  EXPECT_NE(failure.message().find("collection \"gamma\": record \"same\""), std::string::npos) << failure.ToString();
  EXPECT_NE(failure.message().find("UNIQUE constraint failed"), std::string::npos) << failure.ToString();
  c->reset();
  EXPECT_FALSE((*w)->Commit().ok());
  w->reset();
  EXPECT_FALSE(std::filesystem::exists(o.destination));
}

// The rows of a two-column query, as text.
std::vector<std::pair<std::string, std::string>> TextPairs(Db& db, const char* sql) {
  std::vector<std::pair<std::string, std::string>> out;
  auto q = db.Prepare(sql);
  EXPECT_TRUE(q.ok()) << sql;
  if (!q.ok()) return out;
  bool row = false;
  while (q->Step(&row).ok() && row) out.emplace_back(q->ColumnText(0), q->ColumnText(1));
  return out;
}

// embedding_metadata's indexes, as (name, sql) in name order.
std::vector<std::pair<std::string, std::string>> MetadataIndexes(Db& db) {
  return TextPairs(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'embedding_metadata' "
                       "AND sql IS NOT NULL ORDER BY name");
}

// Finishes the writer's one collection and commits.
void FinishAndCommit(std::unique_ptr<CollectionWriter>& c, PersistDirWriter& w) {
  auto done = c->Finish();
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  c.reset();
  ASSERT_TRUE(w.Commit().ok());
}

// A new database with Chroma's schema and nothing else, to compare a written one against.
void OpenFreshChromaDb(const std::string& tag, Db* out) {
  auto db = Db::Open(test::MakeTempDir(tag) + "/fresh.sqlite3", Db::Mode::kReadWriteCreate);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(ApplyChromaSchema(*db).ok());
  *out = std::move(*db);
}

// embedding_metadata's value indexes are dropped while rows go in and built again from Chroma's
// own SQL: on the row thread after EndOfRecords (records added after the hint still land), or
// at Commit without it. Either way the database ends with exactly a fresh schema's indexes.
class DeferredIndexes : public ::testing::TestWithParam<bool> {};

TEST_P(DeferredIndexes, AreThoseOfAFreshSchema) {
  bool hint = GetParam();
  PersistDirWriterOptions o = WriterOptions("writer-indexes");
  auto w = PersistDirWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  CollectionSpec spec;
  spec.name = "delta";
  auto c = (*w)->BeginCollection(spec, 300);
  ASSERT_TRUE(c.ok());
  std::mt19937 rng(9);
  for (size_t i = 0; i < 300; ++i) {
    if (hint && i == 250) {
      ASSERT_TRUE((*w)->EndOfRecords().ok());
    }
    ASSERT_FALSE((*c)->CheckDimension(6, "row").has_value());
    ASSERT_TRUE((*c)->Add(MakeRecord("r" + std::to_string(i), 6, rng, i)).ok());
  }
  ASSERT_NO_FATAL_FAILURE(FinishAndCommit(*c, **w));

  Db fresh;
  ASSERT_NO_FATAL_FAILURE(OpenFreshChromaDb("writer-indexes-fresh", &fresh));
  auto want = MetadataIndexes(fresh);
  ASSERT_FALSE(want.empty());
  auto db = Db::Open(o.destination + "/chroma.sqlite3", Db::Mode::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(MetadataIndexes(*db), want);
  auto q = db->Prepare("SELECT count(DISTINCT id) FROM embedding_metadata WHERE key = 'i'");
  ASSERT_TRUE(q.ok());
  bool row = false;
  ASSERT_TRUE(q->Step(&row).ok() && row);
  EXPECT_EQ(q->ColumnInt(0), 300);
  auto check = db->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE(check->Step(&row).ok() && row);
  EXPECT_EQ(check->ColumnText(0), "ok");
}

// The full-text index is written natively (FulltextIndexWriter): it ends with a fresh schema's
// configuration, passes FTS5's own integrity check, and finds each document by a phrase only
// that document holds.
std::vector<std::pair<std::string, std::string>> FtsConfig(Db& db) {
  return TextPairs(db, "SELECT k, v FROM embedding_fulltext_search_config ORDER BY k");
}

TEST(PersistDirWriter, FullTextIndexHasEveryDocumentAndAFreshConfiguration) {
  PersistDirWriterOptions o = WriterOptions("writer-fts");
  auto w = PersistDirWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  CollectionSpec spec;
  spec.name = "epsilon";
  const size_t n = 4000;  // about 1.5 MB of text, more than FTS5's default hash of 1 MiB
  auto c = (*w)->BeginCollection(spec, n);
  ASSERT_TRUE(c.ok());
  std::mt19937 rng(11);
  for (size_t i = 0; i < n; ++i) {
    ConvertedRecord r = MakeRecord("f" + std::to_string(i), 4, rng, i);
    r.document = fmt::format("record {:05d} says {}", i, std::string(300, static_cast<char>('a' + i % 26)));
    ASSERT_FALSE((*c)->CheckDimension(4, "row").has_value());
    ASSERT_TRUE((*c)->Add(std::move(r)).ok());
  }
  ASSERT_NO_FATAL_FAILURE(FinishAndCommit(*c, **w));

  Db fresh;
  ASSERT_NO_FATAL_FAILURE(OpenFreshChromaDb("writer-fts-fresh", &fresh));
  auto db = Db::Open(o.destination + "/chroma.sqlite3", Db::Mode::kReadWriteCreate);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(FtsConfig(*db), FtsConfig(fresh));
  EXPECT_TRUE(db->Exec("INSERT INTO embedding_fulltext_search (embedding_fulltext_search) VALUES ('integrity-check')").ok());
  // The postings fit the writer's memory budget: written out once, as one segment.
  auto segments = db->Prepare("SELECT count(DISTINCT segid) FROM embedding_fulltext_search_idx");
  ASSERT_TRUE(segments.ok());
  bool has_row = false;
  ASSERT_TRUE(segments->Step(&has_row).ok() && has_row);
  EXPECT_EQ(segments->ColumnInt(0), 1);
  for (size_t i : {size_t{0}, size_t{1234}, n - 1}) {
    auto q = db->Prepare("SELECT e.embedding_id FROM embedding_fulltext_search f JOIN embeddings e ON e.id = f.rowid "
                         "WHERE f.string_value MATCH ?");
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE(q->BindText(1, fmt::format("\"record {:05d} \"", i)).ok());
    std::vector<std::string> ids;
    bool row = false;
    while (q->Step(&row).ok() && row) ids.push_back(q->ColumnText(0));
    EXPECT_EQ(ids, std::vector<std::string>{"f" + std::to_string(i)});
  }
}

std::string HintName(const ::testing::TestParamInfo<bool>& p) { return p.param ? "BuiltAfterEndOfRecords" : "BuiltAtCommit"; }
INSTANTIATE_TEST_SUITE_P(PersistDirWriter, DeferredIndexes, ::testing::Bool(), HintName);

// A modern directory read back in batches: a batch of wide records stops once its embeddings
// hold kBatchEmbeddingBytes (source.h), whatever max_rows asks, and the batches together hold
// every record once.
TEST(PersistDirWriter, ReadBackInBatchesBoundedByEmbeddingBytes) {
  PersistDirWriterOptions o = WriterOptions("writer-wide");
  auto w = PersistDirWriter::Create(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  CollectionSpec spec;
  spec.name = "wide";
  spec.hnsw.space = Space::kL2;
  const size_t n = 300, dim = 1024;
  const size_t per_batch = kBatchEmbeddingBytes / (dim * sizeof(double));
  ASSERT_LT(per_batch, n);
  auto c = (*w)->BeginCollection(spec, n);
  ASSERT_TRUE(c.ok());
  std::mt19937 rng(13);
  ASSERT_NO_FATAL_FAILURE(AddRecords(**c, "w", n, dim, rng));
  ASSERT_NO_FATAL_FAILURE(FinishAndCommit(*c, **w));

  auto src = ModernDirSource::Open(o.destination, EndpointOptions{});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ASSERT_TRUE((*src)->ListCollections().ok());
  std::set<std::string> ids;
  std::vector<size_t> sizes;
  for (bool done = false; !done;) {
    std::vector<SourceRecord> batch;
    ASSERT_TRUE((*src)->Next(8192, &batch, &done).ok());
    if (!batch.empty()) sizes.push_back(batch.size());
    for (const SourceRecord& r : batch) {
      ASSERT_TRUE(r.id.has_value());
      EXPECT_EQ(r.embedding.size(), dim);
      EXPECT_TRUE(ids.insert(*r.id).second) << "twice: " << *r.id;
    }
  }
  EXPECT_EQ(ids.size(), n);
  ASSERT_FALSE(sizes.empty());
  EXPECT_EQ(sizes.front(), per_batch) << "the first batch stops at the byte bound";
  for (size_t s : sizes) EXPECT_LE(s, per_batch);
}

TEST(HnswBuilder, LabelsOutsideTheCapacityAreRefusedAndReserveGrows) {
  HnswBuildOptions o;
  auto b = HnswBuilder::Create(4, 2, o);
  ASSERT_TRUE(b.ok());
  float v[4] = {1, 2, 3, 4};
  EXPECT_TRUE((*b)->Add(v, 1).ok());
  EXPECT_TRUE((*b)->Add(v, 2).ok());
  EXPECT_FALSE((*b)->Add(v, 3).ok());
  EXPECT_FALSE((*b)->Add(v, 0).ok());
  ASSERT_TRUE((*b)->Reserve(8).ok());
  EXPECT_EQ((*b)->capacity(), 8u);
  EXPECT_TRUE((*b)->Add(v, 3).ok());
  EXPECT_EQ((*b)->Finish()->size(), 3u);
}

}  // namespace
}  // namespace cm
