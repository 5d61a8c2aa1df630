#include "formats/hnsw/hnsw_header.h"

#include <fmt/format.h>

#include <cstring>

#include "io/byte_cursor.h"
#include "io/mapped_file.h"

namespace cm {
namespace {

Status Field(std::string_view source, std::string_view field, uint64_t found, std::string_view expected) {
  return Status::Corrupt(fmt::format("{}: header field {} = {}; expected {}", source, field, found, expected));
}

}  // namespace

Result<HnswHeader> ParseHnswHeader(std::string_view bytes, std::string_view source) {
  if (bytes.size() != kHnswHeaderSize) {
    return Status::Corrupt(fmt::format("{}: {} bytes; expected exactly {} (int32 version + the 96-byte hnswlib header)",
                                       source, bytes.size(), kHnswHeaderSize));
  }
  int32_t version = 0;
  std::memcpy(&version, bytes.data(), sizeof version);
  if (version != 1) return Field(source, "version", static_cast<uint64_t>(static_cast<uint32_t>(version)), "1");
  CM_ASSIGN_OR_RETURN(HnswHeader h, ParseStockHnswHeader(bytes.substr(4), source));
  h.version = version;
  return h;
}

Result<HnswHeader> ReadHnswSegmentHeader(const std::string& dir, std::string* raw) {
  const std::string path = dir + "/header.bin";
  Result<MappedFile> file = MappedFile::Open(path);
  if (!file.ok()) {
    if (file.status().code() == StatusCode::kNotFound) {
      return Status::NotFound(fmt::format("{}: missing (every HNSW segment folder has one)", path));
    }
    return file.status();
  }
  std::string_view bytes = file->bytes();
  CM_ASSIGN_OR_RETURN(HnswHeader h, ParseHnswHeader(bytes, path));  // exactly 100 bytes
  if (raw) raw->assign(bytes);
  return h;
}

Result<HnswHeader> ParseStockHnswHeader(std::string_view bytes, std::string_view source) {
  ByteCursor c(bytes.substr(0, kHnswStockHeaderSize), source);
  HnswHeader h;
  CM_RETURN_IF_ERROR(c.ReadLE(&h.offset_level0, "offsetLevel0"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.max_elements, "max_elements"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.cur_element_count, "cur_element_count"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.size_data_per_element, "size_data_per_element"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.label_offset, "label_offset"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.offset_data, "offsetData"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.maxlevel, "maxlevel"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.enterpoint_node, "enterpoint_node"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.maxM, "maxM"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.maxM0, "maxM0"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.M, "M"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.mult, "mult"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.ef_construction, "ef_construction"));

  if (h.offset_level0 != 0) return Field(source, "offsetLevel0", h.offset_level0, "0");
  if (h.maxM0 == 0 || h.maxM0 > kHnswMaxM0) return Field(source, "maxM0", h.maxM0, fmt::format("1..{}", kHnswMaxM0));
  if (h.maxM == 0 || h.maxM > h.maxM0) return Field(source, "maxM", h.maxM, fmt::format("1..maxM0 ({})", h.maxM0));
  if (h.M == 0 || h.M > h.maxM0) return Field(source, "M", h.M, fmt::format("1..maxM0 ({})", h.maxM0));
  if (h.offset_data != h.maxM0 * 4 + 4) return Field(source, "offsetData", h.offset_data, fmt::format("maxM0*4+4 = {}", h.maxM0 * 4 + 4));
  if (h.label_offset <= h.offset_data || (h.label_offset - h.offset_data) % 4 != 0 ||
      (h.label_offset - h.offset_data) / 4 > kHnswMaxDimension) {
    return Field(source, "label_offset", h.label_offset,
                 fmt::format("offsetData ({}) + 4*dim with 1 ≤ dim ≤ {}", h.offset_data, kHnswMaxDimension));
  }
  if (h.size_data_per_element != h.label_offset + 8) {
    return Field(source, "size_data_per_element", h.size_data_per_element, fmt::format("label_offset+8 = {}", h.label_offset + 8));
  }
  if (h.cur_element_count > h.max_elements) {
    return Field(source, "cur_element_count", h.cur_element_count, fmt::format("≤ max_elements ({})", h.max_elements));
  }
  if (h.cur_element_count > UINT32_MAX) return Field(source, "cur_element_count", h.cur_element_count, "< 2^32 (internal ids are uint32)");
  if (h.maxlevel < -1 || h.maxlevel > 64) {
    return Status::Corrupt(fmt::format("{}: header field maxlevel = {}; expected -1..64", source, h.maxlevel));
  }
  if (h.cur_element_count > 0 && h.enterpoint_node >= h.cur_element_count) {
    return Field(source, "enterpoint_node", h.enterpoint_node, fmt::format("< cur_element_count ({})", h.cur_element_count));
  }
  return h;
}

}  // namespace cm
