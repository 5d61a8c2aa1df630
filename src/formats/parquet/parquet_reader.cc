// FileReader: validates the file layout (magic, footer, schema, row groups, chunk ranges) once
// in Open(), so column streams can trust the locations they are given.
#include "formats/parquet/parquet_reader.h"

#include <fmt/format.h>

#include <cstring>

#include "formats/parquet/column_stream.h"
#include "formats/parquet/file_metadata.h"
#include "io/mapped_file.h"

namespace cm::parquet {

namespace {

constexpr int kMaxSchemaDepth = 32;

struct Leaf {
  size_t field = 0;          // index into fields_
  size_t schema_index = 0;
  int32_t type = 0;
  int max_def = 0, max_rep = 0;
  int def_field = 0;         // definition level once the top-level field node is defined
  int def_repeated = 0;      // definition level once the (first) repeated node is defined
};

struct FieldState {
  FieldInfo info;
  size_t schema_index = 0;   // the field's own schema element
  size_t first_leaf = 0;
  size_t leaf_count = 0;
  bool supported = true;
  std::string why_unsupported;
};

class FileReaderImpl final : public FileReader {
 public:
  explicit FileReaderImpl(MappedFile file) : file_(std::move(file)) {}
  Status Init();

  const std::string& path() const override { return file_.path(); }
  uint64_t num_rows() const override { return static_cast<uint64_t>(meta_.num_rows); }
  size_t num_row_groups() const override { return meta_.row_groups.size(); }
  const std::string& created_by() const override { return meta_.created_by; }
  const std::vector<FieldInfo>& fields() const override { return field_infos_; }
  Result<std::unique_ptr<ColumnStream>> OpenColumn(const std::string& name) override;

 private:
  Status Corrupt(uint64_t offset, const std::string& what) const {
    return Status::Corrupt(fmt::format("{} at offset {}: {}", file_.path(), offset, what));
  }
  Status WalkSchema(size_t* pos, int depth, int def, int rep, int def_repeated, size_t field);
  Status BuildSchema();
  Status CheckRowGroups();

  MappedFile file_;
  uint64_t footer_start_ = 0;
  FileMetaData meta_;
  std::vector<FieldState> fields_;
  std::vector<FieldInfo> field_infos_;
  std::vector<Leaf> leaves_;
};

Status FileReaderImpl::Init() {
  const size_t size = file_.size();
  ByteCursor whole = file_.cursor();
  if (size < 12) {
    return Corrupt(0, fmt::format("not a parquet file: {} bytes, a parquet file has at least 12 (PAR1 magic, footer "
                                  "length, PAR1 magic)", size));
  }
  const uint8_t* d = file_.data();
  if (std::memcmp(d, "PAR1", 4) != 0) {
    return Corrupt(0, fmt::format("not a parquet file: expected magic \"PAR1\", found bytes {:02x} {:02x} {:02x} {:02x}",
                                  d[0], d[1], d[2], d[3]));
  }
  const uint8_t* tail = d + size - 4;
  if (std::memcmp(tail, "PARE", 4) == 0) {
    return Status::Unsupported(fmt::format("{} at offset {}: the footer is encrypted (PARE), which is not supported",
                                           path(), size - 4));
  }
  if (std::memcmp(tail, "PAR1", 4) != 0) {
    return Corrupt(size - 4, fmt::format("expected trailing magic \"PAR1\", found bytes {:02x} {:02x} {:02x} {:02x} "
                                         "(truncated file?)", tail[0], tail[1], tail[2], tail[3]));
  }
  uint32_t footer_len = 0;
  CM_RETURN_IF_ERROR(whole.Seek(size - 8, "footer length"));
  CM_RETURN_IF_ERROR(whole.ReadLE(&footer_len, "footer length"));
  if (footer_len > size - 12) {
    return Corrupt(size - 8, fmt::format("footer length {} exceeds the {} bytes between the magic numbers", footer_len,
                                         size - 12));
  }
  footer_start_ = size - 8 - footer_len;
  ByteCursor footer;
  CM_RETURN_IF_ERROR(whole.Seek(static_cast<size_t>(footer_start_), "footer"));
  CM_RETURN_IF_ERROR(whole.Slice(footer_len, &footer, "footer"));
  CM_RETURN_IF_ERROR(DecodeFileMetaData(&footer, &meta_));
  if (meta_.num_rows < 0) return Corrupt(footer_start_, fmt::format("FileMetaData.num_rows {} is negative", meta_.num_rows));
  CM_RETURN_IF_ERROR(BuildSchema());
  return CheckRowGroups();
}

Status FileReaderImpl::WalkSchema(size_t* pos, int depth, int def, int rep, int def_repeated, size_t field) {
  if (*pos >= meta_.schema.size()) {
    return Corrupt(footer_start_, fmt::format("schema: expected element {}, the schema has {}", *pos,
                                              meta_.schema.size()));
  }
  if (depth > kMaxSchemaDepth) {
    return Corrupt(meta_.schema[*pos].offset, fmt::format("schema nested deeper than {} levels", kMaxSchemaDepth));
  }
  size_t index = (*pos)++;
  const SchemaElement& e = meta_.schema[index];
  if (!e.repetition) {
    return Corrupt(e.offset, fmt::format("schema element '{}' has no repetition_type", e.name));
  }
  switch (*e.repetition) {
    case kRequired: break;
    case kOptional: ++def; break;
    case kRepeated:
      ++def;
      ++rep;
      if (def_repeated < 0) def_repeated = def;
      break;
    default:
      return Corrupt(e.offset, fmt::format("schema element '{}' has repetition_type {}, expected 0, 1 or 2", e.name,
                                           *e.repetition));
  }
  FieldState& f = fields_[field];
  if (depth == 1) f.info.max_definition_level = def;  // provisional: def level of the field node itself
  if (e.num_children < 0 || static_cast<size_t>(e.num_children) > meta_.schema.size() - *pos) {
    return Corrupt(e.offset, fmt::format("schema element '{}' claims {} children, {} elements follow", e.name,
                                         e.num_children, meta_.schema.size() - *pos));
  }
  if (e.num_children == 0) {
    if (!e.type) return Corrupt(e.offset, fmt::format("schema element '{}' has neither a type nor children", e.name));
    if (*e.type < 0 || *e.type > 7) {
      return Corrupt(e.offset, fmt::format("schema element '{}' has physical type {}, expected 0..7", e.name, *e.type));
    }
    Leaf leaf;
    leaf.field = field;
    leaf.schema_index = index;
    leaf.type = *e.type;
    leaf.max_def = def;
    leaf.max_rep = rep;
    leaf.def_repeated = def_repeated;
    if (f.leaf_count++ == 0) f.first_leaf = leaves_.size();
    leaves_.push_back(leaf);
    return Status::Ok();
  }
  for (int32_t i = 0; i < e.num_children; ++i) {
    CM_RETURN_IF_ERROR(WalkSchema(pos, depth + 1, def, rep, def_repeated, field));
  }
  return Status::Ok();
}

Status FileReaderImpl::BuildSchema() {
  if (meta_.schema.empty()) return Corrupt(footer_start_, "schema is empty (expected a root element)");
  const SchemaElement& root = meta_.schema[0];
  if (root.num_children < 0 || static_cast<size_t>(root.num_children) > meta_.schema.size() - 1) {
    return Corrupt(root.offset, fmt::format("schema root claims {} children, {} elements follow", root.num_children,
                                            meta_.schema.size() - 1));
  }
  size_t pos = 1;
  for (int32_t i = 0; i < root.num_children; ++i) {
    if (pos >= meta_.schema.size()) break;  // reported by WalkSchema below
    fields_.emplace_back();
    fields_.back().info.name = meta_.schema[pos].name;
    fields_.back().schema_index = pos;
    CM_RETURN_IF_ERROR(WalkSchema(&pos, 1, 0, 0, -1, fields_.size() - 1));
  }
  if (pos != meta_.schema.size()) {
    return Corrupt(meta_.schema[std::min(pos, meta_.schema.size() - 1)].offset,
                   fmt::format("schema has {} elements, the tree under the root uses {}", meta_.schema.size(), pos));
  }
  for (FieldState& f : fields_) {
    int def_field = f.info.max_definition_level;
    if (f.leaf_count != 1) {
      f.supported = false;
      f.why_unsupported = fmt::format("it has {} leaf columns (only single-leaf fields are supported)", f.leaf_count);
      if (f.leaf_count == 0) continue;
    }
    const Leaf& leaf = leaves_[f.first_leaf];
    leaves_[f.first_leaf].def_field = def_field;
    f.info.leaf_type = static_cast<PhysicalType>(leaf.type);
    f.info.max_definition_level = leaf.max_def;
    f.info.max_repetition_level = leaf.max_rep;
    f.info.is_list = leaf.max_rep == 1;
    if (leaf.max_rep > 1) {
      f.supported = false;
      f.why_unsupported = fmt::format("it is nested {} levels deep (only flat columns and lists are supported)",
                                      leaf.max_rep);
    }
    // A repeated top-level field (the bare 2-level form `repeated double x`) is a list that
    // cannot be NULL: level 0 already means "empty list".
    if (meta_.schema[f.schema_index].repetition == kRepeated) leaves_[f.first_leaf].def_field = def_field - 1;
  }
  // Every top-level field in order, including unsupported ones (OpenColumn explains those).
  for (const FieldState& f : fields_) field_infos_.push_back(f.info);
  return Status::Ok();
}

Status FileReaderImpl::CheckRowGroups() {
  int64_t total_rows = 0;
  for (size_t g = 0; g < meta_.row_groups.size(); ++g) {
    const RowGroup& rg = meta_.row_groups[g];
    if (rg.columns.size() != leaves_.size()) {
      return Corrupt(rg.offset, fmt::format("row group {} has {} column chunks, the schema has {} leaf columns", g,
                                            rg.columns.size(), leaves_.size()));
    }
    if (rg.num_rows < 0 || rg.num_rows > meta_.num_rows - total_rows) {
      return Corrupt(rg.offset, fmt::format("row group {} declares {} rows; the file declares {} rows in all and {} are "
                                            "already in earlier row groups", g, rg.num_rows, meta_.num_rows, total_rows));
    }
    total_rows += rg.num_rows;
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const ColumnChunk& cc = rg.columns[c];
      if (!cc.file_path.empty()) {
        return Status::Unsupported(fmt::format("{} at offset {}: column chunk {} of row group {} lives in another file "
                                               "('{}'), which is not supported", path(), cc.offset, c, g, cc.file_path));
      }
      if (!cc.meta_data) {
        return Corrupt(cc.offset, fmt::format("column chunk {} of row group {} has no meta_data", c, g));
      }
      const ColumnMetaData& m = *cc.meta_data;
      if (m.type != leaves_[c].type) {
        return Corrupt(cc.offset, fmt::format("column chunk {} of row group {} has physical type {}, the schema says {}",
                                              c, g, m.type, leaves_[c].type));
      }
      if (m.num_values < 0 || m.total_compressed_size < 0 || m.total_uncompressed_size < 0) {
        return Corrupt(cc.offset, fmt::format("column chunk {} of row group {}: negative num_values ({}) or sizes ({}, "
                                              "{})", c, g, m.num_values, m.total_compressed_size,
                                              m.total_uncompressed_size));
      }
      int64_t start = m.data_page_offset;
      if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 && *m.dictionary_page_offset < start) {
        start = *m.dictionary_page_offset;
      }
      if (start < 4 || static_cast<uint64_t>(start) > footer_start_ ||
          static_cast<uint64_t>(m.total_compressed_size) > footer_start_ - static_cast<uint64_t>(start)) {
        return Corrupt(cc.offset, fmt::format("column chunk {} of row group {}: pages at offset {} with {} bytes do not "
                                              "lie within the data region 4..{}", c, g, start, m.total_compressed_size,
                                              footer_start_));
      }
    }
  }
  if (total_rows != meta_.num_rows) {
    return Corrupt(footer_start_, fmt::format("the row groups hold {} rows, FileMetaData.num_rows says {}", total_rows,
                                              meta_.num_rows));
  }
  return Status::Ok();
}

Result<std::unique_ptr<ColumnStream>> FileReaderImpl::OpenColumn(const std::string& name) {
  for (const FieldState& f : fields_) {
    if (f.info.name != name) continue;
    if (!f.supported) {
      return Status::Unsupported(fmt::format("{}: column '{}' cannot be read: {}", path(), name, f.why_unsupported));
    }
    const Leaf& leaf = leaves_[f.first_leaf];
    LeafColumn lc;
    lc.name = name;
    lc.type = static_cast<PhysicalType>(leaf.type);
    lc.is_list = leaf.max_rep == 1;
    lc.max_def = leaf.max_def;
    lc.max_rep = leaf.max_rep;
    if (lc.is_list) {
      lc.def_list = leaf.def_field;
      lc.def_elem = leaf.def_repeated;
    } else {
      lc.def_list = lc.def_elem = leaf.max_def;
    }
    std::vector<ChunkLocation> chunks;
    chunks.reserve(meta_.row_groups.size());
    for (size_t g = 0; g < meta_.row_groups.size(); ++g) {
      const ColumnMetaData& m = *meta_.row_groups[g].columns[f.first_leaf].meta_data;
      ChunkLocation loc;
      int64_t start = m.data_page_offset;
      if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 && *m.dictionary_page_offset < start) {
        start = *m.dictionary_page_offset;
      }
      loc.start = static_cast<uint64_t>(start);
      loc.size = static_cast<uint64_t>(m.total_compressed_size);
      loc.total_uncompressed = static_cast<uint64_t>(m.total_uncompressed_size);
      loc.num_rows = meta_.row_groups[g].num_rows;
      loc.num_values = m.num_values;
      loc.codec = m.codec;
      loc.row_group = g;
      chunks.push_back(loc);
    }
    return MakeColumnStream(&file_, std::move(lc), std::move(chunks));
  }
  std::string names;
  for (const FieldState& f : fields_) names += (names.empty() ? "" : ", ") + f.info.name;
  return Status::NotFound(fmt::format("{}: no column '{}' (columns: {})", path(), name, names));
}

}  // namespace

Result<std::unique_ptr<FileReader>> FileReader::Open(const std::string& path) {
  CM_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  auto reader = std::make_unique<FileReaderImpl>(std::move(file));
  CM_RETURN_IF_ERROR(reader->Init());
  return std::unique_ptr<FileReader>(std::move(reader));
}

}  // namespace cm::parquet
