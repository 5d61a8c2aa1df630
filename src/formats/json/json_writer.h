// JSON output with the guarantees a migration needs.
//
// * Compact: no spaces, keys in the Value's order.
// * Ints stay ints and doubles stay doubles: a double is written in its shortest round-trip
//   form and always with a '.', 'e' or exponent, so "1.0" is read back as a float by serde,
//   Python and nlohmann alike.
// * Non-finite doubles are written as Python does (NaN, Infinity, -Infinity) so that a nested
//   legacy value turned into a string parses back to the same value with json.loads. Callers
//   that feed strict JSON readers (Chroma's queue) never pass non-finite values.
// * Strings are UTF-8 with only ", \ and control characters escaped.
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/value.h"

namespace cm {

void AppendJsonString(std::string* out, std::string_view s);
void AppendJsonDouble(std::string* out, double d);
void AppendJson(std::string* out, const Value& v);
std::string ToJson(const Value& v);

// Pieces of the JSON reports (migration, plan, verify), built as Values and written once.
Value JsonCount(uint64_t n);
Value JsonStringOrNull(const std::string& s);  // "" is null
Value JsonRounded(double d, int decimals);     // seconds, ratios: no false precision
Value JsonStrings(const std::vector<std::string>& v);
Value JsonCounts(const std::map<std::string, uint64_t>& counts);  // {"key": n, ...} in key order

}  // namespace cm
