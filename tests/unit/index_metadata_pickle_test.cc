// The pickle is checked byte by byte against the layout serde-pickle writes (modern-format.md
// §3.7) and, when python3 is present, loaded by CPython's own unpickler.
#include <gtest/gtest.h>

#include <fstream>

#include "formats/pickle/index_metadata_pickle.h"
#include "test_env.h"

namespace cm {
namespace {

TEST(IndexMetadataPickle, MatchesSerdeLayout) {
  IndexMetadata m;
  m.dimensionality = 4;
  m.total_elements_added = 2;
  m.id_to_label = {{"a", 1}, {"b", 2}};
  std::string p = EncodeIndexMetadataPickle(m);
  using namespace std::string_literals;
  const std::string expected = "\x80\x03}("s + "X\x0e\0\0\0dimensionalityJ\x04\0\0\0"s +
                               "X\x14\0\0\0total_elements_addedJ\x02\0\0\0"s + "X\x0a\0\0\0max_seq_idN"s +
                               "X\x0b\0\0\0id_to_label}(X\x01\0\0\0aJ\x01\0\0\0X\x01\0\0\0bJ\x02\0\0\0u"s +
                               "X\x0b\0\0\0label_to_id}(J\x01\0\0\0X\x01\0\0\0aJ\x02\0\0\0X\x01\0\0\0bu"s +
                               "X\x0c\0\0\0id_to_seq_id}u."s;
  EXPECT_EQ(p.size(), expected.size());
  EXPECT_EQ(p, expected);
}

TEST(IndexMetadataPickle, CPythonReadsItBack) {
  if (test::RunCommand("python3 -c 'import pickle' 2>/dev/null") != 0) GTEST_SKIP() << "python3 is not installed";
  IndexMetadata m;
  m.dimensionality = 384;
  m.total_elements_added = 2500;
  for (uint32_t i = 1; i <= 2500; ++i) m.id_to_label.emplace_back("id-\xC3\xA9-" + std::to_string(i), i);
  std::string dir = test::MakeTempDir("pickle");
  std::ofstream(dir + "/p.pickle", std::ios::binary) << EncodeIndexMetadataPickle(m);
  std::string out;
  int rc = test::RunCommand("python3 -c \"import pickle,sys; d=pickle.load(open(sys.argv[1],'rb')); "
                            "assert d['dimensionality']==384 and d['total_elements_added']==2500 and d['max_seq_id'] is None; "
                            "assert len(d['id_to_label'])==2500 and d['id_to_label']['id-\\u00e9-7']==7; "
                            "assert all(d['id_to_label'][v]==k for k,v in d['label_to_id'].items()); "
                            "assert d['id_to_seq_id']=={}; print('ok')\" " + dir + "/p.pickle", &out);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, "ok\n");
}

TEST(IndexMetadataPickle, LargeLabelsUseLong1) {
  IndexMetadata m;
  m.total_elements_added = 3000000000u;
  m.id_to_label = {{"x", 3000000000u}};
  std::string p = EncodeIndexMetadataPickle(m);
  // 3e9 = 0xB2D05E00: LONG1 with 5 bytes (a 0 sign byte keeps it positive).
  EXPECT_NE(p.find(std::string("\x8a\x05\x00\x5e\xd0\xb2\x00", 7)), std::string::npos);
}

}  // namespace
}  // namespace cm
