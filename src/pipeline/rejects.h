// RejectsFile: JSON lines, one per record that was not migrated, so nothing disappears
// silently. Each line: {"collection", "collection_key", "id", "location", "reason", "detail",
// "record": {...the record as read or as converted...}}. Embedding values are written exactly
// (shortest round-trip doubles; NaN/Infinity as Python writes them), so a user can repair and
// re-import a rejected record. The file is created on the first reject only, as
// "<path>.partial"; Commit() gives it its name once the migration succeeded, and a failed run
// removes it (nothing was migrated, so nothing was rejected).
// One thread.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "core/status.h"
#include "pipeline/policies.h"
#include "sources/source.h"

namespace cm {

class RejectsFile {
 public:
  explicit RejectsFile(std::string path) : path_(std::move(path)) {}
  ~RejectsFile();
  RejectsFile(const RejectsFile&) = delete;
  RejectsFile& operator=(const RejectsFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t count() const { return count_; }

  Status AddSource(const std::string& collection, const SourceRecord& r, const RejectReason& why);
  Status AddConverted(const std::string& collection, const std::string& collection_key, const std::string& location,
                      const ConvertedRecord& r, const RejectReason& why);
  // Closes the file and renames it to path(); a no-op when nothing was rejected.
  Status Commit();

 private:
  Status Close();
  Status WriteLine(const std::string& line);
  std::string path_;
  std::string partial_path() const { return path_ + ".partial"; }
  FILE* f_ = nullptr;
  uint64_t count_ = 0;
  bool committed_ = false;
};

}  // namespace cm
