// Queue replay semantics (modern-format.md §8): add/update/upsert/delete applied per segment
// view, JSON null deleting a key, chroma:document/chroma:uri, and the max_seq_id thresholds.
#include <gtest/gtest.h>

#include "formats/json/json_reader.h"
#include "sources/modern_replay.h"

namespace cm {
namespace {

Value J(const char* text) { return ParseJson(text).value(); }
VectorRef Q(uint64_t seq) { return {VectorRef::Kind::kQueue, seq}; }
VectorRef S(uint64_t slot) { return {VectorRef::Kind::kSlot, slot}; }
const VectorRef kNoVec{};

// A record's fields; none held reads as empty.
const RecordFields& Fields(const LiveRecord& r) {
  static const RecordFields kNone;
  return r.fields ? *r.fields : kNone;
}

const LiveRecord* FindRec(const std::vector<LiveRecord>& v, const std::string& id) {
  for (const auto& r : v) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

TEST(ModernReplay, AddInsertsOnlyWhenAbsent) {
  CollectionState s;
  ASSERT_TRUE(s.Apply(QueueOp::kAdd, "a", Q(1), J(R"({"k":1,"chroma:document":"d1"})"), true, true).ok());
  ASSERT_TRUE(s.Apply(QueueOp::kAdd, "a", Q(2), J(R"({"k":2,"chroma:document":"d2"})"), true, true).ok());
  auto out = s.Finish();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].vector, Q(1));
  EXPECT_EQ(Fields(out[0]).document, "d1");
  EXPECT_EQ(Fields(out[0]).metadata, (Value::Object{{"k", Value::Int(1)}}));
}

// Materialised records keep their fields in SQLite (a rowid) until a queue update has to merge
// into them: only then is the loader asked, once; untouched and deleted records never load.
TEST(ModernReplay, MaterialisedFieldsLoadOnlyForAMerge) {
  std::vector<int64_t> loaded;
  CollectionState s([&](int64_t rowid) -> Result<RecordFields> {
    loaded.push_back(rowid);
    return RecordFields{"stored doc", std::nullopt, {{"k", Value::Int(1)}, {"x", Value::String("y")}}};
  });
  s.PutMaterialised("a", 10);
  s.PutMaterialised("b", 11);
  s.PutMaterialised("c", 12);
  ASSERT_TRUE(s.Apply(QueueOp::kUpdate, "b", kNoVec, J(R"({"k":null,"n":2})"), true, true).ok());
  ASSERT_TRUE(s.Apply(QueueOp::kUpdate, "b", kNoVec, J(R"({"chroma:document":"new"})"), true, true).ok());
  ASSERT_TRUE(s.Apply(QueueOp::kDelete, "c", kNoVec, Value(), true, true).ok());
  ASSERT_TRUE(s.Apply(QueueOp::kUpdate, "a", kNoVec, J(R"({"k":5})"), false, true).ok());  // metadata view already has it
  EXPECT_EQ(loaded, std::vector<int64_t>{11});
  auto out = s.Finish();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, "a");
  EXPECT_EQ(out[0].rowid, 10);
  EXPECT_EQ(out[1].id, "b");
  EXPECT_EQ(out[1].rowid, 0);
  EXPECT_EQ(Fields(out[1]).document, "new");
  EXPECT_EQ(Fields(out[1]).metadata, (Value::Object{{"x", Value::String("y")}, {"n", Value::Int(2)}}));
  // A loader failure is the replay's failure.
  CollectionState failing([](int64_t) -> Result<RecordFields> { return Status::Corrupt("unreadable"); });
  failing.PutMaterialised("a", 1);
  EXPECT_FALSE(failing.Apply(QueueOp::kUpdate, "a", kNoVec, J(R"({"k":1})"), true, true).ok());
}

TEST(ModernReplay, UpdateMergesAndNullDeletes) {
  CollectionState s;
  s.PutMetadataRecord("a", RecordFields{"doc", "u://1", {{"k", Value::Int(1)}, {"x", Value::String("y")}}});
  s.PutVector("a", S(4));
  ASSERT_TRUE(s.Apply(QueueOp::kUpdate, "a", kNoVec, J(R"({"k":null,"n":2.5,"chroma:document":"new"})"), true, true).ok());
  ASSERT_TRUE(s.Apply(QueueOp::kUpdate, "missing", Q(9), J(R"({"k":1})"), true, true).ok());
  auto out = s.Finish();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].vector, S(4));  // an update without a vector keeps it
  EXPECT_EQ(Fields(out[0]).document, "new");
  EXPECT_EQ(Fields(out[0]).uri, "u://1");
  EXPECT_EQ(Fields(out[0]).metadata, (Value::Object{{"x", Value::String("y")}, {"n", Value::Double(2.5)}}));
  ASSERT_TRUE(s.Apply(QueueOp::kUpdate, "a", Q(10), J(R"({"chroma:uri":null})"), true, true).ok());
  out = s.Finish();
  EXPECT_EQ(out[0].vector, Q(10));
  EXPECT_FALSE(Fields(out[0]).uri.has_value());
}

TEST(ModernReplay, UpsertInsertsOrUpdates) {
  CollectionState s;
  s.PutMetadataRecord("a", RecordFields{"doc", std::nullopt, {{"k", Value::Int(1)}}});
  s.PutVector("a", S(0));
  ASSERT_TRUE(s.Apply(QueueOp::kUpsert, "a", Q(5), J(R"({"t":true})"), true, true).ok());
  ASSERT_TRUE(s.Apply(QueueOp::kUpsert, "b", Q(6), J(R"({"chroma:document":"b"})"), true, true).ok());
  auto out = s.Finish();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].vector, Q(5));
  EXPECT_EQ(Fields(out[0]).document, "doc");
  EXPECT_EQ(Fields(out[0]).metadata, (Value::Object{{"k", Value::Int(1)}, {"t", Value::Bool(true)}}));
  EXPECT_EQ(out[1].id, "b");
  EXPECT_EQ(Fields(out[1]).document, "b");
  EXPECT_TRUE(Fields(out[1]).metadata.empty());
}

TEST(ModernReplay, DeleteThenReAdd) {
  CollectionState s;
  s.PutMetadataRecord("a", RecordFields{"old", std::nullopt, {}});
  s.PutVector("a", S(1));
  ASSERT_TRUE(s.Apply(QueueOp::kDelete, "a", kNoVec, Value::Null(), true, true).ok());
  EXPECT_EQ(s.live_count(), 0u);
  ASSERT_TRUE(s.Apply(QueueOp::kAdd, "a", Q(7), J(R"({"chroma:document":"new"})"), true, true).ok());
  auto out = s.Finish();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].vector, Q(7));
  EXPECT_EQ(Fields(out[0]).document, "new");
}

TEST(ModernReplay, SegmentsApplyOnlyRowsBeyondTheirMaxSeqId) {
  // Metadata segment already has the add (seq ≤ its max); the HNSW index does not.
  CollectionState s;
  s.PutMetadataRecord("a", RecordFields{"d", std::nullopt, {}});
  ASSERT_TRUE(s.Apply(QueueOp::kAdd, "a", Q(3), J(R"({"chroma:document":"ignored"})"), false, true).ok());
  // An update the HNSW index already holds but the metadata segment does not.
  ASSERT_TRUE(s.Apply(QueueOp::kUpdate, "a", Q(4), J(R"({"k":"v"})"), true, false).ok());
  auto out = s.Finish();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].vector, Q(3));
  EXPECT_EQ(Fields(out[0]).document, "d");
  EXPECT_EQ(Fields(out[0]).metadata, (Value::Object{{"k", Value::String("v")}}));
  // A delete only the vector segment sees leaves a record without a vector.
  ASSERT_TRUE(s.Apply(QueueOp::kDelete, "a", kNoVec, Value::Null(), false, true).ok());
  EXPECT_EQ(s.Finish()[0].vector.kind, VectorRef::Kind::kNone);
}

TEST(ModernReplay, DuplicateAddsOfTheWalCollapse) {
  // kb-model-dup-adds: 35 ADDs for 19 ids.
  CollectionState s;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 19; ++i) {
      ASSERT_TRUE(s.Apply(QueueOp::kAdd, "id" + std::to_string(i), Q(round * 19 + i + 1), Value::Null(), true, true).ok());
    }
  }
  auto out = s.Finish();
  ASSERT_EQ(out.size(), 19u);
  EXPECT_EQ(FindRec(out, "id3")->vector, Q(4));
}

TEST(ModernReplay, VectorsWithoutMetadataAreCountedNotEmitted) {
  CollectionState s;
  s.PutVector("ghost", S(2));
  EXPECT_EQ(s.Finish().size(), 0u);
  EXPECT_EQ(s.vector_only_count(), 1u);
}

TEST(ModernReplay, NonObjectMetadataIsCorrupt) {
  CollectionState s;
  Status st = s.Apply(QueueOp::kAdd, "a", Q(1), J("[1,2]"), true, true);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_EQ(st.message(), "queue record for id \"a\": metadata is not a JSON object");
}

}  // namespace
}  // namespace cm
