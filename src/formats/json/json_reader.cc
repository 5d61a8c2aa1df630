#include "formats/json/json_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace cm {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : t_(text) {}

  Result<Value> ParseDocument() {
    Value v;
    SkipWs();
    CM_RETURN_IF_ERROR(ParseValue(&v, 0));
    SkipWs();
    if (p_ != t_.size()) return Fail("unexpected text after the JSON value");
    return v;
  }

 private:
  Status Fail(std::string_view what) const {
    return Status::Corrupt(fmt::format("invalid JSON at offset {}: {}", p_, what));
  }
  bool AtEnd() const { return p_ >= t_.size(); }
  char Peek() const { return AtEnd() ? '\0' : t_[p_]; }
  void SkipWs() {
    while (!AtEnd() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  bool Consume(std::string_view word) {
    if (t_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  Status ParseValue(Value* out, int depth) {
    if (depth > kJsonMaxDepth) return Fail(fmt::format("nesting deeper than {}", kJsonMaxDepth));
    if (AtEnd()) return Fail("expected a value, found the end of the text");
    char c = Peek();
    switch (c) {
      case '{': return ParseObject(out, depth);
      case '[': return ParseArray(out, depth);
      case '"': {
        std::string s;
        CM_RETURN_IF_ERROR(ParseString(&s));
        *out = Value::String(std::move(s));
        return Status::Ok();
      }
      case 't': if (Consume("true")) { *out = Value::Bool(true); return Status::Ok(); } break;
      case 'f': if (Consume("false")) { *out = Value::Bool(false); return Status::Ok(); } break;
      case 'n': if (Consume("null")) { *out = Value::Null(); return Status::Ok(); } break;
      case 'N': if (Consume("NaN")) { *out = Value::Double(std::numeric_limits<double>::quiet_NaN()); return Status::Ok(); } break;
      case 'I': if (Consume("Infinity")) { *out = Value::Double(std::numeric_limits<double>::infinity()); return Status::Ok(); } break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
    }
    return Fail(fmt::format("unexpected character '{}'", c));
  }

  Status ParseObject(Value* out, int depth) {
    ++p_;  // '{'
    Value::Object obj;
    SkipWs();
    if (Peek() == '}') { ++p_; *out = Value::MakeObject(std::move(obj)); return Status::Ok(); }
    while (true) {
      SkipWs();
      if (Peek() != '"') return Fail("expected a quoted object key");
      std::string key;
      CM_RETURN_IF_ERROR(ParseString(&key));
      SkipWs();
      if (Peek() != ':') return Fail("expected ':' after an object key");
      ++p_;
      SkipWs();
      Value v;
      CM_RETURN_IF_ERROR(ParseValue(&v, depth + 1));
      // Python's dict keeps the first position and the last value of a repeated key.
      bool replaced = false;
      for (auto& [k, existing] : obj) {
        if (k == key) { existing = std::move(v); replaced = true; break; }
      }
      if (!replaced) obj.emplace_back(std::move(key), std::move(v));
      SkipWs();
      if (Peek() == ',') { ++p_; continue; }
      if (Peek() == '}') { ++p_; break; }
      return Fail("expected ',' or '}' in an object");
    }
    *out = Value::MakeObject(std::move(obj));
    return Status::Ok();
  }

  Status ParseArray(Value* out, int depth) {
    ++p_;  // '['
    Value::Array arr;
    SkipWs();
    if (Peek() == ']') { ++p_; *out = Value::MakeArray(std::move(arr)); return Status::Ok(); }
    while (true) {
      SkipWs();
      Value v;
      CM_RETURN_IF_ERROR(ParseValue(&v, depth + 1));
      arr.push_back(std::move(v));
      SkipWs();
      if (Peek() == ',') { ++p_; continue; }
      if (Peek() == ']') { ++p_; break; }
      return Fail("expected ',' or ']' in an array");
    }
    *out = Value::MakeArray(std::move(arr));
    return Status::Ok();
  }

  Status ReadHex4(uint32_t* out) {
    if (t_.size() - p_ < 4) return Fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = t_[p_ + i];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else return Fail("invalid hex digit in \\u escape");
    }
    p_ += 4;
    *out = v;
    return Status::Ok();
  }

  static void AppendUtf8(std::string* s, uint32_t cp) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  Status ParseString(std::string* out) {
    ++p_;  // opening quote
    while (true) {
      if (AtEnd()) return Fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(t_[p_]);
      if (c == '"') { ++p_; return Status::Ok(); }
      if (c < 0x20) return Fail("control character inside a string");
      if (c != '\\') {
        // Copy a run of plain bytes at once.
        size_t start = p_;
        while (!AtEnd() && t_[p_] != '"' && t_[p_] != '\\' && static_cast<unsigned char>(t_[p_]) >= 0x20) ++p_;
        out->append(t_.substr(start, p_ - start));
        continue;
      }
      ++p_;
      if (AtEnd()) return Fail("truncated escape");
      char e = t_[p_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          CM_RETURN_IF_ERROR(ReadHex4(&cp));
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (!(Consume("\\u") && ReadHex4(&lo).ok() && lo >= 0xDC00 && lo <= 0xDFFF)) {
              return Fail(fmt::format("lone surrogate \\u{:04x} (cannot be represented in UTF-8)", cp));
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Fail(fmt::format("lone surrogate \\u{:04x} (cannot be represented in UTF-8)", cp));
          }
          AppendUtf8(out, cp);
          break;
        }
        default: return Fail(fmt::format("invalid escape '\\{}'", e));
      }
    }
  }

  Status ParseNumber(Value* out) {
    size_t start = p_;
    if (Peek() == '-') {
      ++p_;
      if (Consume("Infinity")) { *out = Value::Double(-std::numeric_limits<double>::infinity()); return Status::Ok(); }
    }
    if (Peek() == '0') {
      ++p_;
    } else if (Peek() >= '1' && Peek() <= '9') {
      while (Peek() >= '0' && Peek() <= '9') ++p_;
    } else {
      return Fail("expected a digit");
    }
    bool is_float = false;
    if (Peek() == '.') {
      ++p_;
      if (!(Peek() >= '0' && Peek() <= '9')) return Fail("expected a digit after '.'");
      while (Peek() >= '0' && Peek() <= '9') ++p_;
      is_float = true;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++p_;
      if (Peek() == '+' || Peek() == '-') ++p_;
      if (!(Peek() >= '0' && Peek() <= '9')) return Fail("expected a digit in the exponent");
      while (Peek() >= '0' && Peek() <= '9') ++p_;
      is_float = true;
    }
    std::string token(t_.substr(start, p_ - start));
    if (is_float) {
      // strtod gives ±HUGE_VAL on overflow, like Python's float(); the C locale is never changed.
      *out = Value::Double(std::strtod(token.c_str(), nullptr));
      return Status::Ok();
    }
    errno = 0;
    long long v = std::strtoll(token.c_str(), nullptr, 10);
    if (errno == ERANGE) {
      *out = Value::BigInt(std::move(token));
    } else {
      *out = Value::Int(static_cast<int64_t>(v));
    }
    return Status::Ok();
  }

  std::string_view t_;
  size_t p_ = 0;
};

}  // namespace

Result<Value> ParseJson(std::string_view text) { return Parser(text).ParseDocument(); }

}  // namespace cm
