// File-system helpers for atomic output: fsync of files and directories, and a staging
// directory that becomes the destination only by a final rename. Errors name the path.
#pragma once

#include <string>

#include "core/status.h"
#include "io/unique_fd.h"

namespace cm {

// Flushes a file or directory to stable storage.
Status FsyncPath(const std::string& path);
// fsyncs every regular file below `dir`, then every directory bottom-up.
Status FsyncTree(const std::string& dir);
// True when `path` does not exist; false when it is a non-empty directory or a file.
// `*empty_dir` is set when it exists as an empty directory.
Result<bool> PathIsFree(const std::string& path, bool* empty_dir);
Status RemoveTree(const std::string& path);
// Renames atomically (same file system). IoError names both paths.
Status RenamePath(const std::string& from, const std::string& to);
Status MakeDir(const std::string& path);
// Where scratch files go: $TMPDIR, else /tmp. Not checked here: creating a file in it reports
// what is wrong, with the path.
std::string TempDir();
// Creates a file from `*name`, a path ending in "XXXXXX" (mkostemp), and unlinks it at once: it
// lives only as the returned descriptor, gone when that closes, however the run ends. `*name`
// becomes the name it had, for messages. An invalid descriptor, with errno set, on failure.
UniqueFd CreateUnlinkedFile(std::string* name);

}  // namespace cm
