#include "formats/fts5/postings_runs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <queue>

#include "formats/fts5/varint.h"

namespace cm::fts5 {
namespace {

// Multiplicative hashing, taking the product's top bits: each depends on every bit below it,
// and a short term's bytes are all in hi's top bits (the low bits of a product of them would
// be zero, the very collapse FTS5's own hash suffers).
size_t SlotOf(const TermKey& k, int shift) {
  const uint64_t h = (k.hi ^ (k.lo * 0xC2B2AE3D27D4EB4Full)) * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h >> shift);
}

}  // namespace

std::vector<uint8_t> IndexTerm(const TermKey& k) {
  uint8_t bytes[16];
  const uint64_t hi = __builtin_bswap64(k.hi), lo = __builtin_bswap64(k.lo);
  std::memcpy(bytes, &hi, 8);
  std::memcpy(bytes + 8, &lo, 8);
  std::vector<uint8_t> term;
  term.reserve(1 + RunBuilder::kMaxTermBytes);
  term.push_back('0');
  term.insert(term.end(), bytes, bytes + (k.lo & 0xff));
  return term;
}

namespace {

class MemoryCursor : public RunCursor {
 public:
  explicit MemoryCursor(const PostingsRun& run) : run_(run) {}
  bool done() const override { return at_ >= run_.keys.size(); }
  const TermKey& key() const override { return run_.keys[at_]; }
  std::span<const uint8_t> doclist() const override {
    const size_t begin = at_ == 0 ? 0 : run_.ends[at_ - 1];
    return {run_.bytes.data() + begin, run_.ends[at_] - begin};
  }
  int64_t last_rowid() const override { return run_.last_rowids[at_]; }
  Status Next() override {
    ++at_;
    return Status::Ok();
  }

 private:
  const PostingsRun& run_;
  size_t at_ = 0;
};

}  // namespace

std::unique_ptr<RunCursor> CursorOver(const PostingsRun& run) { return std::make_unique<MemoryCursor>(run); }

RunBuilder::RunBuilder() {
  table_.resize(size_t{1} << 14);
  mask_ = table_.size() - 1;
  shift_ = 64 - 14;
}

void RunBuilder::BeginDocument(int64_t rowid) {
  doc_rowids_.push_back(rowid);
  tokens_ = 0;
}

Status RunBuilder::AddToken(std::span<const uint8_t> token, bool colocated) {
  if (token.size() > kMaxTermBytes) {
    return Status::Internal(fmt::format("the full-text tokenizer made a token of {} bytes (at most {} expected)",
                                        token.size(), kMaxTermBytes));
  }
  // Shifted into place byte by byte: bytes stored to a buffer and loaded back as words stall
  // the load (no store forwarding), which took two thirds of this function's time.
  const uint8_t* t = token.data();
  const size_t n = token.size();
  uint64_t hi = 0, lo = n;
  for (size_t i = 0; i < std::min<size_t>(n, 8); ++i) hi |= uint64_t{t[i]} << (56 - 8 * i);
  for (size_t i = 8; i < n; ++i) lo |= uint64_t{t[i]} << (56 - 8 * (i - 8));
  const TermKey key{hi, lo};
  // As FTS5 counts them: a colocated token shares the previous position, unless it is the first.
  if (!colocated || tokens_ == 0) ++tokens_;
  entries_.push_back({IdOf(key), static_cast<uint32_t>(doc_rowids_.size() - 1), tokens_ - 1});
  return Status::Ok();
}

void RunBuilder::EndDocument() {
  sizes_.emplace_back(doc_rowids_.back(), tokens_);
  run_tokens_ += tokens_;
}

uint32_t RunBuilder::IdOf(const TermKey& key) {
  size_t slot = SlotOf(key, shift_);
  while (true) {
    Slot& s = table_[slot];
    if (s.id_plus_one == 0) break;
    if (s.key == key) return s.id_plus_one - 1;
    slot = (slot + 1) & mask_;
  }
  const auto id = static_cast<uint32_t>(keys_.size());
  keys_.push_back(key);
  table_[slot] = {key, id + 1};
  if (keys_.size() * 2 > table_.size()) Grow();
  return id;
}

void RunBuilder::Grow() {
  std::vector<Slot> old(table_.size() * 2);
  old.swap(table_);
  mask_ = table_.size() - 1;
  --shift_;
  for (const Slot& s : old) {
    if (s.id_plus_one == 0) continue;
    size_t slot = SlotOf(s.key, shift_);
    while (table_[slot].id_plus_one != 0) slot = (slot + 1) & mask_;
    table_[slot] = s;
  }
}

PostingsRun RunBuilder::Finish() {
  PostingsRun run;
  run.sizes = std::move(sizes_);
  run.tokens = run_tokens_;
  sizes_.clear();
  run_tokens_ = 0;
  // Group the entries by term, terms in key order, each term's entries in the order they came
  // (document, then position): a counting sort.
  counts_.resize(keys_.size(), 0);
  std::vector<uint32_t> present;
  for (const Entry& e : entries_) {
    if (counts_[e.id]++ == 0) present.push_back(e.id);
  }
  // In key order: sorted by themselves when few of the terms so far are present; otherwise picked
  // from every term so far in key order (by_key_, into which new terms are merged).
  auto by_key = [&](uint32_t a, uint32_t b) { return keys_[a] < keys_[b]; };
  if (present.size() * 8 < keys_.size()) {
    std::sort(present.begin(), present.end(), by_key);
  } else {
    const auto known = static_cast<long>(by_key_.size());
    for (auto id = static_cast<uint32_t>(by_key_.size()); id < keys_.size(); ++id) by_key_.push_back(id);
    std::sort(by_key_.begin() + known, by_key_.end(), by_key);
    std::inplace_merge(by_key_.begin(), by_key_.begin() + known, by_key_.end(), by_key);
    present.clear();
    for (uint32_t id : by_key_) {
      if (counts_[id] != 0) present.push_back(id);
    }
  }
  std::vector<size_t> ends(present.size());
  size_t at = 0;
  for (size_t i = 0; i < present.size(); ++i) {
    const uint32_t n = counts_[present[i]];
    counts_[present[i]] = static_cast<uint32_t>(at);
    at += n;
    ends[i] = at;
  }
  grouped_.resize(entries_.size());
  for (const Entry& e : entries_) grouped_[counts_[e.id]++] = {e.doc, e.position};
  for (uint32_t id : present) counts_[id] = 0;

  // Encoded into scratch big enough for any run (a posting takes at most 5 bytes, a row's
  // rowid and size 14 more), then copied to the run's exact size.
  encoded_.resize(entries_.size() * 19);
  uint8_t* out = encoded_.data();
  run.keys.reserve(present.size());
  run.ends.reserve(present.size());
  run.last_rowids.reserve(present.size());
  size_t begin = 0;
  for (size_t i = 0; i < present.size(); ++i) {
    int64_t prev_rowid = 0;
    size_t k = begin;
    while (k < ends[i]) {
      const uint32_t doc = grouped_[k].doc;
      const int64_t rowid = doc_rowids_[doc];
      // The position list: first position + 2, then each delta + 2 (a repeated position, which
      // only colocated tokens give, is kept once, as FTS5 does).
      size_t group = k;
      while (group < ends[i] && grouped_[group].doc == doc) ++group;
      if (positions_.size() < (group - k) * 5) positions_.resize((group - k) * 5);
      uint8_t* p = positions_.data();
      uint32_t prev_position = 0;
      for (size_t j = k; j < group; ++j) {
        const uint32_t position = grouped_[j].position;
        if (j > k && position == prev_position) continue;
        p += PutVarint(p, uint64_t{position} - prev_position + 2);
        prev_position = position;
      }
      const auto bytes = static_cast<size_t>(p - positions_.data());
      out += PutVarint(out, static_cast<uint64_t>(rowid - prev_rowid));
      out += PutVarint(out, uint64_t{bytes} * 2);
      std::memcpy(out, positions_.data(), bytes);
      out += bytes;
      prev_rowid = rowid;
      k = group;
    }
    run.keys.push_back(keys_[present[i]]);
    run.ends.push_back(static_cast<size_t>(out - encoded_.data()));
    run.last_rowids.push_back(prev_rowid);
    begin = ends[i];
  }
  run.bytes.assign(encoded_.data(), out);
  entries_.clear();
  doc_rowids_.clear();
  return run;
}

void RunBuilder::ReleaseScratch() {
  std::vector<Entry>().swap(entries_);
  std::vector<Posting>().swap(grouped_);
  std::vector<uint8_t>().swap(encoded_);
  std::vector<uint8_t>().swap(positions_);
}

Status MergeRuns(const std::vector<RunCursor*>& runs, const MergedTerm& out) {
  // A k-way merge by key; for one key, the runs in their order (ties go to the earlier run).
  using Head = std::pair<TermKey, size_t>;  // (key, run)
  auto later = [](const Head& a, const Head& b) {
    if (b.first < a.first) return true;
    if (a.first < b.first) return false;
    return a.second > b.second;
  };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heads(later);
  for (size_t r = 0; r < runs.size(); ++r) {
    if (!runs[r]->done()) heads.emplace(runs[r]->key(), r);
  }
  std::vector<uint8_t> merged;
  while (!heads.empty()) {
    const auto [key, first_run] = heads.top();
    heads.pop();
    RunCursor* run = runs[first_run];
    if (heads.empty() || !(heads.top().first == key)) {  // in one run only: its bytes as they are
      CM_RETURN_IF_ERROR(out(key, run->doclist(), run->last_rowid()));
      CM_RETURN_IF_ERROR(run->Next());
      if (!run->done()) heads.emplace(run->key(), first_run);
      continue;
    }
    // (Copied: a cursor's bytes last only until its Next.)
    merged.assign(run->doclist().begin(), run->doclist().end());
    int64_t last_rowid = run->last_rowid();
    CM_RETURN_IF_ERROR(run->Next());
    if (!run->done()) heads.emplace(run->key(), first_run);
    while (!heads.empty() && heads.top().first == key) {
      const size_t r = heads.top().second;
      heads.pop();
      run = runs[r];
      // A later run continues the doclist: its first rowid becomes a delta.
      std::span<const uint8_t> part = run->doclist();
      uint64_t first = 0;
      const size_t n = GetVarint(part.data(), &first);
      AppendVarint(merged, first - static_cast<uint64_t>(last_rowid));
      merged.insert(merged.end(), part.begin() + static_cast<long>(n), part.end());
      last_rowid = run->last_rowid();
      CM_RETURN_IF_ERROR(run->Next());
      if (!run->done()) heads.emplace(run->key(), r);
    }
    CM_RETURN_IF_ERROR(out(key, merged, last_rowid));
  }
  return Status::Ok();
}

Status WriteSegment(const std::vector<RunCursor*>& runs, Fts5SegmentWriter& writer) {
  return MergeRuns(runs, [&](const TermKey& key, std::span<const uint8_t> doclist, int64_t) {
    return writer.AddTerm(IndexTerm(key), doclist);
  });
}

}  // namespace cm::fts5
