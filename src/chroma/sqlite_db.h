// RAII wrappers around sqlite3 and sqlite3_stmt with Status errors.
//
// SQL is only ever run with bound parameters (Bind*), never with values spliced into text.
// Errors name the database file and the statement. A Db is used from one thread at a time
// (SQLite's own serialized mode is not relied upon); Stmt objects must not outlive their Db.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace cm {

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3_stmt* s, std::string db_path) : s_(s), db_path_(std::move(db_path)) {}
  Stmt(Stmt&& o) noexcept : s_(o.s_), db_path_(std::move(o.db_path_)) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Parameters are 1-based, as in SQLite.
  Status BindText(int i, std::string_view v);
  Status BindBlob(int i, const void* data, size_t size);
  Status BindInt(int i, int64_t v);
  Status BindDouble(int i, double v);
  Status BindNull(int i);
  Status BindOptionalText(int i, const std::optional<std::string>& v);
  // Steps once; *row is true when a row is available (SQLITE_ROW), false when done.
  Status Step(bool* row = nullptr);
  // Steps a statement that returns no rows, then resets it and clears its bindings.
  Status Run();
  void Reset();

  int64_t ColumnInt(int i) const { return sqlite3_column_int64(s_, i); }
  double ColumnDouble(int i) const { return sqlite3_column_double(s_, i); }
  int ColumnType(int i) const { return sqlite3_column_type(s_, i); }
  std::string ColumnText(int i) const;
  std::string_view ColumnBlob(int i) const;

 private:
  Status Error(std::string_view what) const;
  sqlite3_stmt* s_ = nullptr;
  std::string db_path_;
};

class Db {
 public:
  // kReadOnlyImmutable opens `file:<path>?mode=ro&immutable=1`: no locks, no journal or -shm
  // files are ever created or read. Only for a file no other process writes (check first).
  enum class Mode { kReadOnly, kReadWriteCreate, kReadOnlyImmutable };
  static Result<Db> Open(const std::string& path, Mode mode);

  Db() = default;
  Db(Db&& o) noexcept : db_(o.db_), path_(std::move(o.path_)) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  // Runs one or more statements without parameters (schema scripts, pragmas, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  Result<Stmt> Prepare(std::string_view sql);
  int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  Status Close();

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace cm
