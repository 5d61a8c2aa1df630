// SpilledRuns: postings runs moved out of memory into one unlinked scratch file, so that a
// full-text index of any size is written as one segment with bounded memory (an external merge):
// Spill merges the runs in memory term by term (MergeRuns) into one run appended to the file;
// Cursors reads each spilled run back term by term through a buffer of its own, for the final
// merge with whatever is still in memory.
//
// A spilled term: its key (16 bytes), its doclist's last rowid (8), the doclist's length (8),
// then the doclist; little-endian. The file lives in `dir` (the staging directory: the same
// file system as the result) and goes when this object does, however the run ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/fts5/postings_runs.h"
#include "io/unique_fd.h"

namespace cm::fts5 {

class SpilledRuns {
 public:
  static constexpr size_t kBufferBytes = size_t{1} << 20;  // per spilled run being read, and for writing

  static Result<std::unique_ptr<SpilledRuns>> Create(const std::string& dir);

  // Appends the merge of `runs` (consecutive documents, in order) as one spilled run.
  Status Spill(const std::vector<RunCursor*>& runs);
  size_t count() const { return extents_.size(); }
  uint64_t bytes() const { return end_; }
  // One cursor per spilled run, in the order spilled, on its first term. They read the file as
  // it is now.
  Result<std::vector<std::unique_ptr<RunCursor>>> Cursors() const;
  // Forgets every spilled run (the file's space is reused).
  void Clear();

 private:
  SpilledRuns(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Status Flush(std::vector<uint8_t>& buffer);

  UniqueFd fd_;
  std::string path_;  // for messages
  uint64_t end_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> extents_;  // [begin, end) of each spilled run
};

}  // namespace cm::fts5
