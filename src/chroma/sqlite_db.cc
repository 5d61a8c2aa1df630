#include "chroma/sqlite_db.h"

#include <fmt/format.h>

namespace cm {

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (s_ != nullptr) sqlite3_finalize(s_);
    s_ = o.s_;
    db_path_ = std::move(o.db_path_);
    o.s_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  if (s_ != nullptr) sqlite3_finalize(s_);
}

Status Stmt::Error(std::string_view what) const {
  sqlite3* db = sqlite3_db_handle(s_);
  return Status::IoError(fmt::format("{}: {} failed for `{}`: {}", db_path_, what,
                                     sqlite3_sql(s_) ? sqlite3_sql(s_) : "?", sqlite3_errmsg(db)));
}

Status Stmt::BindText(int i, std::string_view v) {
  if (sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK) return Error("bind");
  return Status::Ok();
}
Status Stmt::BindBlob(int i, const void* data, size_t size) {
  if (sqlite3_bind_blob64(s_, i, data, size, SQLITE_TRANSIENT) != SQLITE_OK) return Error("bind");
  return Status::Ok();
}
Status Stmt::BindInt(int i, int64_t v) {
  if (sqlite3_bind_int64(s_, i, v) != SQLITE_OK) return Error("bind");
  return Status::Ok();
}
Status Stmt::BindDouble(int i, double v) {
  if (sqlite3_bind_double(s_, i, v) != SQLITE_OK) return Error("bind");
  return Status::Ok();
}
Status Stmt::BindNull(int i) {
  if (sqlite3_bind_null(s_, i) != SQLITE_OK) return Error("bind");
  return Status::Ok();
}
Status Stmt::BindOptionalText(int i, const std::optional<std::string>& v) {
  return v ? BindText(i, *v) : BindNull(i);
}

Status Stmt::Step(bool* row) {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) {
    if (row) *row = true;
    return Status::Ok();
  }
  if (rc == SQLITE_DONE) {
    if (row) *row = false;
    return Status::Ok();
  }
  return Error("step");
}

Status Stmt::Run() {
  Status s = Step();
  Reset();
  return s;
}

void Stmt::Reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string Stmt::ColumnText(int i) const {
  const unsigned char* t = sqlite3_column_text(s_, i);
  int n = sqlite3_column_bytes(s_, i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(n)) : std::string();
}

std::string_view Stmt::ColumnBlob(int i) const {
  const void* b = sqlite3_column_blob(s_, i);
  int n = sqlite3_column_bytes(s_, i);
  return b ? std::string_view(static_cast<const char*>(b), static_cast<size_t>(n)) : std::string_view();
}

Result<Db> Db::Open(const std::string& path, Mode mode) {
  Db db;
  db.path_ = path;
  int flags = mode == Mode::kReadWriteCreate ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
  flags |= SQLITE_OPEN_NOMUTEX;
  std::string name = path;
  if (mode == Mode::kReadOnlyImmutable) {
    flags |= SQLITE_OPEN_URI;
    name = "file:";
    for (char c : path) {  // characters that end or escape a URI path
      if (c == '%' || c == '?' || c == '#') {
        name += fmt::format("%{:02X}", static_cast<unsigned char>(c));
      } else {
        name += c;
      }
    }
    name += "?mode=ro&immutable=1";
  }
  int rc = sqlite3_open_v2(name.c_str(), &db.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc);
    return Status::IoError(fmt::format("{}: cannot open SQLite database: {}", path, msg));
  }
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    o.db_ = nullptr;
  }
  return *this;
}

Db::~Db() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Db::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    std::string head = text.substr(0, 80);
    return Status::IoError(fmt::format("{}: SQL failed ({}): {}", path_, head, msg));
  }
  return Status::Ok();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK) {
    return Status::IoError(fmt::format("{}: cannot prepare `{}`: {}", path_, sql, sqlite3_errmsg(db_)));
  }
  return Stmt(s, path_);
}

Status Db::Close() {
  if (db_ == nullptr) return Status::Ok();
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    return Status::IoError(fmt::format("{}: cannot close: {}", path_, sqlite3_errmsg(db_)));
  }
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace cm
