// One typed metadata value as a row of Chroma's (id, key, string_value, int_value, float_value,
// bool_value) columns: collection_metadata and embedding_metadata share the layout.
#pragma once

#include <string>
#include <string_view>

#include "chroma/multi_row_insert.h"
#include "core/record.h"

namespace cm {

// One row (id, key, string, int, float, bool; the unused value columns NULL) for an insert
// prepared with those columns, owned by `owner` (named if it fails). The strings must outlive the
// insert's Flush.
inline Status AddMetadataRow(MultiRowInsert& m, std::string_view owner, MultiRowInsert::Value id,
                             std::string_view key, const MetadataValue& v) {
  using V = MultiRowInsert::Value;
  if (auto* b = std::get_if<bool>(&v)) return m.Add(owner, {id, key, V{}, V{}, V{}, int64_t{*b ? 1 : 0}});
  if (auto* i = std::get_if<int64_t>(&v)) return m.Add(owner, {id, key, V{}, *i, V{}, V{}});
  if (auto* d = std::get_if<double>(&v)) return m.Add(owner, {id, key, V{}, V{}, *d, V{}});
  return m.Add(owner, {id, key, std::string_view(std::get<std::string>(v)), V{}, V{}, V{}});
}

}  // namespace cm
