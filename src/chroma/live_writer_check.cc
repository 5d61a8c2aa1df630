#include "chroma/live_writer_check.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "io/unique_fd.h"

namespace fs = std::filesystem;

namespace cm {
namespace {

constexpr off_t kPendingByte = 0x40000000;  // SQLite's lock bytes: PENDING, RESERVED, SHARED range
constexpr off_t kLockBytes = 2 + 510;

std::string Advice(const std::string& db_path) {
  return fmt::format("stop every program using {} (a Chroma server or client), or migrate from a copy made while it "
                     "was stopped, then run again",
                     fs::path(db_path).parent_path().string());
}

std::string CommandOf(long pid) {
  std::ifstream f(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (char& c : cmd) {
    if (c == '\0') c = ' ';
  }
  while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
  if (cmd.size() > 120) cmd = cmd.substr(0, 117) + "...";
  return cmd.empty() ? "?" : cmd;
}

// Another process holding any SQLite lock on the file (a transaction in progress).
Status CheckLocks(const std::string& db_path) {
  UniqueFd fd(::open(db_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::IoError(fmt::format("{}: cannot open: {}", db_path, std::strerror(errno)));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = kPendingByte;
  fl.l_len = kLockBytes;
  int rc = ::fcntl(fd.get(), F_GETLK, &fl);
  fd.Close();
  if (rc == 0 && fl.l_type != F_UNLCK) {
    return Status::IoError(fmt::format("{}: process {} ({}) holds a SQLite {} lock on it: a write or read is in progress; "
                                       "refusing to read a database that is in use; {}",
                                       db_path, static_cast<long>(fl.l_pid), CommandOf(fl.l_pid),
                                       fl.l_type == F_WRLCK ? "write" : "read", Advice(db_path)));
  }
  return Status::Ok();
}

// Another process with the file open (Linux /proc; processes we may not inspect are skipped).
Status CheckOpeners(const std::string& db_path) {
  std::error_code ec;
  fs::path target = fs::canonical(db_path, ec);
  if (ec) return Status::Ok();
  const long self = static_cast<long>(::getpid());
  fs::directory_iterator procs("/proc", ec);
  if (ec) return Status::Ok();
  for (const auto& p : procs) {
    const std::string name = p.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    long pid = std::stol(name);
    if (pid == self) continue;
    std::error_code ec2;
    fs::directory_iterator fds(p.path() / "fd", ec2);
    if (ec2) continue;
    for (const auto& fd : fds) {
      std::error_code ec3;
      fs::path link = fs::read_symlink(fd.path(), ec3);
      if (!ec3 && link == target) {
        return Status::IoError(fmt::format("{}: process {} ({}) has this database open, so it may be writing to it; "
                                           "refusing to read a live persist directory; {}",
                                           db_path, pid, CommandOf(pid), Advice(db_path)));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckNoLiveWriter(const std::string& db_path) {
  std::error_code ec;
  const std::string journal = db_path + "-journal";
  if (fs::exists(journal, ec) && fs::file_size(journal, ec) > 0 && !ec) {
    return Status::IoError(fmt::format(
        "{}: a rollback journal exists: a write is in progress or a writer crashed mid-transaction; reading now "
        "could see half a transaction, and rolling it back would modify the source; {}",
        journal, Advice(db_path)));
  }
  const std::string wal = db_path + "-wal";
  if (fs::exists(wal, ec) && fs::file_size(wal, ec) > 0 && !ec) {
    return Status::IoError(fmt::format(
        "{}: a write-ahead log with uncheckpointed data exists: the database is in use or was not closed cleanly; "
        "refusing to read it (reading would need to write {}-shm); {}",
        wal, db_path, Advice(db_path)));
  }
  if (fs::exists(db_path + "-shm", ec)) {
    return Status::IoError(fmt::format("{}-shm: a WAL shared-memory file exists: another connection has the database "
                                       "open; {}",
                                       db_path, Advice(db_path)));
  }
  CM_RETURN_IF_ERROR(CheckLocks(db_path));
  return CheckOpeners(db_path);
}

}  // namespace cm
