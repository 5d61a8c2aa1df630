#include "formats/fts5/sqlite_tokenizer.h"

#include <fmt/format.h>

namespace cm::fts5 {

Result<std::unique_ptr<SqliteTokenizer>> SqliteTokenizer::Create(sqlite3* db, const std::string& name,
                                                                 const std::vector<std::string>& args) {
  // The documented way to reach fts5_api: SELECT fts5(?1) with a pointer bound as "fts5_api_ptr".
  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) != SQLITE_OK) {
    return Status::Internal(fmt::format("this SQLite has no FTS5: {}", sqlite3_errmsg(db)));
  }
  sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(st);
  sqlite3_finalize(st);
  if (api == nullptr) return Status::Internal("this SQLite did not hand out its fts5_api");
  std::unique_ptr<SqliteTokenizer> t(new SqliteTokenizer());
  t->name_ = name;
  void* user = nullptr;
  if (api->xFindTokenizer(api, name.c_str(), &user, &t->api_) != SQLITE_OK) {
    return Status::Internal(fmt::format("this SQLite's FTS5 has no '{}' tokenizer", name));
  }
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  if (t->api_.xCreate(user, argv.data(), static_cast<int>(argv.size()), &t->instance_) != SQLITE_OK) {
    t->instance_ = nullptr;
    return Status::Internal(fmt::format("FTS5's '{}' tokenizer refused its arguments", name));
  }
  return t;
}

SqliteTokenizer::~SqliteTokenizer() {
  if (instance_) api_.xDelete(instance_);
}

int SqliteTokenizer::Run(std::string_view text, void* ctx, Callback cb) {
  return api_.xTokenize(instance_, ctx, FTS5_TOKENIZE_DOCUMENT, text.data(), static_cast<int>(text.size()), cb);
}

Status SqliteTokenizer::Failed(int rc) const {
  return Status::Internal(fmt::format("FTS5's '{}' tokenizer failed: {}", name_, sqlite3_errstr(rc)));
}

}  // namespace cm::fts5
