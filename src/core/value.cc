#include "core/value.h"

#include <cmath>

namespace cm {

const Value* Value::Find(const std::string& key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (const auto& [k, v] : *o_) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool Value::operator==(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kBool: return b_ == other.b_;
    case Kind::kInt: return i_ == other.i_;
    case Kind::kBigInt:
    case Kind::kString: return s_ == other.s_;
    case Kind::kDouble: return (std::isnan(d_) && std::isnan(other.d_)) || d_ == other.d_;
    case Kind::kArray: return *a_ == *other.a_;
    case Kind::kObject: return *o_ == *other.o_;
  }
  return false;
}

}  // namespace cm
