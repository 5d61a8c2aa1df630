#include "chroma/multi_row_insert.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cm {

Result<MultiRowInsert> MultiRowInsert::Prepare(Db& db, std::string_view table,
                                               std::initializer_list<std::string_view> columns, std::string owner_noun) {
  MultiRowInsert m;
  m.columns_ = columns.size();
  m.owner_noun_ = std::move(owner_noun);
  std::string row = "(";
  for (size_t i = 0; i < m.columns_; ++i) row += i == 0 ? "?" : ", ?";
  row += ")";
  std::string head = fmt::format("INSERT OR FAIL INTO {} ({}) VALUES ", table, fmt::join(columns, ", "));
  std::string all = head + row;
  for (int i = 1; i < kRows; ++i) all += ", " + row;
  CM_ASSIGN_OR_RETURN(m.full_, db.Prepare(all));
  CM_ASSIGN_OR_RETURN(m.one_, db.Prepare(head + row));
  m.waiting_.reserve(m.columns_ * kRows);
  m.owners_.reserve(kRows);
  return m;
}

Status MultiRowInsert::Bind(Stmt& s, size_t first_value, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const Value& v = waiting_[first_value + i];
    int p = static_cast<int>(i) + 1;
    Status st;
    if (auto* n = std::get_if<int64_t>(&v)) {
      st = s.BindInt(p, *n);
    } else if (auto* d = std::get_if<double>(&v)) {
      st = s.BindDouble(p, *d);
    } else if (auto* t = std::get_if<std::string_view>(&v)) {
      st = s.BindText(p, *t);
    } else {
      st = s.BindNull(p);
    }
    CM_RETURN_IF_ERROR(st);
  }
  return Status::Ok();
}

std::string MultiRowInsert::Owners(size_t first, size_t last) const {
  std::vector<std::string_view> distinct;
  for (size_t i = first; i < last; ++i) {
    if (distinct.empty() || distinct.back() != owners_[i]) distinct.push_back(owners_[i]);
  }
  std::vector<std::string> quoted;
  for (std::string_view o : distinct) quoted.push_back(fmt::format("\"{}\"", o));
  if (quoted.size() == 1) return owner_noun_ + " " + quoted[0];
  return fmt::format("one of {}s {} (their rows went in one statement)", owner_noun_, fmt::join(quoted, ", "));
}

Status MultiRowInsert::Add(std::string_view owner, std::initializer_list<Value> row) {
  if (row.size() != columns_) {
    return Status::Internal(fmt::format("MultiRowInsert::Add: {} values for {} columns", row.size(), columns_));
  }
  waiting_.insert(waiting_.end(), row.begin(), row.end());
  owners_.push_back(owner);
  if (owners_.size() < static_cast<size_t>(kRows)) return Status::Ok();
  Status s = Bind(full_, 0, waiting_.size());
  if (s.ok()) s = full_.Run();
  if (!s.ok()) s = s.WithContext(Owners(0, owners_.size()));
  waiting_.clear();
  owners_.clear();
  return s;
}

Status MultiRowInsert::Flush() {
  Status s;
  for (size_t row = 0; s.ok() && row < owners_.size(); ++row) {
    s = Bind(one_, row * columns_, columns_);
    if (s.ok()) s = one_.Run();
    if (!s.ok()) s = s.WithContext(Owners(row, row + 1));
  }
  waiting_.clear();
  owners_.clear();
  return s;
}

}  // namespace cm
