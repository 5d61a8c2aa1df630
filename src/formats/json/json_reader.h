// ParseJson: a strict-but-Pythonic JSON parser producing a Value.
//
// It accepts exactly what Python's json.loads accepts (the writer of all legacy metadata):
// standard JSON plus the bare tokens NaN, Infinity and -Infinity, and integers of any size
// (kept as BigInt text past int64). Object key order is kept. \uXXXX escapes are decoded to
// UTF-8, surrogate pairs joined; a lone surrogate cannot become valid UTF-8 and is an error.
// Nesting deeper than kMaxDepth is an error rather than a stack overflow.
//
// Errors say "<what> at offset <n>" relative to the start of `text`; callers add the record
// context. Stateless and thread-safe.
#pragma once

#include <string_view>

#include "core/status.h"
#include "core/value.h"

namespace cm {

inline constexpr int kJsonMaxDepth = 256;

Result<Value> ParseJson(std::string_view text);

}  // namespace cm
