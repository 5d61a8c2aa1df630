// The postings of an FTS5 index with one column and detail=full (which rows hold each term, at
// which token positions), gathered into runs and written as a segment term by term, in the order
// FTS5 keeps terms.
//
// FTS5 gathers them in a hash table keyed by the term, whose hash function gives three-byte
// terms (the trigram tokenizer's) few distinct values, so most of its time goes to walking
// chains (docs/performance.md, note 14). Here:
//  * RunBuilder (one per thread) packs a term of up to 15 bytes into a 128-bit key whose integer
//    order is the terms' byte order (memcmp, then length); an open-addressing table gives each a
//    dense id; each token appends (id, document, position) to a flat array. Finish groups the
//    array by term (a counting sort, in key order) and encodes a PostingsRun: each term's
//    doclist over the run's documents, as FTS5 holds it in memory.
//  * MergeRuns merges runs of consecutive documents (each run's rows after the previous run's)
//    term by term: each term's doclist is its runs' pieces one after the other; WriteSegment
//    writes the merge as a segment, SpilledRuns (spilled_runs.h) as one run in a scratch file.
// Runs may be built on several threads at once, from consecutive batches of documents.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/fts5/segment_writer.h"

namespace cm::fts5 {

struct TermKey {
  uint64_t hi = 0, lo = 0;  // the bytes big-endian, zero-padded; the length in lo's low byte
  bool operator==(const TermKey&) const = default;
  bool operator<(const TermKey& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
};

struct PostingsRun {
  std::vector<TermKey> keys;        // in order
  std::vector<size_t> ends;         // of each term's doclist in `bytes`
  std::vector<int64_t> last_rowids;  // of each term's doclist
  std::vector<uint8_t> bytes;
  std::vector<std::pair<int64_t, uint32_t>> sizes;  // each document's (rowid, tokens), for %_docsize
  uint64_t tokens = 0;
  size_t memory() const {
    return bytes.capacity() + keys.capacity() * (sizeof(TermKey) + sizeof(size_t) + sizeof(int64_t)) +
           sizes.capacity() * sizeof(sizes[0]);
  }
};

class RunBuilder {
 public:
  static constexpr size_t kMaxTermBytes = 15;

  RunBuilder();
  // Documents come in increasing rowid order, each one's tokens between Begin and End.
  void BeginDocument(int64_t rowid);
  // `colocated` (FTS5_TOKEN_COLOCATED): at the previous token's position. Tokens over
  // kMaxTermBytes are refused (the trigram tokenizer makes at most 12 bytes).
  Status AddToken(std::span<const uint8_t> token, bool colocated);
  void EndDocument();
  // The run of the documents since the last Finish.
  PostingsRun Finish();
  // Frees the scratch Finish keeps between runs (~19 bytes a token of the largest run); the
  // terms seen so far are kept.
  void ReleaseScratch();

 private:
  struct Slot {
    TermKey key;
    uint32_t id_plus_one = 0;  // 0: empty
  };
  struct Entry {
    uint32_t id, doc, position;
  };
  struct Posting {  // an entry once grouped by term
    uint32_t doc, position;
  };
  uint32_t IdOf(const TermKey& key);
  void Grow();

  std::vector<Slot> table_;
  size_t mask_ = 0;
  int shift_ = 0;
  std::vector<TermKey> keys_;  // by id
  std::vector<Entry> entries_;
  std::vector<int64_t> doc_rowids_;
  std::vector<std::pair<int64_t, uint32_t>> sizes_;
  uint32_t tokens_ = 0;  // the current document's
  uint64_t run_tokens_ = 0;
  // Finish's scratch, kept between runs.
  std::vector<uint32_t> counts_;
  std::vector<uint32_t> by_key_;  // every id so far, in key order (new ids sorted and merged in)
  std::vector<Posting> grouped_;
  std::vector<uint8_t> encoded_, positions_;
};

// A run read term by term in key order: a PostingsRun in memory, or one spilled to a file
// (spilled_runs.h).
class RunCursor {
 public:
  virtual ~RunCursor() = default;
  virtual bool done() const = 0;
  // The current term (valid until Next):
  virtual const TermKey& key() const = 0;
  virtual std::span<const uint8_t> doclist() const = 0;
  virtual int64_t last_rowid() const = 0;
  virtual Status Next() = 0;
};
std::unique_ptr<RunCursor> CursorOver(const PostingsRun& run);  // the run outlives the cursor

// Merges runs of consecutive documents (each run's rowids above the previous run's; `runs` in
// that order) term by term in key order, calling out(key, doclist, last rowid) with each term's
// whole doclist: its runs' pieces one after the other.
using MergedTerm = std::function<Status(const TermKey&, std::span<const uint8_t>, int64_t)>;
Status MergeRuns(const std::vector<RunCursor*>& runs, const MergedTerm& out);

// The term as FTS5's main index keys it: '0', then its bytes.
std::vector<uint8_t> IndexTerm(const TermKey& key);

// Writes the terms of `runs` into `writer`, each with its whole doclist.
Status WriteSegment(const std::vector<RunCursor*>& runs, Fts5SegmentWriter& writer);

}  // namespace cm::fts5
