// ClickHouseSource against a real private ClickHouse (scripts/clickhouse-server.sh): records come
// in (collection_uuid, uuid) order across pages, Next() hands out exactly what is asked, and a
// Checkpoint() taken after any record — also inside a run of rows sharing one key — lets a new
// source continue with exactly the remaining records. Skipped when clickhouse-server is absent
// (a failure under CM_REQUIRE_ENGINES=1).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "sources/clickhouse_source.h"
#include "test_env.h"

namespace cm {
namespace {

class ClickHouseSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string out;
    if (test::RunCommand("command -v clickhouse-server >/dev/null", nullptr) != 0) return;
    if (test::RunCommand(test::SourceDir() + "/scripts/clickhouse-server.sh start", &out) != 0) return;
    if (std::sscanf(out.c_str(), "%d %d %d", &http_port_, &tcp_port_, &pid_) != 3) return;
    dir_ = test::MakeTempDir("clickhouse-source");
    Load();
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) (void)test::RunCommand(fmt::format("{}/scripts/clickhouse-server.sh stop {}", test::SourceDir(), pid_));
    pid_ = 0;
  }
  void SetUp() override {
    if (pid_ > 0 && loaded_) return;
    if (test::EnginesRequired()) FAIL() << "ClickHouse is required (CM_REQUIRE_ENGINES=1); run scripts/install-clickhouse.sh";
    GTEST_SKIP() << "clickhouse-server is not installed or did not start; run scripts/install-clickhouse.sh";
  }

  static bool Sql(const std::string& sql) {
    std::string path = dir_ + "/q.sql";
    std::ofstream(path) << sql;
    std::string out;
    int rc = test::RunCommand(fmt::format("curl -sS -f --data-binary @{} http://127.0.0.1:{}/", path, http_port_), &out);
    return rc == 0;
  }

  static void Load() {
    loaded_ = Sql("CREATE DATABASE unit_ch") &&
              Sql("CREATE TABLE unit_ch.collections ( uuid UUID, name String, metadata String ) ENGINE = MergeTree() "
                  "ORDER BY uuid") &&
              Sql("CREATE TABLE unit_ch.embeddings ( collection_uuid UUID, uuid UUID, embedding Array(Float64), "
                  "document Nullable(String), id Nullable(String), metadata Nullable(String) ) ENGINE = MergeTree() "
                  "ORDER BY collection_uuid") &&
              Sql("INSERT INTO unit_ch.collections VALUES (toUUID('11111111-0000-4000-8000-000000000000'), 'one', "
                  "'null'), (toUUID('22222222-0000-4000-8000-000000000000'), 'empty', '{}')");
    std::string rows;
    for (int i = 0; i < 20; ++i) {
      // Rows 5, 6 and 7 share one uuid (Chroma never writes that; the reader must still not lose them).
      int u = (i >= 5 && i <= 7) ? 5 : i;
      rows += fmt::format("{}(toUUID('11111111-0000-4000-8000-000000000000'), "
                          "toUUID('00000000-0000-4000-8000-{:012d}'), [{}.5, -0.25], {}, {}, {})",
                          rows.empty() ? "" : ", ", u, i, i % 4 == 0 ? "NULL" : fmt::format("'doc {}'", i),
                          i == 3 ? "NULL" : fmt::format("'id-{:02d}'", i), i % 3 == 0 ? "NULL" : "'{}'");
    }
    loaded_ = loaded_ && Sql("INSERT INTO unit_ch.embeddings VALUES " + rows);
  }

  std::unique_ptr<ClickHouseSource> Open(int page_rows) {
    auto s = ClickHouseSource::OpenClickHouse(
        fmt::format("clickhouse://127.0.0.1:{}/unit_ch?page_rows={}", http_port_, page_rows), EndpointOptions{});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  static std::string Key(const SourceRecord& r) {
    return fmt::format("{}|{}|{}|{}|{}", r.fallback_id, r.id.value_or("<null>"), r.document.value_or("<null>"),
                       r.embedding.empty() ? -1.0 : r.embedding[0], r.metadata_text.value_or("<null>"));
  }

  static std::vector<std::string> ReadAll(ClickHouseSource* s, size_t batch) {
    std::vector<std::string> keys;
    for (bool done = false; !done;) {
      std::vector<SourceRecord> out;
      Status st = s->Next(batch, &out, &done);
      EXPECT_TRUE(st.ok()) << st.ToString();
      if (!st.ok()) break;
      for (auto& r : out) keys.push_back(Key(r));
    }
    return keys;
  }

  static inline int http_port_ = 0, tcp_port_ = 0, pid_ = 0;
  static inline bool loaded_ = false;
  static inline std::string dir_;
};

TEST_F(ClickHouseSourceTest, ListsCollectionsAndStreamsEveryRecordOnce) {
  auto s = Open(4);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->TotalRecords(), std::optional<uint64_t>(20));
  auto colls = s->ListCollections();
  ASSERT_TRUE(colls.ok());
  ASSERT_EQ(colls->size(), 2u);
  EXPECT_EQ((*colls)[0].name, "one");
  EXPECT_EQ((*colls)[0].metadata_text, std::optional<std::string>("null"));
  EXPECT_EQ((*colls)[1].name, "empty");
  auto keys = ReadAll(s.get(), 3);
  ASSERT_EQ(keys.size(), 20u);
  std::set<std::string> unique(keys.begin(), keys.end());
  EXPECT_EQ(unique.size(), 20u);
  EXPECT_NE(std::find(keys.begin(), keys.end(),
                      "00000000-0000-4000-8000-000000000003|<null>|doc 3|3.5|<null>"),
            keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "00000000-0000-4000-8000-000000000000|id-00|<null>|0.5|<null>"),
            keys.end());
  // A page size that divides nothing evenly and one larger than the table give the same order.
  auto s1 = Open(7);
  auto s2 = Open(1000);
  EXPECT_EQ(ReadAll(s1.get(), 5), keys);
  EXPECT_EQ(ReadAll(s2.get(), 64), keys);
}

TEST_F(ClickHouseSourceTest, ResumesFromACheckpointAfterAnyRecord) {
  auto whole = Open(4);
  ASSERT_TRUE(whole);
  auto all = ReadAll(whole.get(), 100);
  ASSERT_EQ(all.size(), 20u);
  for (size_t k : {1u, 4u, 6u, 7u, 8u, 19u, 20u}) {
    auto first = Open(4);
    std::vector<SourceRecord> got;
    bool done = false;
    ASSERT_TRUE(first->Next(k, &got, &done).ok());
    ASSERT_EQ(got.size(), k);
    std::string checkpoint = first->Checkpoint();
    ASSERT_FALSE(checkpoint.empty());
    auto second = Open(3);
    ASSERT_TRUE(second->ResumeFrom(checkpoint).ok());
    std::vector<std::string> rest = ReadAll(second.get(), 5);
    std::vector<std::string> want(all.begin() + k, all.end());
    EXPECT_EQ(rest, want) << "after " << k << " records, checkpoint " << checkpoint;
  }
}

TEST_F(ClickHouseSourceTest, RejectsAForeignCheckpoint) {
  auto s = Open(4);
  Status st = s->ResumeFrom("{\"offset\": 5}");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), fmt::format("clickhouse://127.0.0.1:{}/unit_ch: the resume checkpoint is not one this source "
                                      "wrote (expected {{\"collection_uuid\", \"uuid\", \"at_key\"}}, found "
                                      "{{\"offset\": 5}})",
                                      http_port_));
}

}  // namespace
}  // namespace cm
