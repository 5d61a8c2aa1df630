#include "formats/fts5/segment_writer.h"

#include <algorithm>

#include "formats/fts5/varint.h"

namespace cm::fts5 {
namespace {

void PutU16(uint8_t* at, size_t v) {
  at[0] = static_cast<uint8_t>(v >> 8);
  at[1] = static_cast<uint8_t>(v);
}

size_t CommonPrefix(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

void Append(std::vector<uint8_t>& out, const uint8_t* p, size_t n) { out.insert(out.end(), p, p + n); }

// How many bytes of the varints at `p` fit in `room`: whole varints only, but at least one.
// The caller knows more than `room` bytes of varints follow.
size_t WholeVarints(const uint8_t* p, long room) {
  uint64_t v = 0;
  size_t n = GetVarint(p, &v);
  while (static_cast<long>(n) < room) {
    const size_t next = GetVarint(p + n, &v);
    if (static_cast<long>(n + next) > room) break;
    n += next;
  }
  return n;
}

}  // namespace

Fts5SegmentWriter::Fts5SegmentWriter(int segid, int page_size, Sink* sink)
    : segid_(segid), page_size_(static_cast<size_t>(page_size)), sink_(sink) {}

Status Fts5SegmentWriter::AddTerm(std::span<const uint8_t> term, std::span<const uint8_t> doclist) {
  CM_RETURN_IF_ERROR(StartTerm(term));
  if (used() + doclist.size() + 1 <= page_size_) {
    Append(page_, doclist.data(), doclist.size());
    return Status::Ok();
  }
  return AddRowsAcrossPages(doclist);
}

Status Fts5SegmentWriter::StartTerm(std::span<const uint8_t> term) {
  if (used() + term.size() + 2 >= page_size_ && page_.size() > 4) CM_RETURN_IF_ERROR(FlushPage());
  AppendVarint(page_index_, page_.size() - last_term_offset_);
  last_term_offset_ = page_.size();
  size_t prefix = 0;
  if (no_term_on_page_) {
    if (pgno_ != 1) {
      // The page starts a new run of the b-tree: its %_idx key is the shortest prefix of this
      // term that is greater than the term before it.
      size_t key = last_term_.empty() ? term.size() : 1 + CommonPrefix(last_term_, term);
      CM_RETURN_IF_ERROR(FlushIdxEntry());
      idx_term_.assign(term.begin(), term.begin() + static_cast<long>(key));
      idx_page_ = pgno_;
    }
  } else {
    prefix = CommonPrefix(last_term_, term);
    AppendVarint(page_, prefix);
  }
  AppendVarint(page_, term.size() - prefix);
  Append(page_, term.data() + prefix, term.size() - prefix);
  last_term_.assign(term.begin(), term.end());
  no_term_on_page_ = false;
  no_rowid_on_page_ = false;
  dlidx_[0].pgno = pgno_;
  return Status::Ok();
}

Status Fts5SegmentWriter::AddRowsAcrossPages(std::span<const uint8_t> doclist) {
  const uint8_t* d = doclist.data();
  const size_t n = doclist.size();
  size_t off = 0;
  int64_t rowid = 0, prev = 0;
  while (off < n) {
    if (!no_rowid_on_page_) {
      // Rows after the page's first are written as they come (a rowid delta, the size, the
      // positions): copy at once every whole row that fits, as the loop below would one by one.
      const size_t room = page_size_ - std::min(page_size_, used());
      size_t end = off;
      int64_t last = rowid;
      while (end < n) {
        uint64_t delta = 0, size_field = 0;
        const size_t delta_bytes = GetVarint(d + end, &delta);
        const size_t row = delta_bytes + GetVarint(d + end + delta_bytes, &size_field) + (size_field >> 1);
        if (end - off + row > room) break;
        end += row;
        last += static_cast<int64_t>(delta);
      }
      if (end > off) {
        Append(page_, d + off, end - off);
        off = end;
        rowid = prev = last;
        if (off >= n) break;
      }
    }
    uint64_t delta = 0;
    off += GetVarint(d + off, &delta);
    rowid += static_cast<int64_t>(delta);
    if (no_rowid_on_page_) {
      PutU16(page_.data(), page_.size());  // the header's offset of the page's first rowid
      AppendVarint(page_, static_cast<uint64_t>(rowid));
      no_rowid_on_page_ = false;
      CM_RETURN_IF_ERROR(AddToDoclistIndex(rowid));
    } else {
      AppendVarint(page_, static_cast<uint64_t>(rowid - prev));
    }
    prev = rowid;

    uint64_t size_field = 0;
    const size_t size_bytes = GetVarint(d + off, &size_field);
    const size_t copy = size_bytes + static_cast<size_t>(size_field >> 1);
    if (used() + copy <= page_size_) {
      Append(page_, d + off, copy);
    } else {
      // The position list continues on the next pages, split between varints.
      size_t done = 0;
      while (true) {
        const long room = static_cast<long>(page_size_) - static_cast<long>(used());
        const size_t left = copy - done;
        const size_t part = static_cast<long>(left) <= room ? left : WholeVarints(d + off + done, room);
        Append(page_, d + off + done, part);
        done += part;
        if (used() >= page_size_) CM_RETURN_IF_ERROR(FlushPage());
        if (done >= copy) break;
      }
    }
    off += copy;
  }
  return Status::Ok();
}

Status Fts5SegmentWriter::FlushPage() {
  PutU16(page_.data() + 2, page_.size());
  if (no_term_on_page_) {
    if (no_rowid_on_page_ && !dlidx_[0].buf.empty()) AppendVarint(dlidx_[0].buf, 0);
    ++termless_pages_;
  } else {
    Append(page_, page_index_.data(), page_index_.size());
  }
  CM_RETURN_IF_ERROR(sink_->Data(SegmentRowid(segid_, pgno_), page_));
  page_.assign(4, 0);
  page_index_.clear();
  last_term_offset_ = 0;
  ++pgno_;
  no_term_on_page_ = true;
  no_rowid_on_page_ = true;
  return Status::Ok();
}

Status Fts5SegmentWriter::FlushIdxEntry() {
  if (idx_page_ == 0) return Status::Ok();
  CM_ASSIGN_OR_RETURN(bool with_dlidx, FlushDoclistIndex());
  CM_RETURN_IF_ERROR(sink_->Idx(segid_, idx_term_, (idx_page_ << 1) + (with_dlidx ? 1 : 0)));
  idx_page_ = 0;
  return Status::Ok();
}

Result<bool> Fts5SegmentWriter::FlushDoclistIndex() {
  const bool keep = !dlidx_[0].buf.empty() && termless_pages_ >= 4;  // FTS5_MIN_DLIDX_SIZE
  for (size_t i = 0; i < dlidx_.size() && !dlidx_[i].buf.empty(); ++i) {
    if (keep) CM_RETURN_IF_ERROR(sink_->Data(DoclistIndexRowid(segid_, static_cast<int>(i), dlidx_[i].pgno), dlidx_[i].buf));
    dlidx_[i].buf.clear();
    dlidx_[i].has_prev = false;
  }
  termless_pages_ = 0;
  return keep;
}

Status Fts5SegmentWriter::AddToDoclistIndex(int64_t rowid) {
  bool done = false;
  for (size_t i = 0; !done; ++i) {
    if (dlidx_[i].buf.size() >= page_size_) {
      // This level's page is full: write it, and make sure the level above points at it.
      dlidx_[i].buf[0] = 0x01;  // not the root
      CM_RETURN_IF_ERROR(sink_->Data(DoclistIndexRowid(segid_, static_cast<int>(i), dlidx_[i].pgno), dlidx_[i].buf));
      if (dlidx_.size() < i + 2) dlidx_.resize(i + 2);
      DoclistIndexLevel& up = dlidx_[i + 1];
      if (up.buf.empty()) {
        uint64_t child = 0, first = 0;
        const size_t at = 1 + GetVarint(dlidx_[i].buf.data() + 1, &child);
        GetVarint(dlidx_[i].buf.data() + at, &first);
        up.pgno = dlidx_[i].pgno;
        AppendVarint(up.buf, 0);
        AppendVarint(up.buf, static_cast<uint64_t>(dlidx_[i].pgno));
        AppendVarint(up.buf, first);
        up.has_prev = true;
        up.prev = static_cast<int64_t>(first);
      }
      dlidx_[i].buf.clear();
      dlidx_[i].has_prev = false;
      ++dlidx_[i].pgno;
    } else {
      done = true;
    }
    DoclistIndexLevel& level = dlidx_[i];
    uint64_t value = 0;
    if (level.has_prev) {
      value = static_cast<uint64_t>(rowid - level.prev);
    } else {
      AppendVarint(level.buf, done ? 0 : 1);
      AppendVarint(level.buf, static_cast<uint64_t>(i == 0 ? pgno_ : dlidx_[i - 1].pgno));
      value = static_cast<uint64_t>(rowid);
    }
    AppendVarint(level.buf, value);
    level.has_prev = true;
    level.prev = rowid;
  }
  return Status::Ok();
}

Result<int64_t> Fts5SegmentWriter::Finish() {
  if (page_.size() > 4) CM_RETURN_IF_ERROR(FlushPage());
  const int64_t last = pgno_ - 1;
  if (pgno_ > 1) CM_RETURN_IF_ERROR(FlushIdxEntry());
  return last;
}

}  // namespace cm::fts5
