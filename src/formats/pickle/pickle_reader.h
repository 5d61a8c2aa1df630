// A minimal, safe unpickler: pickle bytes (protocols 2–5, plus the few protocol-0/1 opcodes
// CPython still emits inside them) become an inert PickleValue tree. Nothing is ever imported,
// called or executed: GLOBAL/STACK_GLOBAL yield a kGlobal value naming the class, NEWOBJ and
// NEWOBJ_EX yield a kObject holding that name (the constructor is not run), and BUILD stores the
// state dict in the object (this is exactly how serde-pickle reads Chroma's PersistentData
// class pickles, modern-format.md §3.7). REDUCE (an arbitrary call) and PERSID are refused.
//
// Invariants: every read goes through a ByteCursor; every length is checked against the bytes
// left before it sizes anything; the stack, the mark stack and the nesting depth are bounded;
// memo indices are map keys, never vector sizes. Errors are Corrupt (or Unsupported for
// refused opcodes) and name the source, the offset and the opcode.
//
// Stateless and thread-safe; a PickleValue tree is a plain value (shared children, treat as
// immutable once returned).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace cm::pickle {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

struct PickleValue {
  enum class Kind { kNone, kBool, kInt, kBigInt, kFloat, kString, kBytes, kList, kTuple, kDict, kSet, kGlobal, kObject };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;       // kString (UTF-8), kBytes, kBigInt (little-endian two's complement bytes)
  std::string module;  // kGlobal, kObject: the class named (never resolved)
  std::string name;
  std::vector<PickleRef> items;                       // kList, kTuple, kSet, kObject (ctor args)
  std::vector<std::pair<PickleRef, PickleRef>> dict;  // kDict, in insertion order
  PickleRef state;                                    // kObject: what BUILD supplied, or null

  // For a kDict: the value under the string key `key`, or nullptr.
  const PickleValue* Get(std::string_view key) const;
  // kDict itself, or the state dict of a kObject; nullptr otherwise.
  const PickleValue* AsDict() const;
  const char* KindName() const;
};

struct PickleLimits {
  size_t max_depth = 64;         // containers nested inside containers
  size_t max_stack = 1u << 20;   // values on the stack at once
  size_t max_marks = 4096;
};

// Parses a whole pickle (through STOP). `source` names it in errors (usually the file path).
Result<PickleRef> ParsePickle(std::string_view bytes, std::string_view source, const PickleLimits& limits = {});

}  // namespace cm::pickle
