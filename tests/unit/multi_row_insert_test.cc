// MultiRowInsert against a real SQLite database: the rows land in order with their types, a
// partly filled statement goes in at Flush, and a failure names the rows' owners.
#include "chroma/multi_row_insert.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chroma/sqlite_db.h"
#include "test_env.h"

namespace cm {
namespace {

using V = MultiRowInsert::Value;

Db OpenTable(const std::string& tag) {
  auto db = Db::Open(test::MakeTempDir(tag) + "/t.sqlite3", Db::Mode::kReadWriteCreate);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE(db->Exec("PRAGMA journal_mode=OFF; CREATE TABLE t (k INTEGER UNIQUE, s TEXT, f REAL, n INTEGER)").ok());
  return std::move(*db);
}

// Every row as "k|s|f|n|type of n", in rowid order.
std::vector<std::string> Rows(Db& db) {
  std::vector<std::string> out;
  auto q = db.Prepare("SELECT k, quote(s), quote(f), quote(n), typeof(n) FROM t ORDER BY rowid");
  EXPECT_TRUE(q.ok());
  if (!q.ok()) return out;
  bool row = false;
  while (q->Step(&row).ok() && row) {
    out.push_back(q->ColumnText(0) + "|" + q->ColumnText(1) + "|" + q->ColumnText(2) + "|" + q->ColumnText(3) + "|" +
                  q->ColumnText(4));
  }
  return out;
}

TEST(MultiRowInsert, RowsLandInOrderWithTheirTypesAcrossFullAndPartStatements) {
  Db db = OpenTable("multi-row-order");
  auto ins = MultiRowInsert::Prepare(db, "t", {"k", "s", "f", "n"});
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  const int rows = 2 * MultiRowInsert::kRows + 5;  // two full statements and five rows at Flush
  std::vector<std::string> texts, expected;
  texts.reserve(rows);
  for (int i = 0; i < rows; ++i) texts.push_back("text " + std::to_string(i) + " with 'quote'");
  for (int i = 0; i < rows; ++i) {
    V s = i % 3 == 0 ? V{} : V{std::string_view(texts[i])};
    V f = i % 2 == 0 ? V{i + 0.25} : V{};
    ASSERT_TRUE(ins->Add("owner", {int64_t{i}, s, f, int64_t{-i}}).ok());
    std::string sq = i % 3 == 0 ? "NULL" : "'text " + std::to_string(i) + " with ''quote'''";
    std::string fq = i % 2 == 0 ? std::to_string(i) + ".25" : "NULL";
    expected.push_back(std::to_string(i) + "|" + sq + "|" + fq + "|" + std::to_string(-i) + "|integer");
  }
  EXPECT_EQ(ins->waiting_rows(), 5u);
  EXPECT_EQ(Rows(db).size(), static_cast<size_t>(2 * MultiRowInsert::kRows)) << "full statements run as they fill";
  ASSERT_TRUE(ins->Flush().ok());
  EXPECT_EQ(ins->waiting_rows(), 0u);
  EXPECT_EQ(Rows(db), expected);
}

TEST(MultiRowInsert, AFailedStatementNamesTheOwnersOfItsRows) {
  Db db = OpenTable("multi-row-fail");
  auto ins = MultiRowInsert::Prepare(db, "t", {"k"});
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  std::vector<std::string> owners;
  for (int i = 0; i < MultiRowInsert::kRows; ++i) owners.push_back("rec" + std::to_string(i / 4));
  Status last;
  for (int i = 0; i < MultiRowInsert::kRows; ++i) last = ins->Add(owners[i], {int64_t{i == 9 ? 3 : i}});
  ASSERT_FALSE(last.ok());
  EXPECT_NE(last.message().find("one of records \"rec0\", \"rec1\", \"rec2\", \"rec3\""), std::string::npos)
      << last.ToString();
  EXPECT_NE(last.message().find("UNIQUE constraint failed"), std::string::npos) << last.ToString();

  // At Flush each row is its own statement: the owner is exact.
  ASSERT_TRUE(db.Exec("DELETE FROM t").ok());
  ASSERT_TRUE(ins->Add("first", {int64_t{7}}).ok());
  ASSERT_TRUE(ins->Add("second", {int64_t{7}}).ok());
  Status flushed = ins->Flush();
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.message().find("record \"second\": "), 0u) << flushed.ToString();
}

TEST(MultiRowInsert, AWrongNumberOfValuesIsRefused) {
  Db db = OpenTable("multi-row-arity");
  auto ins = MultiRowInsert::Prepare(db, "t", {"k", "s"});
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  Status s = ins->Add("x", {int64_t{1}});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1 values for 2 columns"), std::string::npos) << s.ToString();
  EXPECT_EQ(ins->waiting_rows(), 0u);
}

}  // namespace
}  // namespace cm
