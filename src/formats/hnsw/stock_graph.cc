#include "formats/hnsw/stock_graph.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "formats/hnsw/segment_files.h"
#include "io/byte_cursor.h"
#include "io/positional_io.h"
#include "io/unique_fd.h"

namespace cm {
namespace {

// Reads `n` bytes of `path` from its start into `dst`; the file must hold at least that many.
Status ReadPrefix(const std::string& path, char* dst, size_t n) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  // Callers size `n` from the file: ending early means it shrank while it was read.
  return PreadFull(fd.get(), dst, n, 0, path);
}

Result<size_t> FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::IoError(fmt::format("{}: cannot stat: {}", path, std::strerror(errno)));
  return static_cast<size_t>(st.st_size);
}

Status ReadAll(const std::string& path, std::unique_ptr<char[]>* out, size_t* size) {
  CM_ASSIGN_OR_RETURN(*size, FileSize(path));
  out->reset(new char[*size + 1]);  // uninitialised: every byte is read
  return ReadPrefix(path, out->get(), *size);
}

uint16_t ListCount(const char* p) {
  uint16_t n;
  std::memcpy(&n, p, sizeof n);
  return n;
}

}  // namespace

Result<std::unique_ptr<StockGraph>> StockGraph::Load(const std::string& path) {
  std::unique_ptr<StockGraph> g(new StockGraph());
  g->path_ = path;
  CM_RETURN_IF_ERROR(ReadAll(path, &g->bytes_, &g->file_size_));
  CM_RETURN_IF_ERROR(g->Parse());
  return g;
}

Result<std::unique_ptr<StockGraph>> StockGraph::FromBytes(std::string_view bytes, const std::string& name) {
  std::unique_ptr<StockGraph> g(new StockGraph());
  g->path_ = name;
  g->file_size_ = bytes.size();
  g->bytes_.reset(new char[bytes.size() + 1]);
  std::memcpy(g->bytes_.get(), bytes.data(), bytes.size());
  CM_RETURN_IF_ERROR(g->Parse());
  return g;
}

Result<std::unique_ptr<StockGraph>> StockGraph::LoadSegment(const std::string& dir) {
  std::string raw;
  CM_ASSIGN_OR_RETURN(HnswHeader h, ReadHnswSegmentHeader(dir, &raw));
  const std::string level0_path = dir + "/data_level0.bin", links_path = dir + "/link_lists.bin";
  // data_level0.bin may be sized for max_elements; only the first cur_element_count slots count.
  CM_ASSIGN_OR_RETURN(size_t level0_file, FileSize(level0_path));
  if (h.cur_element_count > level0_file / h.size_data_per_element) {
    return Status::Corrupt(fmt::format("{}: {} bytes hold fewer than the {} elements of {} bytes header.bin names",
                                       level0_path, level0_file, h.cur_element_count, h.size_data_per_element));
  }
  const size_t level0 = h.cur_element_count * h.size_data_per_element;
  CM_ASSIGN_OR_RETURN(size_t links, FileSize(links_path));
  std::unique_ptr<StockGraph> g(new StockGraph());
  g->path_ = dir;
  g->file_size_ = kHnswStockHeaderSize + level0 + links;
  g->bytes_.reset(new char[g->file_size_ + 1]);  // uninitialised: every byte is read below
  std::memcpy(g->bytes_.get(), raw.data() + 4, kHnswStockHeaderSize);
  CM_RETURN_IF_ERROR(ReadPrefix(level0_path, g->bytes_.get() + kHnswStockHeaderSize, level0));
  CM_RETURN_IF_ERROR(ReadPrefix(links_path, g->bytes_.get() + kHnswStockHeaderSize + level0, links));
  CM_RETURN_IF_ERROR(g->Parse());
  if (g->has_length_block_) {
    return Status::Corrupt(fmt::format("{}: link_lists.bin does not end where its last element's link list does", dir));
  }
  return g;
}

Result<uint64_t> StockGraph::PeekSegmentElementCount(const std::string& dir) {
  CM_ASSIGN_OR_RETURN(HnswHeader h, ReadHnswSegmentHeader(dir));
  return h.cur_element_count;
}

Result<uint64_t> StockGraph::PeekElementCount(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  uint64_t count = 0;
  ssize_t n = ::pread(fd.get(), &count, sizeof count, 16);
  int e = errno;
  if (n != static_cast<ssize_t>(sizeof count)) {
    return n < 0 ? Status::IoError(fmt::format("{}: read failed: {}", path, std::strerror(e)))
                 : Status::Corrupt(fmt::format("{}: {} bytes, too short for an hnswlib header", path, n < 0 ? 0 : n));
  }
  return count;
}

Status StockGraph::Parse() {
  CM_ASSIGN_OR_RETURN(h_, ParseStockHnswHeader(std::string_view(bytes_.get(), file_size_), path_));
  const HnswHeader& h = h_;
  const size_t n = h.cur_element_count;
  if (h.ef_construction == 0 || !std::isfinite(h.mult) || h.mult <= 0 || h.maxlevel < 0 || n == 0) {
    return Status::Corrupt(fmt::format("{}: implausible hnswlib header: ef_construction {}, mult {}, maxlevel {}, {} "
                                       "elements", path_, h.ef_construction, h.mult, h.maxlevel, n));
  }
  ByteCursor c(reinterpret_cast<const uint8_t*>(bytes_.get()), file_size_, path_);
  CM_RETURN_IF_ERROR(c.Seek(kHnswStockHeaderSize, "the end of the header"));
  dim_ = (h.label_offset - h.offset_data) / 4;
  const size_t spe = h.size_data_per_element;
  if (n > c.remaining() / spe) {
    return c.Error(fmt::format("{} elements of {} bytes need {} bytes but {} follow", n, spe, n * spe, c.remaining()));
  }

  // Level 0: counts and neighbour ids in range; deleted elements counted.
  for (size_t i = 0; i < n; ++i) {
    const char* e = element(i);
    uint16_t count = ListCount(e);
    if (count > h.maxM0) {
      return Status::Corrupt(fmt::format("{} at offset {}: element {} has {} level-0 neighbours, at most {} expected",
                                         path_, kHnswStockHeaderSize + i * spe, i, count, h.maxM0));
    }
    if (is_deleted(i)) ++deleted_;
    for (size_t k = 0; k < count; ++k) {
      uint32_t id;
      std::memcpy(&id, e + 4 + 4 * k, sizeof id);
      if (id >= n) {
        return Status::Corrupt(fmt::format("{} at offset {}: element {} links to element {}, outside 0..{}", path_,
                                           kHnswStockHeaderSize + i * spe + 4 + 4 * k, i, id, n - 1));
      }
    }
  }

  // Upper levels: walk the size fields; they must end exactly at the end of the file.
  const size_t slpe = h.maxM * 4 + 4;
  std::vector<uint32_t> levels(n);
  auto walk = [&](size_t start, std::string* why) {
    size_t pos = start;
    for (size_t i = 0; i < n; ++i) {
      if (file_size_ - pos < 4) {
        *why = fmt::format("the link list of element {} starts at offset {}, past the end", i, pos);
        return false;
      }
      uint32_t size;
      std::memcpy(&size, bytes_.get() + pos, sizeof size);
      if (size % slpe != 0 || size / slpe > static_cast<uint32_t>(h.maxlevel) || file_size_ - pos - 4 < size) {
        *why = fmt::format("element {} at offset {}: link-list size {} is not a whole number of levels of {} bytes "
                           "up to maxlevel {} within the file", i, pos, size, slpe, h.maxlevel);
        return false;
      }
      links_at_[i] = pos;
      levels[i] = size / static_cast<uint32_t>(slpe);
      pos += 4 + size;
    }
    if (pos != file_size_) {
      *why = fmt::format("the link lists end at offset {} but the file has {} bytes", pos, file_size_);
      return false;
    }
    return true;
  };
  links_at_.assign(n, 0);
  size_t level0_end = kHnswStockHeaderSize + n * spe;
  std::string why_stock, why_variant;
  if (!walk(level0_end, &why_stock)) {
    if (file_size_ - level0_end < 4 * n || !walk(level0_end + 4 * n, &why_variant)) {
      return Status::Corrupt(fmt::format("{}: neither hnswlib's stock layout ({}) nor chroma-hnswlib's with a length "
                                         "block fits", path_, why_stock));
    }
    has_length_block_ = true;
  }
  if (levels[h.enterpoint_node] != static_cast<uint32_t>(h.maxlevel)) {
    return Status::Corrupt(fmt::format("{}: the entry point {} has level {}, the header says maxlevel {}", path_,
                                       h.enterpoint_node, levels[h.enterpoint_node], h.maxlevel));
  }
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t level = 1; level <= levels[i]; ++level) {
      size_t at = links_at_[i] + 4 + (level - 1) * slpe;
      const char* list = bytes_.get() + at;
      uint16_t count = ListCount(list);
      if (count > h.maxM) {
        return Status::Corrupt(fmt::format("{} at offset {}: element {} has {} neighbours at level {}, at most {} "
                                           "expected", path_, at, i, count, level, h.maxM));
      }
      for (size_t k = 0; k < count; ++k) {
        uint32_t id;
        std::memcpy(&id, list + 4 + 4 * k, sizeof id);
        if (id >= n || levels[id] < level) {
          return Status::Corrupt(fmt::format("{} at offset {}: element {} links at level {} to element {}, which {}",
                                             path_, at + 4 + 4 * k, i, level, id,
                                             id >= n ? "does not exist" : "is not on that level"));
        }
      }
    }
  }
  return Status::Ok();
}

uint64_t StockGraph::label(size_t i) const {
  uint64_t v;
  std::memcpy(&v, element(i) + h_.label_offset, sizeof v);
  return v;
}

void StockGraph::set_label(size_t i, uint64_t label) {
  std::memcpy(element(i) + h_.label_offset, &label, sizeof label);
}

Status StockGraph::WriteChromaSegment(const std::string& dir, const std::vector<float>& lengths) const {
  if (lengths.size() != size()) return Status::Internal("StockGraph::WriteChromaSegment: one length per element");
  SegmentParts p;
  p.header = h_;
  p.level0 = FillFromMemory(bytes_.get() + kHnswStockHeaderSize);
  p.lengths = lengths.data();
  p.links = [this](size_t i) {
    uint32_t size;
    std::memcpy(&size, bytes_.get() + links_at_[i], sizeof size);
    return std::string_view(bytes_.get() + links_at_[i] + 4, size);
  };
  return WriteChromaSegmentFiles(dir, p);
}

}  // namespace cm
