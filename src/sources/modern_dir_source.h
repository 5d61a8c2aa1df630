// ModernDirSource: a Chroma 0.4.0–1.x persist directory (chroma.sqlite3 + HNSW segment
// folders; modern-format.md §8), opened strictly read-only. Records come from the metadata
// tables and vectors from the HNSW segment files, with the embeddings_queue replayed on top.
//
// Safety: Open() refuses a directory that another process is using (hot journal, WAL, a lock,
// or an open file handle; see chroma/live_writer_check.h) and then opens the database with
// SQLite's mode=ro&immutable=1, so no lock, journal or -shm file is ever created; HNSW files are
// mapped read-only. When reading ends, the check runs again and the database's size and mtime
// must be unchanged, otherwise the run fails rather than migrate an inconsistent snapshot.
//
// Schema levels are detected by migrations.filename and table columns (chroma/modern_schema.h);
// columns are selected by name. Every tenant and database is read unless the endpoint options
// name one. Collections are processed one at a time: memory is bounded by one collection's ids
// and metadata (vectors are referenced and read when emitted). Orphan segment folders (on disk,
// absent from `segments`) are ignored and listed by Describe() and Warnings().
// One thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "sources/source.h"

namespace cm {

bool LooksLikeModernDir(const std::string& dir);

class ModernDirSource : public Source {
 public:
  static Result<std::unique_ptr<Source>> Open(const std::string& dir, const EndpointOptions& options);
  // Things the user should know that did not stop the run (orphan folders, records without a
  // vector in any segment, unknown migrations).
  virtual std::vector<std::string> Warnings() const = 0;
};

}  // namespace cm
