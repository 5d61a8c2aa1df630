// Fts5SegmentWriter: lays out one FTS5 segment (the b-tree of terms and doclists an FTS5 index
// is made of) from terms given in order, each with its whole doclist, the way FTS5 itself writes
// a segment when it flushes its in-memory postings (ext/fts5/fts5_index.c, fts5FlushOneHash and
// the fts5Write* functions; the format is described at the top of that file):
//
//  * leaf pages of about `page_size` bytes (FTS5's pgsz, 4050 unless configured), rowid
//    (segid << 37) | pgno, each a 4-byte header (offset of a rowid before the page's first term,
//    offset of the page index), terms prefix-compressed against the previous one (the first on
//    each page in full), their doclists, and the page index (each term's offset, delta-coded);
//  * a doclist too large for its page continues on the next ones, split between rowids or
//    between the varints of a position list;
//  * one %_idx row per run of pages that starts with a term: (segid, the shortest prefix of
//    that term greater than every term before it, pgno << 1 | whether a doclist index follows);
//  * a doclist index (rowid (segid << 37) | 1 << 36 | height << 31 | pgno) for a doclist that
//    spans 4 or more pages without a term, with the first rowid of each page.
//
// The same terms and doclists give the same bytes as FTS5's own flush of them, which the unit
// tests check against SQLite's FTS5. The segment's rows go to a Sink; nothing else is written
// (structure and averages records are the caller's).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace cm::fts5 {

inline constexpr int kDefaultPageSize = 4050;  // FTS5_DEFAULT_PAGE_SIZE

inline constexpr int64_t SegmentRowid(int segid, int64_t pgno) { return (int64_t{segid} << 37) + pgno; }
inline constexpr int64_t DoclistIndexRowid(int segid, int height, int64_t pgno) {
  return (int64_t{segid} << 37) + (int64_t{1} << 36) + (int64_t{height} << 31) + pgno;
}

class Fts5SegmentWriter {
 public:
  struct Sink {
    virtual ~Sink() = default;
    virtual Status Data(int64_t rowid, std::span<const uint8_t> block) = 0;                   // a %_data row
    virtual Status Idx(int segid, std::span<const uint8_t> term, int64_t pgno) = 0;           // a %_idx row
  };

  Fts5SegmentWriter(int segid, int page_size, Sink* sink);

  // `term` as the index keys it (FTS5's main index: '0' then the token), greater than the
  // previous one. `doclist` in FTS5's in-memory form: for each row, in increasing rowid order,
  // the rowid (the first absolute, then deltas), the position list's size in bytes times two,
  // and the position list.
  Status AddTerm(std::span<const uint8_t> term, std::span<const uint8_t> doclist);
  // Writes the last page and %_idx row; returns the last leaf's page number (0: no term added).
  Result<int64_t> Finish();

 private:
  struct DoclistIndexLevel {
    std::vector<uint8_t> buf;
    int64_t pgno = 0;
    bool has_prev = false;
    int64_t prev = 0;
  };
  size_t used() const { return page_.size() + page_index_.size(); }
  Status StartTerm(std::span<const uint8_t> term);
  // A doclist too large for the room left: whole rows copied while they fit, then the row that
  // crosses into the next page (split between varints), and so on.
  Status AddRowsAcrossPages(std::span<const uint8_t> doclist);
  Status FlushPage();
  Status FlushIdxEntry();
  Result<bool> FlushDoclistIndex();
  Status AddToDoclistIndex(int64_t rowid);

  int segid_;
  size_t page_size_;
  Sink* sink_;
  std::vector<uint8_t> page_ = std::vector<uint8_t>(4, 0);
  std::vector<uint8_t> page_index_;
  size_t last_term_offset_ = 0;  // on this page, for the page index's deltas
  int64_t pgno_ = 1;
  std::vector<uint8_t> last_term_;
  bool no_term_on_page_ = true;
  bool no_rowid_on_page_ = false;
  int64_t idx_page_ = 1;  // the page whose %_idx row is pending (0: none)
  std::vector<uint8_t> idx_term_;
  int termless_pages_ = 0;  // since idx_page_
  std::vector<DoclistIndexLevel> dlidx_ = std::vector<DoclistIndexLevel>(1);
};

}  // namespace cm::fts5
