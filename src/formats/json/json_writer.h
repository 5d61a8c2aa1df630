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

#include <string>
#include <string_view>

#include "core/value.h"

namespace cm {

void AppendJsonString(std::string* out, std::string_view s);
void AppendJsonDouble(std::string* out, double d);
void AppendJson(std::string* out, const Value& v);
std::string ToJson(const Value& v);

}  // namespace cm
