// Value: a JSON-like tree that keeps what JSON libraries usually lose.
//
// Legacy Chroma stored metadata with Python's json.dumps, so a value may be NaN or ±Infinity, an
// integer of any size, or a float that happens to be integral ("1.0"). Value keeps:
//   * object keys in source order (Object is a vector of pairs; duplicate keys are kept as read);
//   * ints and floats apart (Int for integers that fit int64, BigInt for the rest as decimal
//     text, Double for anything written with '.', 'e' or as NaN/Infinity);
// Values are plain data: copyable, movable, not thread-safe while mutated.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cm {

class Value {
 public:
  enum class Kind { kNull, kBool, kInt, kBigInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  static Value Null() { return Value(); }
  static Value Bool(bool b) { Value v; v.kind_ = Kind::kBool; v.b_ = b; return v; }
  static Value Int(int64_t i) { Value v; v.kind_ = Kind::kInt; v.i_ = i; return v; }
  static Value BigInt(std::string digits) { Value v; v.kind_ = Kind::kBigInt; v.s_ = std::move(digits); return v; }
  static Value Double(double d) { Value v; v.kind_ = Kind::kDouble; v.d_ = d; return v; }
  static Value String(std::string s) { Value v; v.kind_ = Kind::kString; v.s_ = std::move(s); return v; }
  static Value MakeArray(Array a) { Value v; v.kind_ = Kind::kArray; v.a_ = std::make_shared<Array>(std::move(a)); return v; }
  static Value MakeObject(Object o) { Value v; v.kind_ = Kind::kObject; v.o_ = std::make_shared<Object>(std::move(o)); return v; }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_double() const { return d_; }
  const std::string& as_string() const { return s_; }  // kString and kBigInt digits
  const Array& as_array() const { return *a_; }
  const Object& as_object() const { return *o_; }
  Array& mutable_array() { return *a_; }
  Object& mutable_object() { return *o_; }

  // First value under `key` in an object, or nullptr.
  const Value* Find(const std::string& key) const;

  bool operator==(const Value& other) const;
  bool operator!=(const Value& other) const { return !(*this == other); }

 private:
  Kind kind_ = Kind::kNull;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  std::shared_ptr<Array> a_;   // shared_ptr keeps Value copyable without deep-copy costs;
  std::shared_ptr<Object> o_;  // trees are never mutated after parsing except by their owner.
};

}  // namespace cm
