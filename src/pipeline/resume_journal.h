// ResumeJournal: a local append-only file that records, for one migration into a server, which
// batches were sent and which the server acknowledged, and which collections the run created.
//
// The journal is keyed by a fingerprint of everything that determines the batches (source,
// destination without secrets, tenant/database, selection, policies, batch limits, encoding), so
// a re-run with --resume over the same inputs forms the same batches in the same order and can
// skip the acknowledged ones. A batch that was sent but not acknowledged is re-sent with upsert
// (idempotent). Lines are written with fflush before the request they describe is made, so a
// SIGKILL loses nothing the journal claims; a torn last line is ignored on reading.
// Thread-safe (one mutex); Finish() removes the file after a successful run.
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "core/status.h"

namespace cm {

// Where journals live by default: $XDG_CACHE_HOME/chroma-migrate, ~/.cache/chroma-migrate, or
// /tmp/chroma-migrate-<uid>.
std::string DefaultJournalDir();
// FNV-1a 64-bit of `text`, as 16 hex digits.
std::string Fingerprint(const std::string& text);

class ResumeJournal {
 public:
  // Opens dir/<fingerprint>.journal. With `resume` an existing journal is loaded; without it an
  // existing one is replaced. `key` is stored on the first line and checked on resume.
  static Result<std::unique_ptr<ResumeJournal>> Open(const std::string& dir, const std::string& key, bool resume);
  ~ResumeJournal();

  const std::string& path() const { return path_; }
  bool resumed() const { return resumed_; }
  size_t acked_count() const;
  bool Acked(uint64_t seq) const;
  bool Sent(uint64_t seq) const;
  std::optional<std::string> CreatedCollection(const std::string& name) const;

  Status RecordCollection(const std::string& name, const std::string& id);
  Status MarkSent(uint64_t seq);
  Status MarkAcked(uint64_t seq);
  Status Finish();

 private:
  Status Append(const std::string& line);
  std::string path_;
  bool resumed_ = false;
  FILE* f_ = nullptr;
  mutable std::mutex mu_;
  std::unordered_set<uint64_t> sent_, acked_;
  std::map<std::string, std::string> created_;
};

}  // namespace cm
