#include "formats/hnsw/segment_reader.h"

#include <fmt/format.h>

#include <cstring>
#include <filesystem>

#include "io/byte_cursor.h"

namespace cm {
namespace {

constexpr uint8_t kDeleteMark = 0x01;

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

Result<HnswSegmentReader> HnswSegmentReader::Open(const std::string& dir, std::optional<size_t> expected_dim, bool need_lengths) {
  HnswSegmentReader r;
  std::string header_path = dir + "/header.bin";
  CM_ASSIGN_OR_RETURN(r.header_, ReadHnswSegmentHeader(dir));
  const HnswHeader& h = r.header_;
  if (expected_dim && *expected_dim != h.dim()) {
    return Status::Corrupt(fmt::format("{}: the header's offsets give dimension {}; the collection's dimension is {}",
                                       header_path, h.dim(), *expected_dim));
  }
  const uint64_t n = h.cur_element_count;
  std::string data_path = dir + "/data_level0.bin";
  if (!Exists(data_path)) {
    return Status::NotFound(fmt::format("{}: missing; header.bin says the index holds {} elements of dimension {}, whose "
                                        "vectors are only in this file",
                                        data_path, n, h.dim()));
  }
  if (n == 0) return r;  // an empty index: nothing to read
  CM_ASSIGN_OR_RETURN(r.data_, MappedFile::Open(data_path));
  if (r.data_.size() / h.size_data_per_element < n) {
    return Status::Corrupt(fmt::format("{}: {} bytes hold {} slots of {} bytes; header.bin says cur_element_count = {}",
                                       data_path, r.data_.size(), r.data_.size() / h.size_data_per_element,
                                       h.size_data_per_element, n));
  }
  for (size_t i = 0; i < n; ++i) {
    if (i % r.slots_per_release() == 0) r.ReleaseResident();
    if (r.Deleted(i)) ++r.deleted_;
    uint16_t count = 0;
    std::memcpy(&count, r.SlotPtr(i), sizeof(count));
    if (count > h.maxM0) {
      return Status::Corrupt(fmt::format("{} at offset {}: slot {} has {} level-0 neighbours; maxM0 is {}", data_path,
                                         i * h.size_data_per_element, i, count, h.maxM0));
    }
  }
  if (need_lengths) {
    std::string len_path = dir + "/length.bin";
    if (!Exists(len_path)) {
      return Status::NotFound(fmt::format("{}: missing; a cosine index stores unit vectors and needs the norms in this file", len_path));
    }
    CM_ASSIGN_OR_RETURN(r.lengths_, MappedFile::Open(len_path));
    if (r.lengths_.size() / 4 < n) {
      return Status::Corrupt(fmt::format("{}: {} bytes hold {} norms; expected at least cur_element_count = {}", len_path,
                                         r.lengths_.size(), r.lengths_.size() / 4, n));
    }
    r.has_lengths_ = true;
  }
  CM_RETURN_IF_ERROR(r.CheckLinkLists(dir + "/link_lists.bin"));
  r.ReleaseResident();  // reading maps the slots again as it goes
  return r;
}

Status HnswSegmentReader::CheckLinkLists(const std::string& path) const {
  if (!Exists(path)) return Status::NotFound(fmt::format("{}: missing (the upper HNSW levels)", path));
  CM_ASSIGN_OR_RETURN(MappedFile f, MappedFile::Open(path));
  ByteCursor c = f.cursor();
  const uint64_t block = header_.size_links_per_element();
  for (uint64_t i = 0; i < header_.cur_element_count; ++i) {
    uint32_t size = 0;
    CM_RETURN_IF_ERROR(c.ReadLE(&size, fmt::format("link list size of element {}", i)));
    if (size % block != 0) {
      return c.Error(fmt::format("element {}: link list size {} is not a multiple of {} (4 + maxM*4)", i, size, block));
    }
    uint64_t levels = size / block;
    if (header_.maxlevel >= 0 && levels > static_cast<uint64_t>(header_.maxlevel)) {
      return c.Error(fmt::format("element {}: {} upper levels; the header's maxlevel is {}", i, levels, header_.maxlevel));
    }
    ByteCursor lists;
    CM_RETURN_IF_ERROR(c.Slice(size, &lists, fmt::format("link lists of element {}", i)));
    for (uint64_t l = 0; l < levels; ++l) {
      uint16_t count = 0;
      CM_RETURN_IF_ERROR(lists.ReadLE(&count, "neighbour count"));
      if (count > header_.maxM) {
        return lists.Error(fmt::format("element {} level {}: {} neighbours; maxM is {}", i, l + 1, count, header_.maxM));
      }
      CM_RETURN_IF_ERROR(lists.Skip(block - 2, "neighbour list"));
    }
  }
  return Status::Ok();
}

uint64_t HnswSegmentReader::Label(size_t i) const {
  uint64_t label = 0;
  std::memcpy(&label, SlotPtr(i) + header_.label_offset, sizeof(label));
  return label;
}

bool HnswSegmentReader::Deleted(size_t i) const { return (SlotPtr(i)[2] & kDeleteMark) != 0; }

Status HnswSegmentReader::ReadVector(size_t i, bool denormalize, float* out) const {
  const uint64_t offset = i * header_.size_data_per_element + header_.offset_data;
  CM_RETURN_IF_ERROR(data_.ReadAt(offset, out, dim() * sizeof(float)));
  if (denormalize && has_lengths_) {
    float norm = 0;
    std::memcpy(&norm, lengths_.data() + i * 4, sizeof(norm));
    for (size_t k = 0; k < dim(); ++k) out[k] *= norm;
  }
  return Status::Ok();
}

}  // namespace cm
