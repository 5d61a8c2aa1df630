// RecordSpill: records come back per partition in the order they were added, whether held in
// memory or moved to the (unlinked) temporary file when the budget is exceeded; the encoding
// round-trips every metadata type; short input is a Corrupt error.
#include "pipeline/record_spill.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "test_env.h"

namespace cm {
namespace {

// Points TMPDIR at a fresh directory for the life of the object.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& dir) : dir_(dir) {
    const char* old = std::getenv("TMPDIR");
    if (old) old_ = old;
    setenv("TMPDIR", dir.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (old_) setenv("TMPDIR", old_->c_str(), 1);
    else unsetenv("TMPDIR");
  }

 private:
  std::string dir_;
  std::optional<std::string> old_;
};

std::string Rec(int i) { return "record-" + std::to_string(i) + std::string(static_cast<size_t>(i % 37), 'x'); }

// Reads every partition back: partition -> records in order.
std::map<size_t, std::vector<std::string>> ReadAll(const RecordSpill& s) {
  std::map<size_t, std::vector<std::string>> out;
  for (size_t p = 0; p < s.partitions(); ++p) {
    Status st = s.ForEach(p, [&](ByteCursor& c) -> Status {
      std::string_view v;
      CM_RETURN_IF_ERROR(c.ReadBytes(c.remaining(), &v, "record"));
      out[p].emplace_back(v);
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return out;
}

TEST(RecordSpill, FitsInMemory) {
  RecordSpill s("test records", 1 << 20);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.Add(static_cast<uint64_t>(i) * 7919, Rec(i)).ok());
  ASSERT_TRUE(s.Finish().ok());
  EXPECT_EQ(s.partitions(), 1u);
  EXPECT_FALSE(s.on_disk());
  auto all = ReadAll(s);
  ASSERT_EQ(all[0].size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(all[0][static_cast<size_t>(i)], Rec(i));
}

TEST(RecordSpill, PartitionsOnDiskKeepOrderAndLeaveNothingBehind) {
  std::string dir = test::MakeTempDir("spill");
  ScopedTmpdir tmp(dir);
  RecordSpill s("test records", 4096);  // exceeded after a few dozen records
  const int n = 5000;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(s.Add(SpillHash("c", std::to_string(i % 1700)), Rec(i)).ok());
  ASSERT_TRUE(s.Finish().ok());
  EXPECT_TRUE(s.on_disk());
  EXPECT_EQ(s.partitions(), 64u);  // no expected count given
  EXPECT_EQ(s.records(), static_cast<uint64_t>(n));
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "the spill file must be unlinked";
  auto all = ReadAll(s);
  // Each record is in the partition of its hash, and each partition keeps the order of adding.
  std::map<size_t, std::vector<std::string>> want;
  for (int i = 0; i < n; ++i) want[SpillHash("c", std::to_string(i % 1700)) % 64].push_back(Rec(i));
  EXPECT_EQ(all, want);
  size_t total = 0;
  for (const auto& [p, v] : all) total += v.size();
  EXPECT_EQ(total, static_cast<size_t>(n));

  RecordSpill other("other records", 4096);
  ASSERT_TRUE(other.StartPartitioned(s.partitions()).ok());
  ASSERT_TRUE(other.Add(SpillHash("c", "5"), "five").ok());
  ASSERT_TRUE(other.Finish().ok());
  EXPECT_EQ(ReadAll(other)[SpillHash("c", "5") % 64], std::vector<std::string>{"five"});
}

TEST(RecordSpill, ExpectedRecordsSizeThePartitions) {
  std::string dir = test::MakeTempDir("spill-expected");
  ScopedTmpdir tmp(dir);
  RecordSpill s("test records", 4096);
  s.set_expected_records(5000);  // about 5000 × (25 + 64) bytes against halves of 4 KiB: a few hundred
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(s.Add(SpillHash("c", std::to_string(i)), Rec(i)).ok());
  ASSERT_TRUE(s.Finish().ok());
  EXPECT_GT(s.partitions(), 64u);
  EXPECT_LT(s.partitions(), 1024u);
  size_t total = 0;
  for (const auto& [p, v] : ReadAll(s)) total += v.size();
  EXPECT_EQ(total, 5000u);
}

TEST(RecordSpill, PartitionsForAnEstimate) {
  EXPECT_EQ(RecordSpill::PartitionsFor(std::nullopt, 256 << 20), 64u);
  EXPECT_EQ(RecordSpill::PartitionsFor(uint64_t{1} << 30, 256 << 20), 8u);  // 1 GiB in halves of the budget
  EXPECT_EQ(RecordSpill::PartitionsFor(1, 256 << 20), 2u);
  EXPECT_EQ(RecordSpill::PartitionsFor(uint64_t{1} << 50, 256 << 20), 1024u);
}

TEST(RecordSpill, UnwritableTmpdirNamesTheDirectory) {
  ScopedTmpdir tmp("/nonexistent-dir-for-chroma-migrate-test");
  RecordSpill s("expected records", 16);
  Status st = s.Add(1, std::string(64, 'a'));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("/nonexistent-dir-for-chroma-migrate-test"), std::string::npos) << st.ToString();
  EXPECT_NE(st.ToString().find("TMPDIR"), std::string::npos) << st.ToString();
}

TEST(SpillEncoding, RoundTripsEveryType) {
  Metadata m{{"b", true}, {"i", int64_t{-42}}, {"d", 2.5}, {"s", std::string("text")}, {"f", false}};
  std::vector<float> fl{1.5f, -0.0f, 3e38f};
  std::vector<double> db{1e300, -2.25};
  SpillEncoder e;
  e.U32(7);
  e.Str("id-1");
  e.OptStr(std::nullopt);
  e.OptStr(std::string("doc"));
  e.Meta(m);
  e.Floats(fl.data(), fl.size());
  e.Doubles(db.data(), db.size());
  ByteCursor c(e.bytes(), "spill");
  uint32_t u = 0;
  std::string id;
  std::optional<std::string> none, doc;
  Metadata m2;
  std::vector<float> fl2;
  std::vector<double> db2;
  ASSERT_TRUE(c.ReadLE(&u, "u32").ok());
  ASSERT_TRUE(SpillStr(c, &id).ok());
  ASSERT_TRUE(SpillOptStr(c, &none).ok());
  ASSERT_TRUE(SpillOptStr(c, &doc).ok());
  ASSERT_TRUE(SpillMeta(c, &m2).ok());
  ASSERT_TRUE(SpillFloats(c, &fl2).ok());
  ASSERT_TRUE(SpillDoubles(c, &db2).ok());
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(u, 7u);
  EXPECT_EQ(id, "id-1");
  EXPECT_FALSE(none);
  EXPECT_EQ(doc, "doc");
  EXPECT_EQ(m2, m);
  EXPECT_EQ(fl2, fl);
  EXPECT_EQ(db2, db);

  // Every truncation is a Corrupt error, never a crash or a silent success.
  for (size_t cut = 0; cut < e.bytes().size(); ++cut) {
    ByteCursor t(std::string_view(e.bytes()).substr(0, cut), "spill");
    Status st = t.ReadLE(&u, "u32");
    if (st.ok()) st = SpillStr(t, &id);
    if (st.ok()) st = SpillOptStr(t, &none);
    if (st.ok()) st = SpillOptStr(t, &doc);
    if (st.ok()) st = SpillMeta(t, &m2);
    if (st.ok()) st = SpillFloats(t, &fl2);
    if (st.ok()) st = SpillDoubles(t, &db2);
    EXPECT_FALSE(st.ok()) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace cm
