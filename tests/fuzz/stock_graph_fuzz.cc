// Fuzz target: a stock hnswlib file as Chroma 0.3 left it in index/ (StockGraph), which the
// persist-dir writer may adopt: whatever Parse accepts must be safe to walk element by element
// and link list by link list.
#include <cstdint>
#include <string>
#include <string_view>

#include "formats/hnsw/stock_graph.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto g = cm::StockGraph::FromBytes(std::string_view(reinterpret_cast<const char*>(data), size), "index.bin");
  if (!g.ok()) return 0;
  uint64_t sum = 0;
  for (size_t i = 0; i < (*g)->size(); ++i) {
    sum += (*g)->label(i);
    const float* v = (*g)->vector(i);
    for (size_t j = 0; j < (*g)->dim(); ++j) sum += static_cast<uint64_t>(v[j] != 0);
  }
  return sum == 42 ? 0 : 0;
}
