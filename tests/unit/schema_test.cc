// The embedded migration SQL must be byte-identical to Chroma's: Chroma refuses a database
// whose migrations rows differ in hash or text.
#include <gtest/gtest.h>

#include <map>

#include "chroma/schema.h"
#include "chroma/sqlite_db.h"
#include "test_env.h"

namespace cm {
namespace {

TEST(Schema, EmbeddedFilesMatchChromasHashes) {
  // md5 values Chroma itself stores (modern-format.md §1.1; observed on a 1.0.19 database).
  const std::map<std::string, std::string> expected = {
      {"sysdb/00001-collections.sqlite.sql", "38352d725ad1c16074fac420b22b4633"},
      {"sysdb/00002-segments.sqlite.sql", "2913cb6a503055a95f625448037e8912"},
      {"sysdb/00003-collection-dimension.sqlite.sql", "42d22d0574d31d419c2a0e7f625c93aa"},
      {"sysdb/00004-tenants-databases.sqlite.sql", "048867ce8fcdefe4023c7110e4433591"},
      {"sysdb/00005-remove-topic.sqlite.sql", "b1367c826b8fba5f96f27befdc1d42d2"},
      {"sysdb/00006-collection-segment-metadata.sqlite.sql", "4eea7468935bf25d4604a0fed2366116"},
      {"sysdb/00007-collection-config.sqlite.sql", "1c7e63bba346a42a18b6ab7f1c989bed"},
      {"sysdb/00008-maintenance-log.sqlite.sql", "0a0e7e93111a01789addf64961c6127c"},
      {"sysdb/00009-segment-collection-not-null.sqlite.sql", "054355aef9e63702bf54ea29e61563f1"},
      {"metadb/00001-embedding-metadata.sqlite.sql", "2b4cf52c4bb2676e21d6860a4409f856"},
      {"metadb/00002-embedding-metadata.sqlite.sql", "12a570f7121b3a8ce750a2a7c36da20f"},
      {"metadb/00003-full-text-tokenize.sqlite.sql", "f97ad6334aeaa8f419f01110b648b97a"},
      {"metadb/00004-metadata-indices.sqlite.sql", "fb36603a45ee2cd0254cef3ef86585e8"},
      {"metadb/00005-max-seq-id-int.sqlite.sql", "0e9de46758761b373ce682925edcc326"},
      {"embeddings_queue/00001-embeddings.sqlite.sql", "d3755dfd232be8e8301f4d7fcfb3a486"},
      {"embeddings_queue/00002-embeddings-queue-config.sqlite.sql", "8fbfe4ffb3e57f1d8bfdc58510a82e85"},
  };
  auto files = SchemaMigrations("1.0.0");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), expected.size());
  std::vector<std::string> order;
  for (const auto& f : *files) {
    order.push_back(f.dir);
    auto it = expected.find(f.dir + "/" + f.filename);
    ASSERT_NE(it, expected.end()) << f.filename;
    EXPECT_EQ(f.md5_hex, it->second) << f.filename;
    EXPECT_EQ(f.sql.find('\r'), std::string::npos);
  }
  EXPECT_EQ(order.front(), "sysdb");
  EXPECT_EQ(order.back(), "embeddings_queue");
}

TEST(Schema, AppliesAndRecordsEveryMigration) {
  std::string dir = test::MakeTempDir("schema");
  auto db = Db::Open(dir + "/chroma.sqlite3", Db::Mode::kReadWriteCreate);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(ApplyChromaSchema(db.value()).ok());
  auto q = db->Prepare("SELECT dir, version, sql, hash FROM migrations ORDER BY dir, version");
  ASSERT_TRUE(q.ok());
  int rows = 0;
  bool row = false;
  while (q->Step(&row).ok() && row) {
    ++rows;
    EXPECT_EQ(Md5Hex(q->ColumnText(2)), q->ColumnText(3));
  }
  EXPECT_EQ(rows, 16);
  // The tables Chroma 1.0 expects exist, including the FTS5 trigram table.
  for (const char* table : {"collections", "segments", "embeddings", "embedding_metadata", "max_seq_id",
                            "embeddings_queue", "embeddings_queue_config", "embedding_fulltext_search", "tenants",
                            "databases", "maintenance_log"}) {
    auto t = db->Prepare("SELECT count(*) FROM sqlite_master WHERE name = ?");
    ASSERT_TRUE(t->BindText(1, table).ok());
    ASSERT_TRUE(t->Step(&row).ok());
    EXPECT_EQ(t->ColumnInt(0), 1) << table;
  }
}

TEST(Schema, UnknownReleaseIsNotFound) {
  auto files = SchemaMigrations("9.9.9");
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cm
