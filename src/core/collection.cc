#include "core/collection.h"

namespace cm {

const char* SpaceName(Space s) {
  switch (s) {
    case Space::kL2: return "l2";
    case Space::kCosine: return "cosine";
    case Space::kIp: return "ip";
  }
  return "l2";
}

std::optional<Space> ParseSpace(std::string_view name) {
  if (name == "l2") return Space::kL2;
  if (name == "cosine") return Space::kCosine;
  if (name == "ip") return Space::kIp;
  return std::nullopt;
}

}  // namespace cm
