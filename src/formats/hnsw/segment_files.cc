#include "formats/hnsw/segment_files.h"

#include <fmt/format.h>

#include "io/direct_write.h"
#include "io/out_file.h"

namespace cm {

Status WriteStockFile(const std::string& path, std::string_view header_bin, std::string_view level0,
                      std::string_view link_lists) {
  if (header_bin.size() < 4 + kHnswStockHeaderSize) {
    return Status::Corrupt(fmt::format("header.bin: {} bytes, expected at least {}", header_bin.size(), 4 + kHnswStockHeaderSize));
  }
  CM_ASSIGN_OR_RETURN(OutFile out, OutFile::Create(path));
  CM_RETURN_IF_ERROR(out.Write(header_bin.data() + 4, kHnswStockHeaderSize));
  CM_RETURN_IF_ERROR(out.Write(level0.data(), level0.size()));
  CM_RETURN_IF_ERROR(out.Write(link_lists.data(), link_lists.size()));
  return out.Close();
}

Status WriteChromaSegmentFiles(const std::string& dir, const SegmentParts& p) {
  const HnswHeader& h = p.header;
  size_t n = h.cur_element_count;
  {
    CM_ASSIGN_OR_RETURN(OutFile f, OutFile::Create(dir + "/header.bin"));
    const int32_t persistence_version = 1;
    const uint64_t max_elements = n;  // Chroma raises the capacity itself when it loads
    CM_RETURN_IF_ERROR(f.Pod(persistence_version));
    CM_RETURN_IF_ERROR(f.Pod(h.offset_level0));
    CM_RETURN_IF_ERROR(f.Pod(max_elements));
    CM_RETURN_IF_ERROR(f.Pod(h.cur_element_count));
    CM_RETURN_IF_ERROR(f.Pod(h.size_data_per_element));
    CM_RETURN_IF_ERROR(f.Pod(h.label_offset));
    CM_RETURN_IF_ERROR(f.Pod(h.offset_data));
    CM_RETURN_IF_ERROR(f.Pod(h.maxlevel));
    CM_RETURN_IF_ERROR(f.Pod(h.enterpoint_node));
    CM_RETURN_IF_ERROR(f.Pod(h.maxM));
    CM_RETURN_IF_ERROR(f.Pod(h.maxM0));
    CM_RETURN_IF_ERROR(f.Pod(h.M));
    CM_RETURN_IF_ERROR(f.Pod(h.mult));
    CM_RETURN_IF_ERROR(f.Pod(h.ef_construction));
    CM_RETURN_IF_ERROR(f.Close());
  }
  // The one large file: written around the page cache (direct_write.h).
  CM_RETURN_IF_ERROR(WriteAroundCache(dir + "/data_level0.bin", n * h.size_data_per_element, p.level0));
  {
    CM_ASSIGN_OR_RETURN(OutFile f, OutFile::Create(dir + "/length.bin"));
    CM_RETURN_IF_ERROR(f.Write(p.lengths, n * sizeof(float)));
    CM_RETURN_IF_ERROR(f.Close());
  }
  {
    CM_ASSIGN_OR_RETURN(OutFile f, OutFile::Create(dir + "/link_lists.bin"));
    for (size_t i = 0; i < n; ++i) {
      std::string_view links = p.links(i);
      uint32_t size = static_cast<uint32_t>(links.size());
      CM_RETURN_IF_ERROR(f.Pod(size));
      CM_RETURN_IF_ERROR(f.Write(links.data(), links.size()));
    }
    CM_RETURN_IF_ERROR(f.Close());
  }
  return Status::Ok();
}

}  // namespace cm
