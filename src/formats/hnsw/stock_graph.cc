#include "formats/hnsw/stock_graph.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "io/byte_cursor.h"

namespace cm {
namespace {

Status ReadAll(const std::string& path, std::unique_ptr<char[]>* out, size_t* size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Status::IoError(fmt::format("{}: cannot stat: {}", path, std::strerror(e)));
  }
  *size = static_cast<size_t>(st.st_size);
  out->reset(new char[*size + 1]);  // uninitialised: every byte is read below
  size_t done = 0;
  while (done < *size) {
    ssize_t n = ::pread(fd, out->get() + done, *size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : 0;
      ::close(fd);
      return Status::IoError(fmt::format("{}: read failed at offset {}: {}", path, done,
                                         e ? std::strerror(e) : "the file shrank while it was read"));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::Ok();
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

Result<uint64_t> StockGraph::PeekElementCount(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  uint64_t count = 0;
  ssize_t n = ::pread(fd, &count, sizeof count, 16);
  int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof count)) {
    return n < 0 ? Status::IoError(fmt::format("{}: read failed: {}", path, std::strerror(e)))
                 : Status::Corrupt(fmt::format("{}: {} bytes, too short for an hnswlib header", path, n < 0 ? 0 : n));
  }
  return count;
}

Status StockGraph::Parse() {
  ByteCursor c(reinterpret_cast<const uint8_t*>(bytes_.get()), file_size_, path_);
  HnswHeader& h = h_;
  CM_RETURN_IF_ERROR(c.ReadLE(&h.offset_level0, "offsetLevel0"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.max_elements, "max_elements"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.cur_element_count, "cur_element_count"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.size_data_per_element, "size_data_per_element"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.label_offset, "label_offset"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.offset_data, "offsetData"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.maxlevel, "maxlevel"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.enterpoint_node, "enterpoint_node"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.max_m, "maxM"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.max_m0, "maxM0"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.m, "M"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.mult, "mult"));
  CM_RETURN_IF_ERROR(c.ReadLE(&h.ef_construction, "ef_construction"));
  const size_t n = h.cur_element_count;
  if (h.offset_level0 != 0 || h.max_m0 == 0 || h.max_m0 > 0xffff || h.offset_data != h.max_m0 * 4 + 4 ||
      h.label_offset <= h.offset_data || (h.label_offset - h.offset_data) % 4 != 0 ||
      h.size_data_per_element != h.label_offset + 8) {
    return c.Error(fmt::format(
        "inconsistent hnswlib header: expected offsetLevel0 0, offsetData = maxM0·4 + 4, size_data_per_element = "
        "label_offset + 8; found {}, {} (maxM0 {}), {} (label_offset {})",
        h.offset_level0, h.offset_data, h.max_m0, h.size_data_per_element, h.label_offset));
  }
  if (h.max_m == 0 || h.max_m > 0xffff || h.m == 0 || h.ef_construction == 0 || !std::isfinite(h.mult) ||
      h.mult <= 0 || h.maxlevel < 0 || n == 0 || h.enterpoint_node >= n) {
    return c.Error(fmt::format("implausible hnswlib header: maxM {}, M {}, ef_construction {}, mult {}, maxlevel {}, "
                               "{} elements, entry point {}",
                               h.max_m, h.m, h.ef_construction, h.mult, h.maxlevel, n, h.enterpoint_node));
  }
  dim_ = (h.label_offset - h.offset_data) / 4;
  const size_t spe = h.size_data_per_element;
  if (n > c.remaining() / spe) {
    return c.Error(fmt::format("{} elements of {} bytes need {} bytes but {} follow", n, spe, n * spe, c.remaining()));
  }

  // Level 0: counts and neighbour ids in range; deleted elements counted.
  for (size_t i = 0; i < n; ++i) {
    const char* e = element(i);
    uint16_t count = ListCount(e);
    if (count > h.max_m0) {
      return Status::Corrupt(fmt::format("{} at offset {}: element {} has {} level-0 neighbours, at most {} expected",
                                         path_, kHnswHeaderBytes + i * spe, i, count, h.max_m0));
    }
    if (static_cast<uint8_t>(e[2]) & 1) ++deleted_;
    for (size_t k = 0; k < count; ++k) {
      uint32_t id;
      std::memcpy(&id, e + 4 + 4 * k, sizeof id);
      if (id >= n) {
        return Status::Corrupt(fmt::format("{} at offset {}: element {} links to element {}, outside 0..{}", path_,
                                           kHnswHeaderBytes + i * spe + 4 + 4 * k, i, id, n - 1));
      }
    }
  }

  // Upper levels: walk the size fields; they must end exactly at the end of the file.
  const size_t slpe = h.max_m * 4 + 4;
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
  size_t level0_end = kHnswHeaderBytes + n * spe;
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
      if (count > h.max_m) {
        return Status::Corrupt(fmt::format("{} at offset {}: element {} has {} neighbours at level {}, at most {} "
                                           "expected", path_, at, i, count, level, h.max_m));
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
  p.level0 = bytes_.get() + kHnswHeaderBytes;
  p.lengths = lengths.data();
  p.links = [this](size_t i) {
    uint32_t size;
    std::memcpy(&size, bytes_.get() + links_at_[i], sizeof size);
    return std::string_view(bytes_.get() + links_at_[i] + 4, size);
  };
  return WriteChromaSegmentFiles(dir, p);
}

}  // namespace cm
