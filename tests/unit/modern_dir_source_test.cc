// ModernDirSource on the real fixtures (skipped visibly when ../shared/fixtures is absent):
// schema detection by filename, tenants/databases, the space from schema_str, NULL
// dimensions, orphan folders, WAL de-duplication, and that the source files stay unchanged. Also
// RecoverHnswConfig's precedence (schema_str > config_json_str > segment metadata).
#include <gtest/gtest.h>

#include <filesystem>

#include "chroma/sqlite_db.h"
#include "chroma/stored_config.h"
#include "formats/json/json_reader.h"
#include "pipeline/policies.h"
#include "sources/modern_dir_source.h"
#include "test_env.h"

namespace cm {
namespace {

std::string Fixture(const std::string& name) {
  std::string root = test::FixturesDir();
  if (root.empty()) return "";
  std::string p = root + "/modern/" + name;
  return std::filesystem::is_directory(p) ? p : "";
}

struct Read {
  std::unique_ptr<Source> src;
  std::vector<SourceCollection> colls;
  std::vector<SourceRecord> recs;
};

Read ReadAll(const std::string& dir) {
  Read r;
  auto s = ModernDirSource::Open(dir, EndpointOptions{});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return r;
  r.src = std::move(s).value();
  r.colls = r.src->ListCollections().value();
  bool done = false;
  while (!done) EXPECT_TRUE(r.src->Next(50, &r.recs, &done).ok());
  return r;
}

#define NEED_FIXTURE(var, name)                                        \
  std::string var = Fixture(name);                                     \
  if (var.empty()) GTEST_SKIP() << "fixture modern/" name " is absent"

TEST(ModernDirSource, DevBranchSchemaIsRecognisedByFilename) {
  NEED_FIXTURE(dir, "chroma-core-example-testdb");
  Read r = ReadAll(dir);
  EXPECT_NE(r.src->Describe().find("metadb 4 = 00004-segment_id"), std::string::npos) << r.src->Describe();
  ASSERT_EQ(r.recs.size(), 1u);
  EXPECT_EQ(r.recs[0].embedding.size(), 384u);
}

TEST(ModernDirSource, TenantsDatabasesAndNullDimension) {
  NEED_FIXTURE(dir, "chroma-core-multitenant");
  Read r = ReadAll(dir);
  ASSERT_EQ(r.colls.size(), 2u);
  EXPECT_EQ(r.colls[0].name, "testingtesting");
  EXPECT_FALSE(r.colls[0].dimension.has_value());
  EXPECT_EQ(r.colls[1].tenant, "b1f6fa55-5c0a-4f93-82bb-fc398ed2e788");
  EXPECT_EQ(r.colls[1].database, "helloworld");
  EXPECT_EQ(r.recs.size(), 3u);
  EndpointOptions other;
  other.tenant = "nobody";
  other.tenant_given = true;
  auto s = ModernDirSource::Open(dir, other);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)->ListCollections().value().empty());
}

// Chroma 1.5 keeps array values in embedding_metadata_array, one row per element. No 1.5 server
// can run here, so a copy of a 1.x fixture that already has the table (metadb 6) is given rows
// the way 1.5's Rust code writes them; they come back as arrays, elements in order and typed,
// and the default policy stores them as JSON text (the 1.0 schema has no array values).
TEST(ModernDirSource, ArrayMetadataOf15IsReadAsArrays) {
  NEED_FIXTURE(fixture, "day09-v1x-cosine");
  std::string dir = test::MakeTempDir("array-meta") + "/copy";
  std::filesystem::copy(fixture, dir, std::filesystem::copy_options::recursive);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    std::filesystem::permissions(e.path(), std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  }
  {
    auto db = Db::Open(dir + "/chroma.sqlite3", Db::Mode::kReadWriteCreate);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("INSERT INTO embedding_metadata_array (id, key, string_value, int_value, float_value, bool_value) "
                         "VALUES (1, 'tags', 'b', NULL, NULL, NULL), (1, 'tags', 'a', NULL, NULL, NULL), "
                         "(1, 'nums', NULL, 3, NULL, NULL), (1, 'nums', NULL, NULL, 2.5, NULL), "
                         "(1, 'flags', NULL, NULL, NULL, 1)").ok());
  }
  Read r = ReadAll(dir);
  const SourceRecord* rec = nullptr;
  for (const auto& x : r.recs) {
    if (x.id == "policy_chunk_0000") rec = &x;
  }
  ASSERT_NE(rec, nullptr);
  ASSERT_FALSE(rec->metadata_is_text);
  auto tags = rec->metadata.Find("tags"), nums = rec->metadata.Find("nums"), flags = rec->metadata.Find("flags");
  ASSERT_TRUE(tags && nums && flags);
  EXPECT_EQ(*tags, ParseJson("[\"b\",\"a\"]").value());
  EXPECT_EQ(*nums, ParseJson("[3,2.5]").value());
  EXPECT_EQ(*flags, ParseJson("[true]").value());
  EXPECT_NE(rec->metadata.Find("citation"), nullptr);  // the scalar keys are still there

  PolicyEngine policy({});
  ConvertedRecord out;
  ChangeCounts changes;
  ASSERT_FALSE(policy.ConvertRecord(*rec, &out, &changes));
  EXPECT_EQ(std::get<std::string>(*FindMetadata(out.metadata, "tags")), "[\"b\",\"a\"]");
  EXPECT_EQ(std::get<std::string>(*FindMetadata(out.metadata, "nums")), "[3,2.5]");
  EXPECT_EQ(std::get<std::string>(*FindMetadata(out.metadata, "flags")), "[true]");
  EXPECT_EQ(changes["metadata.nested_to_json"], 3u);
}

TEST(ModernDirSource, SpaceFromSchemaStrAndOrphanFolders) {
  NEED_FIXTURE(dir, "day09-v1x-cosine");
  Read r = ReadAll(dir);
  ASSERT_EQ(r.colls.size(), 1u);
  ASSERT_TRUE(r.colls[0].hnsw.has_value());
  EXPECT_EQ(r.colls[0].hnsw->space, Space::kCosine);
  EXPECT_EQ(r.recs.size(), 33u);
  EXPECT_NE(r.src->Describe().find("orphan segment folders ignored: 325b5a15-551a-4606-bf9d-5e5e7388d9cf"),
            std::string::npos);
  auto* m = dynamic_cast<ModernDirSource*>(r.src.get());
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->Warnings().size(), 1u);
}

TEST(ModernDirSource, WalReplayDeduplicatesAdds) {
  NEED_FIXTURE(dir, "kb-model-dup-adds");
  Read r = ReadAll(dir);
  EXPECT_EQ(r.recs.size(), 19u);
  for (const auto& rec : r.recs) {
    EXPECT_EQ(rec.embedding.size(), 384u);
    EXPECT_FALSE(rec.metadata_is_text);
  }
}

TEST(ModernDirSource, QueueOnlyCollectionIsComplete) {
  NEED_FIXTURE(dir, "c-rag-v1x-1536-sqliteonly");
  Read r = ReadAll(dir);
  ASSERT_EQ(r.recs.size(), 199u);
  EXPECT_EQ(r.recs[0].embedding.size(), 1536u);
  EXPECT_TRUE(r.recs[0].document.has_value());
  EXPECT_TRUE(r.recs[0].metadata.is_object());
}

TEST(ModernDirSource, BrokenSegmentNamesTheMissingFile) {
  std::string root = test::FixturesDir();
  std::string dir = root + "/broken/modern-plagiarism-v1x-pickle-no-datalevel0";
  if (root.empty() || !std::filesystem::is_directory(dir)) GTEST_SKIP() << "broken fixture absent";
  auto s = ModernDirSource::Open(dir, EndpointOptions{});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<SourceRecord> recs;
  bool done = false;
  Status st = (*s)->Next(10, &recs, &done);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("80166a5e-03ed-4826-aa8e-70feecb30b31/data_level0.bin: missing"), std::string::npos)
      << st.message();
}

TEST(StoredConfig, Precedence) {
  Value seg = ParseJson(R"({"hnsw:space":"cosine","hnsw:M":32})").value();
  auto a = RecoverHnswConfig(R"({"keys":{"#embedding":{"float_list":{"vector_index":{"config":{"space":"ip","hnsw":{"max_neighbors":8}}}}}}})",
                             R"({"vector_index":{"hnsw":{"space":"l2"}}})", seg);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->params.space, Space::kIp);
  EXPECT_EQ(a->params.max_neighbors, 8);
  EXPECT_EQ(a->origin, "schema_str");
  auto b = RecoverHnswConfig(std::nullopt, R"({"hnsw_configuration":{"space":"cosine","M":12,"_type":"x"}})", seg);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->params.space, Space::kCosine);
  EXPECT_EQ(b->params.max_neighbors, 12);
  auto c = RecoverHnswConfig(std::nullopt, R"({})", seg);  // default config: the segment metadata wins
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->params.space, Space::kCosine);
  EXPECT_EQ(c->params.max_neighbors, 32);
  EXPECT_EQ(c->origin, "segment_metadata");
  auto d = RecoverHnswConfig(std::nullopt, std::nullopt, Value::Null());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->params.space, Space::kL2);
  auto e = RecoverHnswConfig(std::nullopt, R"({"vector_index":{"hnsw":{"space":"manhattan"}}})", Value::Null());
  EXPECT_EQ(e.status().message(), "collections.config_json_str: space is not \"l2\", \"cosine\" or \"ip\"");
}

}  // namespace
}  // namespace cm
