// FulltextIndexWriter against SQLite's FTS5 itself: for the same documents, the native writer's
// shadow-table rows must be FTS5's own, byte for byte, when FTS5 writes its postings out in one
// flush (a hash large enough, one transaction), but for the structure record, which has the
// segment one level up; with several segments, FTS5's integrity-check
// must pass and every query must find what FTS5's own index finds; and FTS5 must go on
// inserting and deleting in the result as in its own (as Chroma does after a migration).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "chroma/fulltext_index.h"
#include "chroma/schema.h"
#include "chroma/sqlite_db.h"
#include "formats/fts5/varint.h"
#include "test_env.h"

namespace cm {
namespace {

using Docs = std::vector<std::pair<int64_t, std::string>>;

Db FreshDb(const std::string& tag) {
  auto db = Db::Open(test::MakeTempDir(tag) + "/chroma.sqlite3", Db::Mode::kReadWriteCreate);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE(ApplyChromaSchema(*db).ok());
  return std::move(*db);
}

// FTS5 itself: every document through the virtual table, in one transaction, with a hash large
// enough that the postings are written once, at COMMIT.
Db ByFts5(const std::string& tag, const Docs& docs) {
  Db db = FreshDb(tag);
  EXPECT_TRUE(db.Exec("INSERT INTO embedding_fulltext_search (embedding_fulltext_search, rank) VALUES ('hashsize', 1073741824)").ok());
  EXPECT_TRUE(db.Exec("BEGIN").ok());
  auto ins = db.Prepare("INSERT INTO embedding_fulltext_search (rowid, string_value) VALUES (?, ?)");
  EXPECT_TRUE(ins.ok());
  for (const auto& [rowid, text] : docs) {
    EXPECT_TRUE(ins->BindInt(1, rowid).ok());
    EXPECT_TRUE(ins->BindText(2, text).ok());
    EXPECT_TRUE(ins->Run().ok());
  }
  EXPECT_TRUE(db.Exec("COMMIT").ok());
  EXPECT_TRUE(db.Exec("DELETE FROM embedding_fulltext_search_config WHERE k = 'hashsize'").ok());
  return db;
}

struct NativeOptions {
  size_t budget = FulltextIndexWriter::kDefaultMemoryBudget;  // 1: spill at every batch
  size_t finish_every = 0;  // documents; Finish after each that many (a segment each), 0: only at the end
  size_t* segments = nullptr;
  size_t* spills = nullptr;
};

Db Native(const std::string& tag, const Docs& docs, NativeOptions o = {}) {
  Db db = FreshDb(tag);
  EXPECT_TRUE(db.Exec("BEGIN").ok());
  auto w = FulltextIndexWriter::Start(&db, test::MakeTempDir(tag + "-scratch"), o.budget);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  size_t added = 0;
  for (const auto& [rowid, text] : docs) {
    Status s = (*w)->Add(rowid, text);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (o.finish_every && ++added % o.finish_every == 0) {
      EXPECT_TRUE((*w)->Finish().ok());
    }
  }
  EXPECT_TRUE((*w)->Finish().ok());
  if (o.segments) *o.segments = (*w)->segments();
  if (o.spills) *o.spills = (*w)->spills();
  w->reset();
  EXPECT_TRUE(db.Exec("COMMIT").ok());
  return db;
}

// Rows of a shadow table as (key, hex of the value), the structure record without its cookie
// (FTS5 counts configuration changes in it: the reference's hashsize setting).
std::vector<std::pair<std::string, std::string>> Rows(Db& db, const std::string& sql) {
  std::vector<std::pair<std::string, std::string>> out;
  auto q = db.Prepare(sql);
  EXPECT_TRUE(q.ok()) << sql;
  bool row = false;
  while (q->Step(&row).ok() && row) out.emplace_back(q->ColumnText(0), q->ColumnText(1));
  return out;
}

std::vector<uint8_t> Structure(Db& db) {
  auto q = db.Prepare("SELECT block FROM embedding_fulltext_search_data WHERE id = 10");
  EXPECT_TRUE(q.ok());
  bool row = false;
  EXPECT_TRUE(q->Step(&row).ok() && row);
  std::string_view b = q->ColumnBlob(0);
  return std::vector<uint8_t>(b.begin(), b.end());
}

std::vector<uint64_t> Varints(const std::vector<uint8_t>& bytes, size_t from) {
  std::vector<uint64_t> out;
  for (size_t at = from; at < bytes.size();) {
    uint64_t v = 0;
    at += fts5::GetVarint(bytes.data() + at, &v);
    out.push_back(v);
  }
  return out;
}

// FTS5's flush leaves its one segment on level 0: (levels 1, segments 1, writes W, level 0:
// merging 0, segments 1, (segid, first page, last page)). The native writer puts it on level 1,
// as 'optimize' would: (2, 1, W, level 0: 0, 0, level 1: 0, 1, (segid, first, last)), with the
// cookie it found (0 in a new table; the reference's hashsize setting counted 1).
void ExpectSameStructureOnLevelOne(Db& want, Db& got) {
  const std::vector<uint8_t> w = Structure(want), g = Structure(got);
  ASSERT_GE(g.size(), 4u);
  EXPECT_EQ(std::vector<uint8_t>(g.begin(), g.begin() + 4), std::vector<uint8_t>(4, 0));
  const std::vector<uint64_t> wv = Varints(w, 4), gv = Varints(g, 4);
  ASSERT_EQ(wv.size(), 8u);
  EXPECT_EQ(gv, (std::vector<uint64_t>{2, 1, wv[2], 0, 0, 0, 1, wv[5], wv[6], wv[7]}));
}

void ExpectSameShadowTables(Db& want, Db& got) {
  ExpectSameStructureOnLevelOne(want, got);
  for (const char* sql : {
           "SELECT id, hex(block) FROM embedding_fulltext_search_data WHERE id != 10 ORDER BY id",
           "SELECT segid || '/' || hex(term) || '/' || typeof(term), pgno FROM embedding_fulltext_search_idx ORDER BY segid, term",
           "SELECT id, c0 || '/' || typeof(c0) FROM embedding_fulltext_search_content ORDER BY id",
           "SELECT id, hex(sz) || '/' || typeof(sz) FROM embedding_fulltext_search_docsize ORDER BY id",
           "SELECT k, v FROM embedding_fulltext_search_config ORDER BY k"}) {
    auto w = Rows(want, sql), g = Rows(got, sql);
    ASSERT_EQ(w.size(), g.size()) << sql;
    for (size_t i = 0; i < w.size(); ++i) ASSERT_EQ(w[i], g[i]) << sql << " row " << i;
  }
}

std::vector<int64_t> Match(Db& db, const std::string& query) {
  auto q = db.Prepare("SELECT rowid FROM embedding_fulltext_search WHERE embedding_fulltext_search MATCH ? ORDER BY rowid");
  EXPECT_TRUE(q.ok());
  EXPECT_TRUE(q->BindText(1, query).ok());
  std::vector<int64_t> out;
  bool row = false;
  while (q->Step(&row).ok() && row) out.push_back(q->ColumnInt(0));
  return out;
}

void ExpectIntegrity(Db& db) {
  Status s = db.Exec("INSERT INTO embedding_fulltext_search (embedding_fulltext_search) VALUES ('integrity-check')");
  EXPECT_TRUE(s.ok()) << s.ToString();
}

std::string Words(std::mt19937& rng, size_t chars) {
  static const char* kWords[] = {"The", "quick", "brown", "fox", "jumps", "över", "the", "lazy", "dog", "naïve",
                                 "café", "Straße", "日本語の", "テキスト", "😀emoji", "ÅNGSTRÖM", "a", "to", "x"};
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::string s;
  while (s.size() < chars) {
    if (!s.empty()) s += ' ';
    s += kWords[pick(rng)];
  }
  return s;
}

Docs Mixed(size_t n, size_t chars, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> len(0, chars);
  Docs docs;
  int64_t rowid = 0;
  for (size_t i = 0; i < n; ++i) {
    rowid += 1 + static_cast<int64_t>(rng() % 3);  // gaps, as after rejected records
    docs.emplace_back(rowid, Words(rng, len(rng)));
  }
  docs.emplace_back(rowid + 1, "");    // no token
  docs.emplace_back(rowid + 2, "ab");  // shorter than a trigram
  docs.emplace_back(rowid + 200, "large rowid deltas: " + Words(rng, 100));
  docs.emplace_back(int64_t{1} << 40, "a rowid whose varint takes six bytes; " + Words(rng, 50));
  docs.emplace_back((int64_t{1} << 57) + 3, "and one of nine bytes; " + Words(rng, 50));
  return docs;
}

struct Case {
  const char* name;
  Docs docs;
};

std::vector<Case> Cases() {
  std::vector<Case> c;
  c.push_back({"ShortDocuments", Mixed(2000, 80, 1)});
  c.push_back({"LongDocuments", Mixed(300, 20000, 2)});  // position lists over several pages
  Docs common;  // one term in every row: a doclist over many pages, with a doclist index
  for (int64_t i = 1; i <= 6000; ++i) common.emplace_back(i, fmt::format("zzz row {} zzz", i * 7919 % 100003));
  c.push_back({"DoclistIndex", std::move(common)});
  Docs deep;  // 4,500 rows of 4,000 characters of one trigram: a doclist index of two levels
  for (int64_t i = 1; i <= 4500; ++i) deep.emplace_back(i, std::string(4000, 'q'));
  c.push_back({"TwoLevelDoclistIndex", std::move(deep)});
  // Batches of documents with most of the 17,576 three-letter terms, then batches with few of
  // them (the run builder orders a batch's terms one way or the other by how many it has).
  std::mt19937 rng(3);
  Docs narrowing;
  for (int64_t i = 1; i <= 1000; ++i) {
    std::string text(1000, ' ');
    if (i <= 400) {
      for (char& ch : text) ch = static_cast<char>('a' + rng() % 26);
    } else {
      text = Words(rng, 1000);
    }
    narrowing.emplace_back(i, std::move(text));
  }
  c.push_back({"VocabularyNarrows", std::move(narrowing)});
  return c;
}

// Also with the postings spilled to the scratch file at every batch of documents (a budget of
// one byte): the external merge must give the very same segment.
TEST(FulltextIndexWriter, SameRowsAsFts5sOwnFlush) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    Db want = ByFts5(std::string("fts-ref-") + c.name, c.docs);
    size_t text = 0;
    for (const auto& d : c.docs) text += d.second.size();
    for (size_t budget : {FulltextIndexWriter::kDefaultMemoryBudget, size_t{1}}) {
      SCOPED_TRACE(budget);
      size_t segments = 0, spills = 0;
      Db got = Native(fmt::format("fts-native-{}-{}", c.name, budget), c.docs, {budget, 0, &segments, &spills});
      EXPECT_EQ(segments, 1u);
      if (budget == 1 && text > 4 * (size_t{256} << 10)) {
        EXPECT_GT(spills, 2u);
      } else if (text * 4 <= budget) {  // within the budget (the two-level case's 18 MB is not)
        EXPECT_EQ(spills, 0u);
      }
      ExpectSameShadowTables(want, got);
      ExpectIntegrity(got);
    }
  }
}

// The doclist index cases must really have one (else they test nothing more than the others).
TEST(FulltextIndexWriter, CasesReachDoclistIndexesOfOneAndTwoLevels) {
  for (const Case& c : Cases()) {
    if (std::string(c.name).find("DoclistIndex") == std::string::npos) continue;
    Db got = Native(std::string("fts-dlidx-") + c.name, c.docs);
    auto q = got.Prepare("SELECT count(*), max((id >> 31) & 31) FROM embedding_fulltext_search_data WHERE (id >> 36) & 1");
    ASSERT_TRUE(q.ok());
    bool row = false;
    ASSERT_TRUE(q->Step(&row).ok() && row);
    EXPECT_GT(q->ColumnInt(0), 0) << c.name;
    if (std::string(c.name) == "TwoLevelDoclistIndex") {
      EXPECT_EQ(q->ColumnInt(1), 1) << c.name;
    }
  }
}

std::vector<std::string> Queries() {
  return {"\"the\"", "\"quick brown\"", "\"CAFÉ\"", "\"日本語\"", "\"😀em\"", "\"zzz row 1\"", "\"qqqq\"", "\"ngs\"",
          "\"lazy dog the\"", "\"rowid deltas\"", "\"nowhere at all\""};
}

// FTS5's own index of `docs`, and the native one with a segment per `every` documents (Finish
// called again after more documents writes another), which must pass FTS5's integrity-check.
std::pair<Db, Db> WithSegments(const std::string& tag, const Docs& docs, size_t every, size_t* segments) {
  Db want = ByFts5(tag + "-ref", docs);
  Db got = Native(tag + "-native", docs, {.finish_every = every, .segments = segments});
  ExpectIntegrity(got);
  return {std::move(want), std::move(got)};
}

// FTS5 must read several segments as one index.
TEST(FulltextIndexWriter, SeveralSegmentsReadAsOneIndex) {
  size_t segments = 0;
  auto [want, got] = WithSegments("fts-multi", Mixed(3000, 600, 3), 500, &segments);
  EXPECT_GE(segments, 6u);
  for (const std::string& q : Queries()) EXPECT_EQ(Match(got, q), Match(want, q)) << q;
}

int64_t Count(Db& db, const std::string& sql) {
  auto q = db.Prepare(sql);
  EXPECT_TRUE(q.ok()) << sql;
  bool row = false;
  EXPECT_TRUE(q->Step(&row).ok() && row) << sql;
  return q->ColumnInt(0);
}

// So many segments that FTS5 would merge a level 0 of them all at once at the next write (its
// crisis merge, from 16): on level 1 the next write leaves them (its automerge works on them a
// little at a time), with every query still answered as by FTS5's own index.
TEST(FulltextIndexWriter, ManySegmentsAreNotMergedAllAtOnceByTheNextWrite) {
  size_t segments = 0;
  auto [want, got] = WithSegments("fts-crisis", Mixed(5000, 300, 6), 200, &segments);
  ASSERT_GE(segments, 16u);
  for (Db* db : {&want, &got}) {
    ASSERT_TRUE(db->Exec("INSERT INTO embedding_fulltext_search (rowid, string_value) VALUES (99999997, 'the quick newcomer')").ok());
  }
  EXPECT_GE(Count(got, "SELECT count(DISTINCT segid) FROM embedding_fulltext_search_idx"), static_cast<int64_t>(segments));
  ExpectIntegrity(got);
  for (const std::string& q : Queries()) EXPECT_EQ(Match(got, q), Match(want, q)) << q;
  EXPECT_EQ(Match(got, "\"newcomer\""), std::vector<int64_t>{99999997});
}

// After the migration Chroma inserts, deletes and replaces rows through FTS5: the native index
// must take that as FTS5's own does, and end the same for every query.
TEST(FulltextIndexWriter, Fts5UpdatesItAsItsOwn) {
  Docs docs = Mixed(2500, 400, 4);
  for (NativeOptions o : {NativeOptions{}, NativeOptions{.budget = 1, .finish_every = 700}}) {
    SCOPED_TRACE(o.budget);
    Db want = ByFts5("fts-upd-ref", docs);
    Db got = Native("fts-upd-native", docs, o);
    std::mt19937 rng(5);
    const std::string more = Words(rng, 300);
    for (Db* db : {&want, &got}) {
      ASSERT_TRUE(db->Exec("BEGIN").ok());
      ASSERT_TRUE(db->Exec(fmt::format("INSERT INTO embedding_fulltext_search (rowid, string_value) VALUES "
                                       "(99999997, 'the quick brown newcomer'), (99999998, '{}')", more)).ok());
      ASSERT_TRUE(db->Exec("DELETE FROM embedding_fulltext_search WHERE rowid % 7 = 0").ok());
      ASSERT_TRUE(db->Exec("UPDATE embedding_fulltext_search SET string_value = 'replaced text' WHERE rowid % 11 = 0").ok());
      ASSERT_TRUE(db->Exec("COMMIT").ok());
      ASSERT_TRUE(db->Exec("INSERT INTO embedding_fulltext_search (embedding_fulltext_search) VALUES ('optimize')").ok());
    }
    ExpectIntegrity(got);
    for (const std::string& q : Queries()) EXPECT_EQ(Match(got, q), Match(want, q)) << q;
    EXPECT_EQ(Match(got, "\"replaced\""), Match(want, "\"replaced\""));
    EXPECT_FALSE(Match(got, "\"newcomer\"").empty());
  }
}

TEST(FulltextIndexWriter, RefusesRowsOutOfOrder) {
  Db db = FreshDb("fts-order");
  auto w = FulltextIndexWriter::Start(&db, test::MakeTempDir("fts-scratch"));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Add(5, "five").ok());
  Status s = (*w)->Add(5, "five again");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("row 5 added after row 5"), std::string::npos) << s.ToString();
}

TEST(FulltextIndexWriter, RefusesATableThatIsNotEmpty) {
  Db db = FreshDb("fts-not-empty");
  ASSERT_TRUE(db.Exec("INSERT INTO embedding_fulltext_search (rowid, string_value) VALUES (1, 'already here')").ok());
  auto w = FulltextIndexWriter::Start(&db, test::MakeTempDir("fts-scratch"));
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().ToString().find("not empty"), std::string::npos) << w.status().ToString();
}

}  // namespace
}  // namespace cm
