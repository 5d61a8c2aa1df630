// Fuzz target: the Pythonic JSON reader. Invariants: never crash; anything parsed is written
// back by the writer into text that parses to an equal value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "formats/json/json_reader.h"
#include "formats/json/json_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = cm::ParseJson(text);
  if (!v.ok()) return 0;
  std::string again = cm::ToJson(v.value());
  auto back = cm::ParseJson(again);
  if (!back.ok() || !(back.value() == v.value())) std::abort();
  return 0;
}
