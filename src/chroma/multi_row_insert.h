// MultiRowInsert: rows into one table through `INSERT OR FAIL INTO t (c1, c2) VALUES (?, ?),
// (?, ?), ...` of kRows rows, so that SQLite runs one statement per kRows rows instead of one per
// row; the rows still waiting at Flush go in through the one-row form. Measured on the
// persist-dir writer's tables at 100k records (SQLite 3.40): embedding_metadata's 400k rows
// 0.76 -> 0.37 s of CPU, embeddings' 100k rows 0.38 -> 0.24 s.
//
// Beside an FTS5 table written in the same transaction, a multi-row statement must not need a
// statement savepoint: SQLite opens one for a statement that writes several rows and may abort
// part-way, and FTS5 writes its pending postings out as a segment at every savepoint (200
// alternating inserts: 5 segments instead of 1; 100k records: the SQLite work 2.3 s -> 4.2 s).
// Hence OR FAIL (a failing row ends the statement and keeps the rows before it, which is what a
// connection without a journal does anyway), and a column whose DEFAULT is not constant
// (CURRENT_TIMESTAMP) must be given a value, since evaluating such a default also needs one.
// Not for the FTS5 table itself: a 16-row insert into the trigram index took three times as long.
//
// Values are bound when a statement runs (text is then copied by SQLite): the bytes a text value
// (and a row's owner) views must stay valid until the Add that fills the statement returns, or
// until Flush.
//
// A failure names the owner of the failing row (a record id, say). SQLite does not say which row
// of a multi-row statement failed, so a failed multi-row statement names every owner among its
// rows.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chroma/sqlite_db.h"
#include "core/status.h"

namespace cm {

class MultiRowInsert {
 public:
  static constexpr int kRows = 16;
  // NULL, INTEGER, REAL or TEXT.
  using Value = std::variant<std::monostate, int64_t, double, std::string_view>;

  // `columns` as they appear in the INSERT, e.g. {"id", "key"}; `owner_noun` names what a row's
  // owner is in errors (record "x").
  static Result<MultiRowInsert> Prepare(Db& db, std::string_view table, std::initializer_list<std::string_view> columns,
                                        std::string owner_noun = "record");

  MultiRowInsert() = default;
  MultiRowInsert(MultiRowInsert&&) = default;
  MultiRowInsert& operator=(MultiRowInsert&&) = default;

  // One row: exactly as many values as columns, and what it belongs to. Runs the statement once
  // kRows rows wait.
  Status Add(std::string_view owner, std::initializer_list<Value> row);
  // Inserts the rows that wait, one statement each.
  Status Flush();
  size_t waiting_rows() const { return columns_ == 0 ? 0 : waiting_.size() / columns_; }

 private:
  Status Bind(Stmt& s, size_t first_value, size_t count);
  // `record "a"` or `one of records "a", "b" (...)` for the owners of rows [first, last).
  std::string Owners(size_t first, size_t last) const;

  Stmt full_, one_;
  size_t columns_ = 0;
  std::string owner_noun_;
  std::vector<Value> waiting_;
  std::vector<std::string_view> owners_;  // one per waiting row
};

}  // namespace cm
