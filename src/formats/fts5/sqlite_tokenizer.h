// SqliteTokenizer: one of SQLite's FTS5 tokenizers (looked up through fts5_api::xFindTokenizer
// on a connection), so that a natively written index holds exactly the tokens FTS5 itself would
// put there. An instance is for one thread; several may be created from one connection. The
// connection must outlive it.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace cm::fts5 {

class SqliteTokenizer {
 public:
  // `args` as in the table's tokenize= option after the name (none for 'trigram').
  static Result<std::unique_ptr<SqliteTokenizer>> Create(sqlite3* db, const std::string& name,
                                                         const std::vector<std::string>& args = {});
  ~SqliteTokenizer();
  SqliteTokenizer(const SqliteTokenizer&) = delete;
  SqliteTokenizer& operator=(const SqliteTokenizer&) = delete;

  // Calls on_token(bytes, colocated) for each token of `text` as FTS5 tokenizes a document;
  // stops at on_token's first error.
  template <typename F>
  Status Tokenize(std::string_view text, F&& on_token) {
    if (text.size() > 0x7fffffff) return Status::InvalidArgument("a document of 2 GiB or more cannot be tokenized");
    struct Ctx {
      F* f;
      Status error;
    } ctx{&on_token, Status::Ok()};
    auto thunk = [](void* c, int flags, const char* token, int n, int, int) -> int {
      auto* x = static_cast<Ctx*>(c);
      x->error = (*x->f)(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(token), static_cast<size_t>(n)),
                         (flags & FTS5_TOKEN_COLOCATED) != 0);
      return x->error.ok() ? SQLITE_OK : SQLITE_ABORT;
    };
    const int rc = Run(text, &ctx, thunk);
    if (!ctx.error.ok()) return ctx.error;
    return rc == SQLITE_OK ? Status::Ok() : Failed(rc);
  }

 private:
  using Callback = int (*)(void*, int, const char*, int, int, int);
  SqliteTokenizer() = default;
  int Run(std::string_view text, void* ctx, Callback cb);
  Status Failed(int rc) const;

  fts5_tokenizer api_{};
  Fts5Tokenizer* instance_ = nullptr;
  std::string name_;
};

}  // namespace cm::fts5
