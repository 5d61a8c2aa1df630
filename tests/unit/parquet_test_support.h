// Shared by the parquet reader tests: running the DuckDB helper scripts, reading a whole file
// through cm::parquet::FileReader, and comparing it cell by cell with DuckDB's own reading
// (legacy_dump.mjs --file). Doubles are compared bit for bit (DuckDB's JSON prints shortest
// round-trip numbers; NaN and infinities arrive as strings, BIGINTs as decimal strings).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "formats/parquet/file_metadata.h"
#include "formats/parquet/parquet_reader.h"
#include "io/mapped_file.h"
#include "test_env.h"

namespace cm::parquet::testing {

// Skips (or fails, when engines are required) the current test when DuckDB is not installed.
#define CM_REQUIRE_DUCKDB()                                                                   \
  do {                                                                                        \
    if (::cm::test::NodeModulesDir().empty()) {                                               \
      if (::cm::test::EnginesRequired()) FAIL() << "DuckDB (@duckdb/node-api) is not installed " \
                                                   "under .engines/ but CM_REQUIRE_ENGINES=1"; \
      GTEST_SKIP() << "DuckDB (@duckdb/node-api) is not installed under .engines/ "           \
                      "(run scripts/install-engines.sh); parquet oracle tests skipped";       \
    }                                                                                         \
  } while (0)

inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

inline std::string Script(const std::string& name) {
  return Quote(cm::test::SourceDir() + "/scripts/engines/" + name);
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::vector<nlohmann::json> ParseNdjson(const std::string& text) {
  std::vector<nlohmann::json> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

// What DuckDB reads from one parquet file.
inline std::vector<nlohmann::json> DuckDbDump(const std::string& file) {
  namespace fs = std::filesystem;
  std::string out;
  std::string cmd = "node " + Script("legacy_dump.mjs") + " " + Quote(fs::path(file).parent_path().string()) +
                    " --file " + Quote(fs::path(file).filename().string());
  int rc = cm::test::RunCommand(cmd, &out);
  EXPECT_EQ(rc, 0) << cmd;
  return ParseNdjson(out);
}

// Writes a parquet file from a query with DuckDB; returns parquet_metadata() rows.
inline std::vector<nlohmann::json> DuckDbCopy(const std::string& out_file, const std::string& query,
                                              const std::string& options) {
  std::string out;
  std::string cmd = "node " + Script("parquet_copy.mjs") + " " + Quote(out_file) + " " + Quote(query) + " " +
                    Quote(options);
  int rc = cm::test::RunCommand(cmd, &out);
  EXPECT_EQ(rc, 0) << cmd;
  return ParseNdjson(out);
}

// The whole file as read by FileReader, one column per field.
struct Column {
  FieldInfo info;
  std::vector<std::optional<std::string>> strings;
  DoubleListBatch lists;
};

inline Status ReadWholeFile(const std::string& path, size_t batch, std::vector<Column>* out) {
  auto reader = FileReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::vector<std::unique_ptr<ColumnStream>> streams;
  out->clear();
  for (const FieldInfo& f : (*reader)->fields()) {
    auto s = (*reader)->OpenColumn(f.name);
    if (!s.ok()) return s.status();
    streams.push_back(std::move(*s));
    out->push_back(Column{f, {}, {}});
  }
  for (;;) {
    size_t got_first = 0;
    for (size_t c = 0; c < streams.size(); ++c) {
      Column& col = (*out)[c];
      size_t before = col.info.leaf_type == PhysicalType::kByteArray ? col.strings.size() : col.lists.rows();
      Status st = col.info.leaf_type == PhysicalType::kByteArray ? streams[c]->ReadStrings(batch, &col.strings)
                                                                 : streams[c]->ReadDoubleLists(batch, &col.lists);
      if (!st.ok()) return st;
      size_t got = (col.info.leaf_type == PhysicalType::kByteArray ? col.strings.size() : col.lists.rows()) - before;
      if (c == 0) got_first = got;
      if (got != got_first) {
        return Status::Internal("columns returned different row counts for one batch: " + std::to_string(got) +
                                " vs " + std::to_string(got_first));
      }
    }
    if (got_first == 0 || streams.empty()) break;
  }
  if (!streams.empty() && streams[0]->rows_read() != (*reader)->num_rows()) {
    return Status::Internal("read " + std::to_string(streams[0]->rows_read()) + " rows, the footer declares " +
                            std::to_string((*reader)->num_rows()));
  }
  return Status::Ok();
}

inline uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

// DuckDB's JSON for one numeric value -> double (BIGINT arrives as a decimal string).
inline double ExpectedDouble(const nlohmann::json& j) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
    return static_cast<double>(std::stoll(s));
  }
  if (j.is_number_integer()) return static_cast<double>(j.get<int64_t>());
  if (j.is_number_unsigned()) return static_cast<double>(j.get<uint64_t>());
  return j.get<double>();
}

// True when `actual` is bit-identical to what DuckDB printed. JSON cannot carry -0.0, so an
// expected 0 accepts either zero.
inline bool SameDouble(const nlohmann::json& expected, double actual) {
  double e = ExpectedDouble(expected);
  if (std::isnan(e)) return std::isnan(actual);
  if (e == 0) return actual == 0;
  return Bits(e) == Bits(actual);
}

// Compares every cell; reports the first few differences. Returns the number of cells compared.
inline size_t ExpectSameAsDuckDb(const std::string& path, const std::vector<Column>& cols,
                                 const std::vector<nlohmann::json>& dump) {
  size_t cells = 0, failures = 0;
  for (const Column& col : cols) {
    size_t rows = col.info.leaf_type == PhysicalType::kByteArray ? col.strings.size() : col.lists.rows();
    EXPECT_EQ(rows, dump.size()) << path << " column " << col.info.name;
    if (rows != dump.size()) return cells;
  }
  for (size_t r = 0; r < dump.size() && failures < 10; ++r) {
    for (const Column& col : cols) {
      const nlohmann::json& e = dump[r].at(col.info.name);
      std::string where = path + " row " + std::to_string(r) + " column " + col.info.name;
      ++cells;
      if (col.info.leaf_type == PhysicalType::kByteArray) {
        bool ok = e.is_null() ? !col.strings[r].has_value()
                              : (col.strings[r].has_value() && *col.strings[r] == e.get<std::string>());
        if (!ok) {
          ++failures;
          ADD_FAILURE() << where << ": DuckDB " << e.dump().substr(0, 200) << ", reader "
                        << (col.strings[r] ? col.strings[r]->substr(0, 200) : "NULL");
        }
        continue;
      }
      const DoubleListBatch& b = col.lists;
      if (e.is_null()) {
        if (!b.row_is_null[r]) { ++failures; ADD_FAILURE() << where << ": expected NULL"; }
        continue;
      }
      if (b.row_is_null[r]) { ++failures; ADD_FAILURE() << where << ": unexpected NULL, DuckDB " << e.dump(); continue; }
      nlohmann::json elems = col.info.is_list ? e : nlohmann::json::array({e});
      size_t begin = b.offsets[r], end = b.offsets[r + 1];
      if (elems.size() != end - begin) {
        ++failures;
        ADD_FAILURE() << where << ": DuckDB has " << elems.size() << " elements, reader " << end - begin;
        continue;
      }
      for (size_t k = 0; k < elems.size(); ++k) {
        bool ok = elems[k].is_null() ? b.value_is_null[begin + k] == 1
                                     : (b.value_is_null[begin + k] == 0 && SameDouble(elems[k], b.values[begin + k]));
        if (!ok) {
          ++failures;
          ADD_FAILURE() << where << " element " << k << ": DuckDB " << elems[k].dump() << ", reader "
                        << (b.value_is_null[begin + k] ? std::string("NULL") : std::to_string(b.values[begin + k]));
          break;
        }
      }
    }
  }
  return cells;
}

// Page census of a file, from the page headers themselves (not from DuckDB's summary).
struct PageCensus {
  size_t dictionary_pages = 0, v1_pages = 0, v2_pages = 0;
  size_t max_data_pages_per_chunk = 0;
  std::vector<int32_t> data_encodings;  // distinct, in order of appearance
  std::vector<int32_t> codecs;
  size_t row_groups = 0;
};

inline PageCensus CensusOf(const std::string& path) {
  PageCensus c;
  auto file = cm::MappedFile::Open(path);
  EXPECT_TRUE(file.ok());
  if (!file.ok()) return c;
  ByteCursor all = file->cursor();
  uint32_t footer_len = 0;
  EXPECT_TRUE(all.Seek(file->size() - 8, "").ok());
  EXPECT_TRUE(all.ReadLE(&footer_len, "").ok());
  ByteCursor footer;
  EXPECT_TRUE(all.Seek(file->size() - 8 - footer_len, "").ok());
  EXPECT_TRUE(all.Slice(footer_len, &footer, "").ok());
  FileMetaData meta;
  Status st = DecodeFileMetaData(&footer, &meta);
  EXPECT_TRUE(st.ok()) << st.ToString();
  c.row_groups = meta.row_groups.size();
  auto add = [](std::vector<int32_t>* v, int32_t x) {
    if (std::find(v->begin(), v->end(), x) == v->end()) v->push_back(x);
  };
  for (const RowGroup& g : meta.row_groups) {
    for (const ColumnChunk& cc : g.columns) {
      const ColumnMetaData& m = *cc.meta_data;
      add(&c.codecs, m.codec);
      int64_t start = m.dictionary_page_offset && *m.dictionary_page_offset > 0
                          ? std::min(*m.dictionary_page_offset, m.data_page_offset) : m.data_page_offset;
      ByteCursor cur(file->data() + start, static_cast<size_t>(m.total_compressed_size), path, start);
      size_t data_pages = 0;
      while (!cur.empty()) {
        PageHeader h;
        Status hs = DecodePageHeader(&cur, &h);
        EXPECT_TRUE(hs.ok()) << hs.ToString();
        if (!hs.ok()) break;
        if (h.type == kDictionaryPage) ++c.dictionary_pages;
        if (h.type == kDataPage) { ++c.v1_pages; ++data_pages; add(&c.data_encodings, h.data_page->encoding); }
        if (h.type == kDataPageV2) { ++c.v2_pages; ++data_pages; add(&c.data_encodings, h.data_page_v2->encoding); }
        EXPECT_TRUE(cur.Skip(static_cast<size_t>(h.compressed_page_size), "").ok());
      }
      c.max_data_pages_per_chunk = std::max(c.max_data_pages_per_chunk, data_pages);
    }
  }
  return c;
}

inline bool Has(const std::vector<int32_t>& v, int32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace cm::parquet::testing
