// Random UUID v4 strings (lowercase, hyphenated: the only form Chroma's API accepts for
// collection, segment and database ids) and a validity check. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace cm {

std::string NewUuidV4();
bool IsUuid(std::string_view s);    // 8-4-4-4-12 hex, any case, any version
bool IsUuidV4(std::string_view s);  // lowercase, version 4, RFC 4122 variant

}  // namespace cm
