// Is anyone else using a chroma.sqlite3 file right now? Readers of a source persist directory
// call this before opening it (immutable, lock-free) and again after reading it, and refuse
// to go on when the answer is yes: a running Chroma keeps unpersisted HNSW state in memory and
// may rewrite the segment files and the queue at any moment, so nothing read would be a
// consistent snapshot.
//
// Signals, in order: a hot rollback journal (non-empty <db>-journal), a write-ahead log
// (<db>-wal non-empty, or <db>-shm present), a POSIX lock held by another process on SQLite's
// lock bytes, and (Linux, best effort) another process with the file open in /proc/*/fd.
// Read-only: only stat, fcntl(F_GETLK) on an O_RDONLY descriptor and readlink.
// Stateless and thread-safe.
#pragma once

#include <string>

#include "core/status.h"

namespace cm {

// OK when no other user is detected; otherwise an IoError saying what was found (file, or
// process id and command) and what to do.
Status CheckNoLiveWriter(const std::string& db_path);

}  // namespace cm
