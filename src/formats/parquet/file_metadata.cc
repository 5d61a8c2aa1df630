#include "formats/parquet/file_metadata.h"

#include <fmt/format.h>

#include "formats/parquet/thrift_compact.h"

namespace cm::parquet {

using thrift::CompactReader;

const char* EncodingName(int32_t encoding) {
  switch (encoding) {
    case kPlain: return "PLAIN";
    case kPlainDictionary: return "PLAIN_DICTIONARY";
    case kRle: return "RLE";
    case kBitPacked: return "BIT_PACKED";
    case kDeltaBinaryPacked: return "DELTA_BINARY_PACKED";
    case kDeltaLengthByteArray: return "DELTA_LENGTH_BYTE_ARRAY";
    case kDeltaByteArray: return "DELTA_BYTE_ARRAY";
    case kRleDictionary: return "RLE_DICTIONARY";
    case kByteStreamSplit: return "BYTE_STREAM_SPLIT";
    default: return "unknown encoding";
  }
}

const char* CodecName(int32_t codec) {
  switch (codec) {
    case kUncompressed: return "UNCOMPRESSED";
    case kSnappy: return "SNAPPY";
    case kGzip: return "GZIP";
    case kLzo: return "LZO";
    case kBrotli: return "BROTLI";
    case kLz4: return "LZ4";
    case kZstd: return "ZSTD";
    case kLz4Raw: return "LZ4_RAW";
    default: return "unknown codec";
  }
}

const char* PageTypeName(int32_t type) {
  switch (type) {
    case kDataPage: return "DATA_PAGE";
    case kIndexPage: return "INDEX_PAGE";
    case kDictionaryPage: return "DICTIONARY_PAGE";
    case kDataPageV2: return "DATA_PAGE_V2";
    default: return "unknown page type";
  }
}

namespace {

// Tracks required fields by bit; reports the first missing one.
class Required {
 public:
  void Set(int bit) { seen_ |= 1u << bit; }
  Status Check(const ByteCursor& cur, uint64_t start, std::string_view what,
               std::initializer_list<std::pair<int, const char*>> fields) const {
    for (const auto& [bit, name] : fields) {
      if ((seen_ & (1u << bit)) == 0) {
        return Status::Corrupt(fmt::format("{} at offset {}: {} lacks required field {}", cur.source(), start,
                                           what, name));
      }
    }
    return Status::Ok();
  }
 private:
  uint32_t seen_ = 0;
};

Status DecodeSchemaElement(CompactReader& r, SchemaElement* e) {
  e->offset = r.cursor().file_offset();
  uint64_t start = e->offset;
  Required req;
  CM_RETURN_IF_ERROR(r.ReadStruct("SchemaElement", [&](int16_t id, uint8_t t) -> Status {
    switch (id) {
      case 1: { int32_t v; CM_RETURN_IF_ERROR(r.ReadI32(t, &v, "SchemaElement.type")); e->type = v; return Status::Ok(); }
      case 2: return r.ReadI32(t, &e->type_length, "SchemaElement.type_length");
      case 3: { int32_t v; CM_RETURN_IF_ERROR(r.ReadI32(t, &v, "SchemaElement.repetition_type")); e->repetition = v; return Status::Ok(); }
      case 4: req.Set(0); return r.ReadString(t, &e->name, "SchemaElement.name");
      case 5: return r.ReadI32(t, &e->num_children, "SchemaElement.num_children");
      case 6: { int32_t v; CM_RETURN_IF_ERROR(r.ReadI32(t, &v, "SchemaElement.converted_type")); e->converted_type = v; return Status::Ok(); }
      case 10: {  // LogicalType union: remember LIST (field 3)
        CM_RETURN_IF_ERROR(r.Expect(t, thrift::kStruct, "SchemaElement.logicalType"));
        return r.ReadStruct("LogicalType", [&](int16_t lid, uint8_t lt) {
          if (lid == 3) e->logical_list = true;
          return r.Skip(lt, "LogicalType");
        });
      }
      default: return r.Skip(t, "SchemaElement");
    }
  }));
  return req.Check(r.cursor(), start, "SchemaElement", {{0, "name"}});
}

Status DecodeColumnMetaData(CompactReader& r, ColumnMetaData* m) {
  uint64_t start = r.cursor().file_offset();
  Required req;
  CM_RETURN_IF_ERROR(r.ReadStruct("ColumnMetaData", [&](int16_t id, uint8_t t) -> Status {
    switch (id) {
      case 1: req.Set(1); return r.ReadI32(t, &m->type, "ColumnMetaData.type");
      case 2: {
        uint8_t et = 0; uint32_t n = 0;
        CM_RETURN_IF_ERROR(r.ReadListHeader(t, &et, &n, "ColumnMetaData.encodings"));
        for (uint32_t i = 0; i < n; ++i) {
          int32_t v = 0;
          CM_RETURN_IF_ERROR(r.ReadElemI32(et, &v, "ColumnMetaData.encodings"));
          m->encodings.push_back(v);
        }
        return Status::Ok();
      }
      case 3: {
        uint8_t et = 0; uint32_t n = 0;
        CM_RETURN_IF_ERROR(r.ReadListHeader(t, &et, &n, "ColumnMetaData.path_in_schema"));
        for (uint32_t i = 0; i < n; ++i) {
          std::string s;
          CM_RETURN_IF_ERROR(r.ReadString(et, &s, "ColumnMetaData.path_in_schema"));
          m->path_in_schema.push_back(std::move(s));
        }
        return Status::Ok();
      }
      case 4: req.Set(2); return r.ReadI32(t, &m->codec, "ColumnMetaData.codec");
      case 5: req.Set(3); return r.ReadI64(t, &m->num_values, "ColumnMetaData.num_values");
      case 6: req.Set(4); return r.ReadI64(t, &m->total_uncompressed_size, "ColumnMetaData.total_uncompressed_size");
      case 7: req.Set(5); return r.ReadI64(t, &m->total_compressed_size, "ColumnMetaData.total_compressed_size");
      case 9: req.Set(6); return r.ReadI64(t, &m->data_page_offset, "ColumnMetaData.data_page_offset");
      case 11: { int64_t v; CM_RETURN_IF_ERROR(r.ReadI64(t, &v, "ColumnMetaData.dictionary_page_offset")); m->dictionary_page_offset = v; return Status::Ok(); }
      default: return r.Skip(t, "ColumnMetaData");
    }
  }));
  return req.Check(r.cursor(), start, "ColumnMetaData",
                   {{1, "type"}, {2, "codec"}, {3, "num_values"}, {4, "total_uncompressed_size"},
                    {5, "total_compressed_size"}, {6, "data_page_offset"}});
}

Status DecodeColumnChunk(CompactReader& r, ColumnChunk* c) {
  c->offset = r.cursor().file_offset();
  return r.ReadStruct("ColumnChunk", [&](int16_t id, uint8_t t) -> Status {
    switch (id) {
      case 1: return r.ReadString(t, &c->file_path, "ColumnChunk.file_path");
      case 2: return r.ReadI64(t, &c->file_offset, "ColumnChunk.file_offset");
      case 3: {
        CM_RETURN_IF_ERROR(r.Expect(t, thrift::kStruct, "ColumnChunk.meta_data"));
        c->meta_data.emplace();
        return DecodeColumnMetaData(r, &*c->meta_data);
      }
      default: return r.Skip(t, "ColumnChunk");
    }
  });
}

Status DecodeRowGroup(CompactReader& r, RowGroup* g) {
  g->offset = r.cursor().file_offset();
  Required req;
  CM_RETURN_IF_ERROR(r.ReadStruct("RowGroup", [&](int16_t id, uint8_t t) -> Status {
    switch (id) {
      case 1: {
        req.Set(0);
        uint8_t et = 0; uint32_t n = 0;
        CM_RETURN_IF_ERROR(r.ReadListHeader(t, &et, &n, "RowGroup.columns"));
        CM_RETURN_IF_ERROR(r.Expect(et, thrift::kStruct, "RowGroup.columns element"));
        for (uint32_t i = 0; i < n; ++i) {
          g->columns.emplace_back();
          CM_RETURN_IF_ERROR(DecodeColumnChunk(r, &g->columns.back()));
        }
        return Status::Ok();
      }
      case 2: return r.ReadI64(t, &g->total_byte_size, "RowGroup.total_byte_size");
      case 3: req.Set(1); return r.ReadI64(t, &g->num_rows, "RowGroup.num_rows");
      default: return r.Skip(t, "RowGroup");
    }
  }));
  return req.Check(r.cursor(), g->offset, "RowGroup", {{0, "columns"}, {1, "num_rows"}});
}

}  // namespace

Status DecodeFileMetaData(ByteCursor* cur, FileMetaData* out) {
  CompactReader r(cur);
  uint64_t start = cur->file_offset();
  Required req;
  CM_RETURN_IF_ERROR(r.ReadStruct("FileMetaData", [&](int16_t id, uint8_t t) -> Status {
    switch (id) {
      case 1: req.Set(0); return r.ReadI32(t, &out->version, "FileMetaData.version");
      case 2: {
        req.Set(1);
        uint8_t et = 0; uint32_t n = 0;
        CM_RETURN_IF_ERROR(r.ReadListHeader(t, &et, &n, "FileMetaData.schema"));
        CM_RETURN_IF_ERROR(r.Expect(et, thrift::kStruct, "FileMetaData.schema element"));
        for (uint32_t i = 0; i < n; ++i) {
          out->schema.emplace_back();
          CM_RETURN_IF_ERROR(DecodeSchemaElement(r, &out->schema.back()));
        }
        return Status::Ok();
      }
      case 3: req.Set(2); return r.ReadI64(t, &out->num_rows, "FileMetaData.num_rows");
      case 4: {
        req.Set(3);
        uint8_t et = 0; uint32_t n = 0;
        CM_RETURN_IF_ERROR(r.ReadListHeader(t, &et, &n, "FileMetaData.row_groups"));
        CM_RETURN_IF_ERROR(r.Expect(et, thrift::kStruct, "FileMetaData.row_groups element"));
        for (uint32_t i = 0; i < n; ++i) {
          out->row_groups.emplace_back();
          CM_RETURN_IF_ERROR(DecodeRowGroup(r, &out->row_groups.back()));
        }
        return Status::Ok();
      }
      case 6: return r.ReadString(t, &out->created_by, "FileMetaData.created_by");
      default: return r.Skip(t, "FileMetaData");
    }
  }));
  return req.Check(*cur, start, "FileMetaData",
                   {{0, "version"}, {1, "schema"}, {2, "num_rows"}, {3, "row_groups"}});
}

Status DecodePageHeader(ByteCursor* cur, PageHeader* out) {
  CompactReader r(cur);
  uint64_t start = cur->file_offset();
  Required req;
  CM_RETURN_IF_ERROR(r.ReadStruct("PageHeader", [&](int16_t id, uint8_t t) -> Status {
    switch (id) {
      case 1: req.Set(0); return r.ReadI32(t, &out->type, "PageHeader.type");
      case 2: req.Set(1); return r.ReadI32(t, &out->uncompressed_page_size, "PageHeader.uncompressed_page_size");
      case 3: req.Set(2); return r.ReadI32(t, &out->compressed_page_size, "PageHeader.compressed_page_size");
      case 5: {
        CM_RETURN_IF_ERROR(r.Expect(t, thrift::kStruct, "PageHeader.data_page_header"));
        auto& h = out->data_page.emplace();
        Required hr;
        uint64_t hs = cur->file_offset();
        CM_RETURN_IF_ERROR(r.ReadStruct("DataPageHeader", [&](int16_t hid, uint8_t ht) -> Status {
          switch (hid) {
            case 1: hr.Set(0); return r.ReadI32(ht, &h.num_values, "DataPageHeader.num_values");
            case 2: hr.Set(1); return r.ReadI32(ht, &h.encoding, "DataPageHeader.encoding");
            case 3: hr.Set(2); return r.ReadI32(ht, &h.definition_level_encoding, "DataPageHeader.definition_level_encoding");
            case 4: hr.Set(3); return r.ReadI32(ht, &h.repetition_level_encoding, "DataPageHeader.repetition_level_encoding");
            default: return r.Skip(ht, "DataPageHeader");
          }
        }));
        return hr.Check(*cur, hs, "DataPageHeader",
                        {{0, "num_values"}, {1, "encoding"}, {2, "definition_level_encoding"},
                         {3, "repetition_level_encoding"}});
      }
      case 7: {
        CM_RETURN_IF_ERROR(r.Expect(t, thrift::kStruct, "PageHeader.dictionary_page_header"));
        auto& h = out->dictionary_page.emplace();
        Required hr;
        uint64_t hs = cur->file_offset();
        CM_RETURN_IF_ERROR(r.ReadStruct("DictionaryPageHeader", [&](int16_t hid, uint8_t ht) -> Status {
          switch (hid) {
            case 1: hr.Set(0); return r.ReadI32(ht, &h.num_values, "DictionaryPageHeader.num_values");
            case 2: hr.Set(1); return r.ReadI32(ht, &h.encoding, "DictionaryPageHeader.encoding");
            default: return r.Skip(ht, "DictionaryPageHeader");
          }
        }));
        return hr.Check(*cur, hs, "DictionaryPageHeader", {{0, "num_values"}, {1, "encoding"}});
      }
      case 8: {
        CM_RETURN_IF_ERROR(r.Expect(t, thrift::kStruct, "PageHeader.data_page_header_v2"));
        auto& h = out->data_page_v2.emplace();
        Required hr;
        uint64_t hs = cur->file_offset();
        CM_RETURN_IF_ERROR(r.ReadStruct("DataPageHeaderV2", [&](int16_t hid, uint8_t ht) -> Status {
          switch (hid) {
            case 1: hr.Set(0); return r.ReadI32(ht, &h.num_values, "DataPageHeaderV2.num_values");
            case 2: hr.Set(1); return r.ReadI32(ht, &h.num_nulls, "DataPageHeaderV2.num_nulls");
            case 3: hr.Set(2); return r.ReadI32(ht, &h.num_rows, "DataPageHeaderV2.num_rows");
            case 4: hr.Set(3); return r.ReadI32(ht, &h.encoding, "DataPageHeaderV2.encoding");
            case 5: hr.Set(4); return r.ReadI32(ht, &h.definition_levels_byte_length, "DataPageHeaderV2.definition_levels_byte_length");
            case 6: hr.Set(5); return r.ReadI32(ht, &h.repetition_levels_byte_length, "DataPageHeaderV2.repetition_levels_byte_length");
            case 7: return r.ReadBool(ht, &h.is_compressed, "DataPageHeaderV2.is_compressed");
            default: return r.Skip(ht, "DataPageHeaderV2");
          }
        }));
        return hr.Check(*cur, hs, "DataPageHeaderV2",
                        {{0, "num_values"}, {1, "num_nulls"}, {2, "num_rows"}, {3, "encoding"},
                         {4, "definition_levels_byte_length"}, {5, "repetition_levels_byte_length"}});
      }
      default: return r.Skip(t, "PageHeader");
    }
  }));
  return req.Check(*cur, start, "PageHeader",
                   {{0, "type"}, {1, "uncompressed_page_size"}, {2, "compressed_page_size"}});
}

}  // namespace cm::parquet
