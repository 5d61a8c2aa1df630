// The safe unpickler and the index_metadata.pickle reader: both forms Chroma writes (the Rust
// protocol-3 dict, the Python protocol-5 PersistentData class instance), CPython's own output
// when python3 is present, and the corruption suite (every truncation, byte flips, refused
// opcodes, cycles, depth bombs, absurd lengths) with the exact error each gives.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "formats/pickle/index_metadata_pickle.h"
#include "formats/pickle/index_metadata_reader.h"
#include "formats/pickle/pickle_reader.h"
#include "test_env.h"

namespace cm {
namespace {

using namespace std::string_literals;

std::string ShortStr(const std::string& s) { return "\x8c"s + static_cast<char>(s.size()) + s; }

// The Python 0.x form of modern-format.md §3.7, protocol 5 with FRAME, MEMOIZE and BINGET.
std::string PythonClassPickle() {
  std::string body = ShortStr("chromadb.segment.impl.vector.local_persistent_hnsw") + "\x94" +
                     ShortStr("PersistentData") + "\x94" + "\x93\x94" + ")\x81\x94" + "}\x94(" +
                     ShortStr("dimensionality") + "K\x04" + ShortStr("total_elements_added") + "K\x02" +
                     ShortStr("max_seq_id") + "\x8a\x02\x2c\x01" +  // 300 as LONG1
                     ShortStr("id_to_label") + "}\x94(" + ShortStr("a") + "\x94K\x01" + ShortStr("b") + "\x94K\x02u" +
                     ShortStr("label_to_id") + "}(K\x01h\x06K\x02h\x07u" + ShortStr("id_to_seq_id") + "}u" + "b.";
  std::string frame = "\x95"s + std::string(8, '\0');
  uint64_t n = body.size();
  std::memcpy(frame.data() + 1, &n, 8);
  return "\x80\x05"s + frame + body;
}

TEST(PickleReader, ReadsTheRustDictForm) {
  IndexMetadata m;
  m.dimensionality = 4;
  m.total_elements_added = 3;
  m.id_to_label = {{"x", 1}, {"y", 3}};
  auto r = ReadIndexMetadataPickle(EncodeIndexMetadataPickle(m), "p");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->class_form);
  EXPECT_EQ(r->dimensionality, 4);
  EXPECT_EQ(r->total_elements_added, 3u);
  EXPECT_FALSE(r->max_seq_id.has_value());
  ASSERT_EQ(r->label_to_id.size(), 2u);
  EXPECT_EQ(r->label_to_id.at(3), "y");
}

TEST(PickleReader, ReadsThePythonClassFormWithoutRunningIt) {
  auto r = ReadIndexMetadataPickle(PythonClassPickle(), "p");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->class_form);
  EXPECT_EQ(r->dimensionality, 4);
  EXPECT_EQ(r->max_seq_id, 300u);
  ASSERT_EQ(r->label_to_id.size(), 2u);
  EXPECT_EQ(r->label_to_id.at(1), "a");
  EXPECT_EQ(r->label_to_id.at(2), "b");
  auto tree = pickle::ParsePickle(PythonClassPickle(), "p");
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ((*tree)->module, "chromadb.segment.impl.vector.local_persistent_hnsw");
  EXPECT_EQ((*tree)->name, "PersistentData");
}

TEST(PickleReader, ReadsWhatCPythonWrites) {
  if (test::RunCommand("python3 -c 'import pickle' 2>/dev/null") != 0) GTEST_SKIP() << "python3 is not installed";
  std::string dir = test::MakeTempDir("pickle-cpython");
  std::string script =
      "import pickle,sys,types\n"
      "n='chromadb.segment.impl.vector.local_persistent_hnsw'.split('.')\n"
      "for i in range(1,len(n)+1): sys.modules['.'.join(n[:i])]=types.ModuleType('.'.join(n[:i]))\n"
      "m=sys.modules['.'.join(n)]\n"
      "class PersistentData:\n"
      "  def __init__(s,**k): s.__dict__.update(k)\n"
      "PersistentData.__module__=m.__name__; m.PersistentData=PersistentData\n"
      "ids=['id-%d-\\u00e9' % i for i in range(1,3001)]\n"
      "d=PersistentData(dimensionality=8,total_elements=3000,total_elements_added=3005,max_seq_id=2**40,"
      "id_to_label={x:i+6 for i,x in enumerate(ids)},label_to_id={i+6:x for i,x in enumerate(ids)},"
      "id_to_seq_id={x:i for i,x in enumerate(ids)},total_elements_updated=0,total_invalid_operations=0)\n"
      "open(sys.argv[1]+'/c.pickle','wb').write(pickle.dumps(d,protocol=5))\n"
      "open(sys.argv[1]+'/d4.pickle','wb').write(pickle.dumps(dict(d.__dict__),protocol=4))\n";
  std::ofstream(dir + "/w.py") << script;
  ASSERT_EQ(test::RunCommand("python3 " + dir + "/w.py " + dir), 0);
  for (const char* f : {"/c.pickle", "/d4.pickle"}) {
    auto r = ReadIndexMetadataPickle(test::ReadFileOrDie(dir + f), f);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->total_elements_added, 3005u);
    EXPECT_EQ(r->max_seq_id, uint64_t{1} << 40);
    ASSERT_EQ(r->label_to_id.size(), 3000u);
    EXPECT_EQ(r->label_to_id.at(6), "id-1-\xC3\xA9");
  }
}

TEST(PickleReader, EveryTruncationFailsCleanly) {
  for (const std::string& p : {PythonClassPickle(), EncodeIndexMetadataPickle({4, 2, {{"a", 1}, {"b", 2}}})}) {
    for (size_t n = 0; n < p.size(); ++n) {
      auto r = ReadIndexMetadataPickle(std::string_view(p).substr(0, n), "t.pickle");
      ASSERT_FALSE(r.ok()) << "prefix " << n;
      EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
      EXPECT_NE(r.status().message().find("t.pickle at offset"), std::string::npos) << r.status().ToString();
    }
  }
}

TEST(PickleReader, ByteFlipsNeverCrash) {
  std::mt19937 rng(5);
  const std::string good = PythonClassPickle();
  for (int iter = 0; iter < 3000; ++iter) {
    std::string p = good;
    for (int k = 0; k < 3; ++k) p[rng() % p.size()] = static_cast<char>(rng());
    auto r = ReadIndexMetadataPickle(p, "f");  // any Status is fine; crashing or hanging is not
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
    }
  }
}

TEST(PickleReader, RefusesToCallAnything) {
  auto r = pickle::ParsePickle("\x80\x02" "cos\nsystem\n" "X\x02\0\0\0id" "\x85R."s, "evil");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("REDUCE calls a function"), std::string::npos) << r.status().ToString();
}

TEST(PickleReader, RejectsCyclesDepthBombsAndAbsurdLengths) {
  auto self = pickle::ParsePickle("\x80\x02]\x94h\x00" "a."s, "c");
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.status().message().find("would contain itself"), std::string::npos) << self.status().ToString();
  // [[outer]]: the inner list takes the outer one, then the outer is modified.
  auto cyc = pickle::ParsePickle("\x80\x02]\x94]h\x00" "aa."s, "c");
  ASSERT_FALSE(cyc.ok());
  EXPECT_NE(cyc.status().message().find("(a cycle)"), std::string::npos) << cyc.status().ToString();
  std::string deep = "\x80\x02"s;
  for (int i = 0; i < 100; ++i) deep += "]";
  for (int i = 0; i < 99; ++i) deep += "a";
  deep += ".";
  auto d = pickle::ParsePickle(deep, "d");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("nested deeper than 64"), std::string::npos) << d.status().ToString();
  auto big = pickle::ParsePickle("\x80\x03X\xff\xff\xff\xff" "abc."s, "b");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("BINUNICODE of 4294967295 bytes, but only 4 bytes are left"), std::string::npos)
      << big.status().ToString();
  auto memo = pickle::ParsePickle("\x80\x03h\x07."s, "m");
  ASSERT_FALSE(memo.ok());
  EXPECT_NE(memo.status().message().find("memo index 7 was never stored"), std::string::npos);
  auto two = pickle::ParsePickle("\x80\x03NN."s, "s");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("STOP with 2 values on the stack"), std::string::npos);
}

TEST(PickleReader, NamesMissingAndMistypedKeys) {
  auto r = ReadIndexMetadataPickle("\x80\x03}(X\x14\0\0\0total_elements_addedK\x01X\x0b\0\0\0id_to_label}u."s, "m.pickle");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "m.pickle: missing key label_to_id");
  auto t = ReadIndexMetadataPickle(
      "\x80\x03}(X\x14\0\0\0total_elements_addedK\x01X\x0b\0\0\0id_to_label}X\x0b\0\0\0label_to_id}(K\x01K\x02uu."s,
      "m.pickle");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "m.pickle: label_to_id entry 0 (label 1): the id is a int; expected a str");
  auto l = ReadIndexMetadataPickle("\x80\x03]."s, "m.pickle");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("holds a list; expected a dict"), std::string::npos);
}

}  // namespace
}  // namespace cm
