// Each default policy and each option, on hand-made records.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "pipeline/collection_buffer.h"
#include "pipeline/policies.h"

namespace cm {
namespace {

SourceRecord Legacy(std::optional<std::string> id, std::vector<double> emb, std::optional<std::string> meta) {
  SourceRecord r;
  r.collection_key = "c";
  r.id = std::move(id);
  r.fallback_id = "uuid-1";
  r.embedding = std::move(emb);
  r.metadata_is_text = true;
  r.metadata_text = std::move(meta);
  r.location = "chroma-embeddings.parquet row 0";
  return r;
}

Metadata Convert(const std::string& text, NestedPolicy nested = NestedPolicy::kJson, ChangeCounts* changes = nullptr) {
  PolicyOptions o;
  o.nested = nested;
  PolicyEngine p(o);
  Metadata m;
  auto bad = p.ConvertMetadataText(text, &m, changes);
  EXPECT_FALSE(bad) << text << ": " << (bad ? bad->detail : "");
  return m;
}

TEST(Policies, MetadataNullishBecomesNone) {
  ChangeCounts c;
  EXPECT_TRUE(Convert("null", NestedPolicy::kJson, &c).empty());
  EXPECT_TRUE(Convert("{}", NestedPolicy::kJson, &c).empty());
  EXPECT_EQ(c["metadata.null_text_to_none"], 1u);
  EXPECT_EQ(c["metadata.empty_object_to_none"], 1u);
  PolicyEngine p({});
  Metadata m;
  EXPECT_FALSE(p.ConvertMetadataText(std::nullopt, &m, nullptr));
  EXPECT_TRUE(m.empty());
}

TEST(Policies, ScalarsKeptWithTheirTypes) {
  Metadata m = Convert(R"({"s": "x", "i": 3, "f": 1.0, "b": true, "neg": -7})");
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(std::get<std::string>(m[0].value), "x");
  EXPECT_EQ(std::get<int64_t>(m[1].value), 3);
  EXPECT_EQ(std::get<double>(m[2].value), 1.0);  // a float stays a float
  EXPECT_EQ(std::get<bool>(m[3].value), true);
  EXPECT_EQ(m[4].key, "neg");
}

TEST(Policies, NullAndNonFiniteValuesDropped) {
  ChangeCounts c;
  Metadata m = Convert(R"({"a": null, "b": NaN, "c": Infinity, "d": -Infinity, "e": 2})", NestedPolicy::kJson, &c);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].key, "e");
  EXPECT_EQ(c["metadata.null_value_dropped"], 1u);
  EXPECT_EQ(c["metadata.non_finite_dropped"], 3u);
}

TEST(Policies, NestedValuesByPolicy) {
  const std::string text = R"({"o": {"b": 1, "a": [1, 2.5, "x"]}, "k": "v"})";
  Metadata json = Convert(text, NestedPolicy::kJson);
  EXPECT_EQ(std::get<std::string>(json[0].value), R"({"b":1,"a":[1,2.5,"x"]})");
  Metadata flat = Convert(text, NestedPolicy::kFlatten);
  ASSERT_EQ(flat.size(), 5u);
  EXPECT_EQ(flat[0].key, "o.b");
  EXPECT_EQ(flat[1].key, "o.a.0");
  EXPECT_EQ(std::get<double>(flat[2].value), 2.5);
  EXPECT_EQ(flat[3].key, "o.a.2");
  Metadata dropped = Convert(text, NestedPolicy::kDrop);
  ASSERT_EQ(dropped.size(), 1u);
  PolicyOptions o;
  o.nested = NestedPolicy::kFail;
  Metadata m;
  auto bad = PolicyEngine(o).ConvertMetadataText(text, &m, nullptr);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "metadata.nested");
}

TEST(Policies, BigIntsBecomeTheirDigits) {
  Metadata m = Convert(R"({"n": 123456789012345678901234567890})");
  EXPECT_EQ(std::get<std::string>(m[0].value), "123456789012345678901234567890");
}

TEST(Policies, DoubleEncodedAndNonObjectMetadata) {
  ChangeCounts c;
  Metadata m = Convert(R"("{\"a\": 1}")", NestedPolicy::kJson, &c);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(c["metadata.double_encoded_decoded"], 1u);
  PolicyEngine p({});
  for (const char* text : {"[1, 2]", "3", "\"just text\""}) {
    auto bad = p.ConvertMetadataText(std::string(text), &m, nullptr);
    ASSERT_TRUE(bad) << text;
    EXPECT_EQ(bad->code, "metadata.not_object");
  }
  auto bad = p.ConvertMetadataText(std::string("{\"a\": }"), &m, nullptr);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "metadata.invalid_json");
  bad = p.ConvertMetadataText(std::string(R"({"chroma:document": "x"})"), &m, nullptr);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "metadata.reserved_key");
}

TEST(Policies, NullIds) {
  ConvertedRecord out;
  ChangeCounts c;
  auto r = Legacy(std::nullopt, {1, 2}, std::nullopt);
  EXPECT_FALSE(PolicyEngine({}).ConvertRecord(r, &out, &c));
  EXPECT_EQ(out.id, "uuid-1");
  EXPECT_EQ(c["id.null_replaced_by_uuid"], 1u);
  PolicyOptions o;
  o.null_ids = NullIdPolicy::kReject;
  auto bad = PolicyEngine(o).ConvertRecord(r, &out, &c);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "id.null");
}

TEST(Policies, BadEmbeddingsRejected) {
  PolicyEngine p({});
  ConvertedRecord out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case { std::vector<double> emb; bool is_null; size_t null_elements; const char* code; };
  for (const Case& c : {Case{{}, true, 0, "embedding.null"}, Case{{}, false, 0, "embedding.empty"},
                        Case{{1, nan}, false, 0, "embedding.non_finite"},
                        Case{{1, nan}, false, 1, "embedding.null_element"},
                        Case{{1, 1e300}, false, 0, "embedding.out_of_float32_range"}}) {
    auto r = Legacy(std::string("x"), c.emb, std::nullopt);
    r.embedding_is_null = c.is_null;
    r.null_elements = c.null_elements;
    auto bad = p.ConvertRecord(r, &out, nullptr);
    ASSERT_TRUE(bad) << c.code;
    EXPECT_EQ(bad->code, c.code);
  }
}

// The conversion checks a whole vector at once and walks it again only when something is wrong:
// the first bad value is the one named; the float32 limits themselves pass unchanged.
TEST(Policies, EmbeddingLimitsAndFirstBadValue) {
  PolicyEngine p({});
  ConvertedRecord out;
  const double flt_max = static_cast<double>(std::numeric_limits<float>::max());
  auto ok = Legacy(std::string("x"), {flt_max, -flt_max, 0.5, -0.0, 1e-45}, std::nullopt);
  ASSERT_FALSE(p.ConvertRecord(ok, &out, nullptr));
  ASSERT_EQ(out.embedding.size(), 5u);
  EXPECT_EQ(out.embedding[0], std::numeric_limits<float>::max());
  EXPECT_EQ(out.embedding[1], -std::numeric_limits<float>::max());
  EXPECT_EQ(out.embedding[2], 0.5f);
  EXPECT_EQ(out.embedding[4], static_cast<float>(1e-45));

  std::vector<double> v(1000, 0.25);
  v[700] = std::numeric_limits<double>::infinity();
  v[900] = 1e300;
  auto bad = p.ConvertRecord(Legacy(std::string("x"), v, std::nullopt), &out, nullptr);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "embedding.non_finite");
  EXPECT_EQ(bad->detail, "embedding value 700 is Infinity");
  v[300] = -1e39;
  bad = p.ConvertRecord(Legacy(std::string("x"), v, std::nullopt), &out, nullptr);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "embedding.out_of_float32_range");
  EXPECT_EQ(bad->detail.rfind("embedding value 300 = ", 0), 0u) << bad->detail;
}

TEST(Policies, CollectionNames) {
  EXPECT_FALSE(CollectionNameProblem("langchain"));
  EXPECT_FALSE(CollectionNameProblem("testing-table"));
  EXPECT_TRUE(CollectionNameProblem("ab"));
  EXPECT_TRUE(CollectionNameProblem("my collection"));
  EXPECT_TRUE(CollectionNameProblem("_abc"));
  EXPECT_TRUE(CollectionNameProblem("a..b"));
  EXPECT_TRUE(CollectionNameProblem("192.168.0.1"));
  SourceCollection c;
  c.key = "k";
  c.name = "my collection";
  c.location = "chroma-collections.parquet row 0";
  auto spec = PolicyEngine({}).ConvertCollection(c, nullptr);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("--rename 'my collection=new_name'"), std::string::npos) << spec.status().message();
  PolicyOptions o;
  o.renames["my collection"] = "my_collection";
  spec = PolicyEngine(o).ConvertCollection(c, nullptr);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->name, "my_collection");
}

TEST(Policies, HnswParamsFromCollectionMetadata) {
  SourceCollection c;
  c.key = "k";
  c.name = "coll";
  c.metadata_text = R"({"hnsw:space": "cosine", "hnsw:M": "32", "hnsw:construction_ef": 200, "hnsw:search_ef": 50.0})";
  auto spec = PolicyEngine({}).ConvertCollection(c, nullptr);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->hnsw.space, Space::kCosine);
  EXPECT_EQ(spec->hnsw.max_neighbors, 32);
  EXPECT_EQ(spec->hnsw.ef_construction, 200);
  EXPECT_EQ(spec->hnsw.ef_search, 50);
  EXPECT_EQ(spec->metadata.size(), 4u);  // the keys stay in metadata, as Chroma keeps them
  EXPECT_EQ(std::get<int64_t>(spec->metadata[1].value), 32);  // "32" → 32: Chroma 1.x wants numbers
  c.metadata_text = R"({"hnsw:space": "manhattan"})";
  spec = PolicyEngine({}).ConvertCollection(c, nullptr);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("hnsw:space"), std::string::npos);
}

TEST(CollectionBuffer, DuplicatesAndDimensions) {
  CollectionSpec spec;
  spec.name = "coll";
  for (DuplicatePolicy dp : {DuplicatePolicy::kLast, DuplicatePolicy::kFirst, DuplicatePolicy::kFail}) {
    CollectionBuffer b(spec, dp);
    ChangeCounts c;
    std::optional<ConvertedRecord> displaced;
    std::optional<RejectReason> why;
    std::string loc;
    ASSERT_TRUE(b.Add({"a", {1, 2}, "first", std::nullopt, {}}, "row 0", &displaced, &loc, &why, &c).ok());
    ASSERT_TRUE(b.Add({"b", {1, 2, 3}, std::nullopt, std::nullopt, {}}, "row 1", &displaced, &loc, &why, &c).ok());
    ASSERT_TRUE(why);
    EXPECT_EQ(why->code, "embedding.dimension_mismatch");
    Status s = b.Add({"a", {3, 4}, "second", std::nullopt, {}}, "row 2", &displaced, &loc, &why, &c);
    if (dp == DuplicatePolicy::kFail) {
      EXPECT_FALSE(s.ok());
      continue;
    }
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(b.records().size(), 1u);
    ASSERT_TRUE(displaced);
    if (dp == DuplicatePolicy::kLast) {
      EXPECT_EQ(*b.records().documents[0], "second");
      EXPECT_EQ(b.records().embedding(0)[0], 3.0f);
      EXPECT_EQ(*displaced->document, "first");
      EXPECT_EQ(loc, "row 0");
    } else {
      EXPECT_EQ(*b.records().documents[0], "first");
      EXPECT_EQ(*displaced->document, "second");
    }
  }
}

}  // namespace
}  // namespace cm
