// TermPostings: the postings of an FTS5 index with one column and detail=full (which rows hold
// each term, at which token positions), gathered document by document and handed to an
// Fts5SegmentWriter term by term, in the order FTS5 keeps terms.
//
// FTS5 gathers them in a hash table keyed by the term, whose hash function gives three-byte
// terms (the trigram tokenizer's) few distinct values, so most of its time goes to walking
// chains (docs/performance.md, note 14). Here a term of up to 15 bytes is packed into a 128-bit
// key whose integer order is the terms' byte order (memcmp, then length); an open-addressing
// table gives each a dense id; each token appends (id, document, position) to a flat array.
// Every kChunkTokens tokens the array is grouped by term (a counting sort, in key order) and
// encoded into a run: for each term, its doclist over the chunk's documents. At
// WriteSegment the runs are concatenated term by term (the documents come in rowid order, so
// run after run only continues each doclist) and written; then they are freed. held_bytes()
// says how much memory the runs and the array hold, so that the caller can write a segment
// before they outgrow its budget; besides, the grouping's scratch (2 × 12 bytes per token of a
// chunk: 12 MiB) and the term table (40 bytes per distinct term) stay allocated.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "formats/fts5/segment_writer.h"

namespace cm::fts5 {

class TermPostings {
 public:
  static constexpr size_t kMaxTermBytes = 15;
  static constexpr size_t kChunkTokens = size_t{1} << 19;

  explicit TermPostings(size_t chunk_tokens = kChunkTokens);

  // Documents come in increasing rowid order.
  void BeginDocument(int64_t rowid);
  // A token of the current document; `colocated` (FTS5_TOKEN_COLOCATED): at the previous
  // token's position. Tokens over kMaxTermBytes are refused (the trigram tokenizer makes at
  // most 12 bytes).
  Status AddToken(std::span<const uint8_t> token, bool colocated);
  // Returns the document's size in tokens, as %_docsize stores it.
  uint32_t EndDocument();

  bool empty() const { return runs_.empty() && entries_.empty(); }
  size_t held_bytes() const;
  // Every term gathered since the last call, in order, with its doclist; then forgets them.
  Status WriteSegment(Fts5SegmentWriter& writer);

 private:
  struct Key {
    uint64_t hi = 0, lo = 0;  // the bytes big-endian, zero-padded; the length in lo's low byte
    bool operator==(const Key&) const = default;
    bool operator<(const Key& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
  };
  struct Slot {
    Key key;
    uint32_t id_plus_one = 0;  // 0: empty
  };
  struct Entry {
    uint32_t id, doc, position;
  };
  struct Run {  // a chunk's doclists, term by term in key order
    std::vector<uint32_t> ids;
    std::vector<size_t> ends;         // of each doclist in bytes
    std::vector<int64_t> last_rowids;  // of each doclist
    std::vector<uint8_t> bytes;
  };

  uint32_t IdOf(const Key& key);
  void Grow();
  void EncodeRun();
  std::vector<uint8_t> TermBytes(uint32_t id) const;  // '0' (FTS5's main index) then the token

  size_t chunk_tokens_;
  std::vector<Slot> table_;
  size_t mask_ = 0;
  std::vector<Key> keys_;  // by id
  std::vector<Entry> entries_;
  std::vector<int64_t> doc_rowids_;  // of the chunk's documents
  uint32_t position_ = 0;            // next position in the current document
  uint32_t tokens_ = 0;              // the current document's size
  std::vector<Run> runs_;
  size_t run_bytes_ = 0;
  // Scratch of EncodeRun and WriteSegment, kept between calls.
  std::vector<uint32_t> counts_;
  std::vector<Entry> grouped_;
  std::vector<uint8_t> encoded_, positions_, merged_;
};

}  // namespace cm::fts5
