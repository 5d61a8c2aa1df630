// Fuzz target: ClickHouse RowBinary rows of Chroma's embeddings table (both metadata shapes),
// fed to the streaming decoder in two chunks split at a byte the input chooses.
#include <cstdint>
#include <string_view>
#include <vector>

#include "sources/clickhouse_rowbinary.h"

namespace {

std::vector<cm::clickhouse::Column> Columns(bool nullable_metadata) {
  std::vector<cm::clickhouse::Column> cols;
  for (const char* spec : {"collection_uuid:UUID", "uuid:UUID", "embedding:Array(Float64)", "document:Nullable(String)",
                           "id:Nullable(String)", nullable_metadata ? "metadata:Nullable(String)" : "metadata:String"}) {
    std::string_view s(spec);
    size_t colon = s.find(':');
    auto type = cm::clickhouse::ParseColumnType(s.substr(colon + 1));
    if (!type.ok()) __builtin_trap();
    cols.push_back({std::string(s.substr(0, colon)), type.value()});
  }
  return cols;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  cm::clickhouse::Limits limits;
  limits.max_string_bytes = 1 << 16;
  limits.max_array_elements = 1 << 12;
  cm::clickhouse::RowBinaryStream stream(Columns(data[0] & 1), limits);
  stream.Reset("fuzz response");
  size_t split = data[1] % (size - 1);
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  std::vector<cm::clickhouse::Cell> row;
  bool have = false;
  for (std::string_view part : {body.substr(0, split), body.substr(std::min(split, body.size()))}) {
    stream.Append(part);
    while (stream.Next(&row, &have).ok() && have) {
    }
  }
  (void)stream.Finish();
  return 0;
}
