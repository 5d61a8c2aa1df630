#include "formats/pickle/pickle_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "io/byte_cursor.h"

namespace cm::pickle {

const PickleValue* PickleValue::Get(std::string_view key) const {
  const PickleValue* d = AsDict();
  if (d == nullptr) return nullptr;
  for (const auto& [k, v] : d->dict) {
    if (k->kind == Kind::kString && k->s == key) return v.get();
  }
  return nullptr;
}

const PickleValue* PickleValue::AsDict() const {
  if (kind == Kind::kDict) return this;
  if (kind == Kind::kObject && state && state->kind == Kind::kDict) return state.get();
  return nullptr;
}

const char* PickleValue::KindName() const {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kBigInt: return "big int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kDict: return "dict";
    case Kind::kSet: return "set";
    case Kind::kGlobal: return "global";
    case Kind::kObject: return "object";
  }
  return "?";
}

namespace {

using Kind = PickleValue::Kind;

bool IsScalar(Kind k) {
  switch (k) {
    case Kind::kNone:
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kBigInt:
    case Kind::kFloat:
    case Kind::kString:
    case Kind::kBytes:
      return true;
    default:  // containers, and kGlobal (a class reference; tracked like a container, to be safe)
      return false;
  }
}

// Per-value bookkeeping kept beside the tree: nesting depth, and whether the value has been
// placed inside another container (then it may no longer change, which rules out cycles).
struct Meta {
  size_t depth = 0;
  bool sealed = false;
};

class Unpickler {
 public:
  Unpickler(std::string_view bytes, std::string_view source, const PickleLimits& limits)
      : cur_(bytes, source), limits_(limits) {}

  Result<PickleRef> Run() {
    while (true) {
      op_offset_ = cur_.file_offset();
      uint8_t op = 0;
      CM_RETURN_IF_ERROR(cur_.ReadU8(&op, "pickle opcode (no STOP opcode before the end)"));
      op_ = op;
      if (op == '.') {
        if (stack_.size() != 1 || !marks_.empty()) {
          return Err(fmt::format("STOP with {} values on the stack and {} open marks; expected exactly 1 and 0",
                                 stack_.size(), marks_.size()));
        }
        return stack_.back();
      }
      CM_RETURN_IF_ERROR(Step(op));
    }
  }

 private:
  Status Err(std::string_view what) const {
    return Status::Corrupt(fmt::format("{} at offset {} (opcode 0x{:02x}): {}", cur_.source(), op_offset_, op_, what));
  }
  Status Refuse(std::string_view what) const {
    return Status::Unsupported(fmt::format("{} at offset {} (opcode 0x{:02x}): {}; this reader never calls code",
                                           cur_.source(), op_offset_, op_, what));
  }

  PickleRef Make(Kind k) {
    auto v = std::make_shared<PickleValue>();
    v->kind = k;
    all_.push_back(v);  // kept alive until the end, so bookkeeping keyed by address stays valid
    return v;
  }

  Status Push(PickleRef v) {
    if (stack_.size() >= limits_.max_stack) return Err(fmt::format("more than {} values on the stack", limits_.max_stack));
    stack_.push_back(std::move(v));
    return Status::Ok();
  }
  Status Pop(PickleRef* out) {
    size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() <= floor) return Err("the stack is empty (or only holds values above a mark)");
    *out = std::move(stack_.back());
    stack_.pop_back();
    return Status::Ok();
  }
  Status Top(PickleRef* out) {
    size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() <= floor) return Err("the stack is empty");
    *out = stack_.back();
    return Status::Ok();
  }
  // Everything above the last mark, which is removed.
  Status PopMark(std::vector<PickleRef>* out) {
    if (marks_.empty()) return Err("no MARK to pop to");
    size_t m = marks_.back();
    marks_.pop_back();
    out->assign(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(m)),
                std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return Status::Ok();
  }

  // A value becomes part of `parent`: check depth, seal it, grow the parent's depth. Scalars
  // never hold anything, so they need no bookkeeping: their depth is 0 and nothing can modify
  // them (an index_metadata.pickle is millions of them in two dicts).
  Status Adopt(const PickleRef& parent, const PickleRef& child) {
    if (parent.get() == child.get()) return Err("a container would contain itself");
    Meta& pm = meta_[parent.get()];
    if (pm.sealed) return Err("modifies a container that is already inside another one (a cycle)");
    size_t d = 1;
    if (!IsScalar(child->kind)) {
      Meta& cm = meta_[child.get()];  // references into an unordered_map survive its rehashing
      cm.sealed = true;
      d = cm.depth + 1;
    }
    if (d > limits_.max_depth) return Err(fmt::format("containers nested deeper than {}", limits_.max_depth));
    pm.depth = std::max(pm.depth, d);
    return Status::Ok();
  }
  Status CheckMutable(const PickleRef& v) {
    if (meta_[v.get()].sealed) return Err("modifies a container that is already inside another one (a cycle)");
    return Status::Ok();
  }

  Status AddToDict(const PickleRef& dict, PickleRef k, PickleRef v) {
    if (dict->kind != Kind::kDict) return Err(fmt::format("SETITEM(S) on a {}, expected a dict", dict->KindName()));
    CM_RETURN_IF_ERROR(CheckMutable(dict));
    CM_RETURN_IF_ERROR(Adopt(dict, k));
    CM_RETURN_IF_ERROR(Adopt(dict, v));
    // Repeated keys are kept in order; readers let the last one win, as Python does.
    dict->dict.emplace_back(std::move(k), std::move(v));
    return Status::Ok();
  }

  Status AddToList(const PickleRef& list, PickleRef v) {
    if (list->kind != Kind::kList && list->kind != Kind::kSet) {
      return Err(fmt::format("APPEND(S)/ADDITEMS on a {}, expected a list or set", list->KindName()));
    }
    CM_RETURN_IF_ERROR(CheckMutable(list));
    CM_RETURN_IF_ERROR(Adopt(list, v));
    list->items.push_back(std::move(v));
    return Status::Ok();
  }

  Status MakeSequence(Kind k, std::vector<PickleRef> items) {
    PickleRef v = Make(k);
    for (auto& it : items) CM_RETURN_IF_ERROR(Adopt(v, it));
    v->items = std::move(items);
    return Push(std::move(v));
  }

  Status ReadLength(size_t width, uint64_t* n, const char* what) {
    if (width == 1) {
      uint8_t x = 0;
      CM_RETURN_IF_ERROR(cur_.ReadU8(&x, what));
      *n = x;
    } else if (width == 4) {
      uint32_t x = 0;
      CM_RETURN_IF_ERROR(cur_.ReadLE(&x, what));
      *n = x;
    } else {
      CM_RETURN_IF_ERROR(cur_.ReadLE(n, what));
    }
    if (*n > cur_.remaining()) {
      return Err(fmt::format("{} of {} bytes, but only {} bytes are left", what, *n, cur_.remaining()));
    }
    return Status::Ok();
  }

  Status PushBytes(Kind k, size_t width, const char* what) {
    uint64_t n = 0;
    CM_RETURN_IF_ERROR(ReadLength(width, &n, what));
    std::string_view b;
    CM_RETURN_IF_ERROR(cur_.ReadBytes(static_cast<size_t>(n), &b, what));
    PickleRef v = Make(k);
    v->s.assign(b);
    return Push(std::move(v));
  }

  Status PushInt(int64_t i) {
    PickleRef v = Make(Kind::kInt);
    v->i = i;
    return Push(std::move(v));
  }

  Status PushLong(uint64_t n) {
    std::string_view b;
    CM_RETURN_IF_ERROR(cur_.ReadBytes(static_cast<size_t>(n), &b, "LONG bytes"));
    if (n <= 8) {
      uint64_t u = 0;
      for (size_t k = 0; k < n; ++k) u |= static_cast<uint64_t>(static_cast<uint8_t>(b[k])) << (8 * k);
      if (n > 0 && n < 8 && (static_cast<uint8_t>(b[n - 1]) & 0x80)) u |= ~uint64_t{0} << (8 * n);  // sign-extend
      int64_t i = 0;
      std::memcpy(&i, &u, sizeof(i));
      return PushInt(i);
    }
    PickleRef v = Make(Kind::kBigInt);
    v->s.assign(b);
    return Push(std::move(v));
  }

  Status ReadLine(std::string* out, const char* what) {
    const uint8_t* start = cur_.current();
    size_t left = cur_.remaining();
    const void* nl = std::memchr(start, '\n', left);
    if (nl == nullptr) return Err(fmt::format("{}: no end of line", what));
    size_t n = static_cast<size_t>(static_cast<const uint8_t*>(nl) - start);
    out->assign(reinterpret_cast<const char*>(start), n);
    return cur_.Skip(n + 1, what);
  }

  Status Memoize(uint64_t index) {
    PickleRef top;
    CM_RETURN_IF_ERROR(Top(&top));
    memo_[index] = top;
    return Status::Ok();
  }
  Status Recall(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Err(fmt::format("memo index {} was never stored", index));
    return Push(it->second);
  }

  Status Step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        uint8_t proto = 0;
        CM_RETURN_IF_ERROR(cur_.ReadU8(&proto, "PROTO version"));
        if (proto < 2 || proto > 5) return Err(fmt::format("pickle protocol {}; expected 2 to 5", proto));
        return Status::Ok();
      }
      case 0x95: {  // FRAME: a length hint only
        uint64_t n = 0;
        CM_RETURN_IF_ERROR(cur_.ReadLE(&n, "FRAME length"));
        if (n > cur_.remaining()) return Err(fmt::format("FRAME of {} bytes, but only {} are left", n, cur_.remaining()));
        return Status::Ok();
      }
      case '(':
        if (marks_.size() >= limits_.max_marks) return Err(fmt::format("more than {} open marks", limits_.max_marks));
        marks_.push_back(stack_.size());
        return Status::Ok();
      case '0': {
        PickleRef v;
        return Pop(&v);
      }
      case '1': {
        std::vector<PickleRef> drop;
        return PopMark(&drop);
      }
      case '2': {
        PickleRef v;
        CM_RETURN_IF_ERROR(Top(&v));
        return Push(v);
      }
      case 'N': return Push(Make(Kind::kNone));
      case 0x88:
      case 0x89: {
        PickleRef v = Make(Kind::kBool);
        v->b = op == 0x88;
        return Push(std::move(v));
      }
      case 'J': {
        int32_t x = 0;
        CM_RETURN_IF_ERROR(cur_.ReadLE(&x, "BININT"));
        return PushInt(x);
      }
      case 'K': {
        uint8_t x = 0;
        CM_RETURN_IF_ERROR(cur_.ReadU8(&x, "BININT1"));
        return PushInt(x);
      }
      case 'M': {
        uint16_t x = 0;
        CM_RETURN_IF_ERROR(cur_.ReadLE(&x, "BININT2"));
        return PushInt(x);
      }
      case 0x8a: {  // LONG1
        uint64_t n = 0;
        CM_RETURN_IF_ERROR(ReadLength(1, &n, "LONG1 length"));
        return PushLong(n);
      }
      case 0x8b: {  // LONG4
        int32_t n = 0;
        CM_RETURN_IF_ERROR(cur_.ReadLE(&n, "LONG4 length"));
        if (n < 0 || static_cast<uint64_t>(n) > cur_.remaining()) {
          return Err(fmt::format("LONG4 length {} with {} bytes left", n, cur_.remaining()));
        }
        return PushLong(static_cast<uint64_t>(n));
      }
      case 'G': {  // BINFLOAT, big-endian
        std::string_view b;
        CM_RETURN_IF_ERROR(cur_.ReadBytes(8, &b, "BINFLOAT"));
        uint64_t u = 0;
        for (char c : b) u = (u << 8) | static_cast<uint8_t>(c);
        PickleRef v = Make(Kind::kFloat);
        std::memcpy(&v->f, &u, sizeof(double));
        return Push(std::move(v));
      }
      case 'X': return PushBytes(Kind::kString, 4, "BINUNICODE");
      case 0x8c: return PushBytes(Kind::kString, 1, "SHORT_BINUNICODE");
      case 0x8d: return PushBytes(Kind::kString, 8, "BINUNICODE8");
      case 'B': return PushBytes(Kind::kBytes, 4, "BINBYTES");
      case 'C': return PushBytes(Kind::kBytes, 1, "SHORT_BINBYTES");
      case 0x8e: return PushBytes(Kind::kBytes, 8, "BINBYTES8");
      case 0x96: return PushBytes(Kind::kBytes, 8, "BYTEARRAY8");
      case 'T': return PushBytes(Kind::kBytes, 4, "BINSTRING");
      case 'U': return PushBytes(Kind::kBytes, 1, "SHORT_BINSTRING");
      case '}': return Push(Make(Kind::kDict));
      case ']': return Push(Make(Kind::kList));
      case ')': return Push(Make(Kind::kTuple));
      case 0x8f: return Push(Make(Kind::kSet));
      case 'l':
      case 't':
      case 0x91: {  // LIST, TUPLE, FROZENSET
        std::vector<PickleRef> items;
        CM_RETURN_IF_ERROR(PopMark(&items));
        return MakeSequence(op == 'l' ? Kind::kList : op == 't' ? Kind::kTuple : Kind::kSet, std::move(items));
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        size_t n = static_cast<size_t>(op - 0x84);
        std::vector<PickleRef> items(n);
        for (size_t k = n; k-- > 0;) CM_RETURN_IF_ERROR(Pop(&items[k]));
        return MakeSequence(Kind::kTuple, std::move(items));
      }
      case 'd': {  // DICT
        std::vector<PickleRef> items;
        CM_RETURN_IF_ERROR(PopMark(&items));
        if (items.size() % 2) return Err("DICT with an odd number of items");
        PickleRef d = Make(Kind::kDict);
        for (size_t k = 0; k < items.size(); k += 2) CM_RETURN_IF_ERROR(AddToDict(d, items[k], items[k + 1]));
        return Push(std::move(d));
      }
      case 's': {  // SETITEM
        PickleRef k, v, d;
        CM_RETURN_IF_ERROR(Pop(&v));
        CM_RETURN_IF_ERROR(Pop(&k));
        CM_RETURN_IF_ERROR(Top(&d));
        return AddToDict(d, std::move(k), std::move(v));
      }
      case 'u': {  // SETITEMS
        std::vector<PickleRef> items;
        CM_RETURN_IF_ERROR(PopMark(&items));
        if (items.size() % 2) return Err("SETITEMS with an odd number of items");
        PickleRef d;
        CM_RETURN_IF_ERROR(Top(&d));
        for (size_t k = 0; k < items.size(); k += 2) CM_RETURN_IF_ERROR(AddToDict(d, items[k], items[k + 1]));
        return Status::Ok();
      }
      case 'a': {  // APPEND
        PickleRef v, l;
        CM_RETURN_IF_ERROR(Pop(&v));
        CM_RETURN_IF_ERROR(Top(&l));
        return AddToList(l, std::move(v));
      }
      case 'e':
      case 0x90: {  // APPENDS, ADDITEMS
        std::vector<PickleRef> items;
        CM_RETURN_IF_ERROR(PopMark(&items));
        PickleRef l;
        CM_RETURN_IF_ERROR(Top(&l));
        for (auto& it : items) CM_RETURN_IF_ERROR(AddToList(l, std::move(it)));
        return Status::Ok();
      }
      case 0x94: return Memoize(memo_.size());
      case 'q': {
        uint8_t i = 0;
        CM_RETURN_IF_ERROR(cur_.ReadU8(&i, "BINPUT index"));
        return Memoize(i);
      }
      case 'r': {
        uint32_t i = 0;
        CM_RETURN_IF_ERROR(cur_.ReadLE(&i, "LONG_BINPUT index"));
        return Memoize(i);
      }
      case 'h': {
        uint8_t i = 0;
        CM_RETURN_IF_ERROR(cur_.ReadU8(&i, "BINGET index"));
        return Recall(i);
      }
      case 'j': {
        uint32_t i = 0;
        CM_RETURN_IF_ERROR(cur_.ReadLE(&i, "LONG_BINGET index"));
        return Recall(i);
      }
      case 'c': {  // GLOBAL "module\nname\n": recorded, never imported
        PickleRef g = Make(Kind::kGlobal);
        CM_RETURN_IF_ERROR(ReadLine(&g->module, "GLOBAL module"));
        CM_RETURN_IF_ERROR(ReadLine(&g->name, "GLOBAL name"));
        return Push(std::move(g));
      }
      case 0x93: {  // STACK_GLOBAL
        PickleRef module, name;
        CM_RETURN_IF_ERROR(Pop(&name));
        CM_RETURN_IF_ERROR(Pop(&module));
        if (module->kind != Kind::kString || name->kind != Kind::kString) {
          return Err(fmt::format("STACK_GLOBAL of a {} and a {}; expected two str", module->KindName(), name->KindName()));
        }
        PickleRef g = Make(Kind::kGlobal);
        g->module = module->s;
        g->name = name->s;
        return Push(std::move(g));
      }
      case 0x81:
      case 0x92: {  // NEWOBJ, NEWOBJ_EX: an inert object named after the class
        PickleRef kwargs, args, cls;
        if (op == 0x92) CM_RETURN_IF_ERROR(Pop(&kwargs));
        CM_RETURN_IF_ERROR(Pop(&args));
        CM_RETURN_IF_ERROR(Pop(&cls));
        if (cls->kind != Kind::kGlobal) return Err(fmt::format("NEWOBJ of a {}; expected a class", cls->KindName()));
        if (args->kind != Kind::kTuple) return Err(fmt::format("NEWOBJ arguments are a {}; expected a tuple", args->KindName()));
        PickleRef o = Make(Kind::kObject);
        o->module = cls->module;
        o->name = cls->name;
        CM_RETURN_IF_ERROR(Adopt(o, args));
        o->items = args->items;
        return Push(std::move(o));
      }
      case 'b': {  // BUILD: the state becomes the object's
        PickleRef state, obj;
        CM_RETURN_IF_ERROR(Pop(&state));
        CM_RETURN_IF_ERROR(Top(&obj));
        if (obj->kind != Kind::kObject) return Err(fmt::format("BUILD on a {}; expected an object", obj->KindName()));
        CM_RETURN_IF_ERROR(CheckMutable(obj));
        if (obj->state) return Err("BUILD applied twice to the same object");
        CM_RETURN_IF_ERROR(Adopt(obj, state));
        obj->state = std::move(state);
        return Status::Ok();
      }
      case 'R': return Refuse("REDUCE calls a function");
      case 'i': return Refuse("INST calls a class");
      case 'o': return Refuse("OBJ calls a class");
      case 'P':
      case 'Q': return Refuse("persistent ids need an external loader");
      case 0x82:
      case 0x83:
      case 0x84: return Refuse("extension registry codes need copyreg");
      case 0x97:
      case 0x98: return Refuse("out-of-band buffers are not available");
      default:
        return Status::Unsupported(fmt::format("{} at offset {}: opcode 0x{:02x} is not one of the protocol 2-5 opcodes this reader knows",
                                               cur_.source(), op_offset_, op));
    }
  }

  ByteCursor cur_;
  PickleLimits limits_;
  uint64_t op_offset_ = 0;
  uint8_t op_ = 0;
  std::vector<PickleRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleRef> memo_;
  std::unordered_map<const PickleValue*, Meta> meta_;
  std::vector<PickleRef> all_;
};

}  // namespace

Result<PickleRef> ParsePickle(std::string_view bytes, std::string_view source, const PickleLimits& limits) {
  Unpickler u(bytes, source, limits);
  return u.Run();
}

}  // namespace cm::pickle
