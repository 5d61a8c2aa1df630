// Binding one typed metadata value into Chroma's (key, string_value, int_value, float_value,
// bool_value) columns: collection_metadata and embedding_metadata share the layout.
#pragma once

#include <string>

#include "chroma/multi_row_insert.h"
#include "chroma/sqlite_db.h"
#include "core/record.h"

namespace cm {

// Binds key and value into parameters 2..6 of `s` (key, string, int, float, bool; the unused
// ones NULL).
inline Status BindMetadataValue(Stmt& s, const std::string& key, const MetadataValue& v) {
  CM_RETURN_IF_ERROR(s.BindText(2, key));
  CM_RETURN_IF_ERROR(s.BindNull(3));
  CM_RETURN_IF_ERROR(s.BindNull(4));
  CM_RETURN_IF_ERROR(s.BindNull(5));
  CM_RETURN_IF_ERROR(s.BindNull(6));
  if (auto* b = std::get_if<bool>(&v)) return s.BindInt(6, *b ? 1 : 0);
  if (auto* i = std::get_if<int64_t>(&v)) return s.BindInt(4, *i);
  if (auto* d = std::get_if<double>(&v)) return s.BindDouble(5, *d);
  return s.BindText(3, std::get<std::string>(v));
}

// One embedding_metadata row (id, key, string_value, int_value, float_value, bool_value) for an
// insert prepared with those columns, owned by record `record_id`. The strings must outlive the
// insert's Flush.
inline Status AddMetadataRow(MultiRowInsert& m, std::string_view record_id, int64_t id, std::string_view key,
                             const MetadataValue& v) {
  using V = MultiRowInsert::Value;
  if (auto* b = std::get_if<bool>(&v)) return m.Add(record_id, {id, key, V{}, V{}, V{}, int64_t{*b ? 1 : 0}});
  if (auto* i = std::get_if<int64_t>(&v)) return m.Add(record_id, {id, key, V{}, *i, V{}, V{}});
  if (auto* d = std::get_if<double>(&v)) return m.Add(record_id, {id, key, V{}, V{}, *d, V{}});
  return m.Add(record_id, {id, key, std::string_view(std::get<std::string>(v)), V{}, V{}, V{}});
}

}  // namespace cm
