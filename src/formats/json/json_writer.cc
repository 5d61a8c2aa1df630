#include "formats/json/json_writer.h"

#include <charconv>
#include <cmath>
#include <string>

namespace cm {

void AppendJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendJsonDouble(std::string* out, double d) {
  if (std::isnan(d)) { out->append("NaN"); return; }
  if (std::isinf(d)) { out->append(d > 0 ? "Infinity" : "-Infinity"); return; }
  // Shortest round-trip digits, laid out as Python's repr(float) does (the writer of all
  // legacy metadata): fixed notation for exponents -4..15, else d.ddde±XX.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(end - buf));
  size_t e = sci.find('e');
  int exp = std::stoi(std::string(sci.substr(e + 1)));
  if (exp < -4 || exp >= 16) {
    out->append(sci);
    return;
  }
  std::string_view mant = sci.substr(0, e);
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.remove_prefix(1);
  std::string digits;
  for (char c : mant) if (c != '.') digits.push_back(c);
  if (neg) out->push_back('-');
  if (exp < 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-exp - 1), '0');
    out->append(digits);
    return;
  }
  size_t int_len = static_cast<size_t>(exp) + 1;
  if (digits.size() <= int_len) {
    out->append(digits);
    out->append(int_len - digits.size(), '0');
    out->append(".0");
  } else {
    out->append(digits, 0, int_len);
    out->push_back('.');
    out->append(digits, int_len, std::string::npos);
  }
}

void AppendJson(std::string* out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: out->append("null"); break;
    case Value::Kind::kBool: out->append(v.as_bool() ? "true" : "false"); break;
    case Value::Kind::kInt: out->append(std::to_string(v.as_int())); break;
    case Value::Kind::kBigInt: out->append(v.as_string()); break;
    case Value::Kind::kDouble: AppendJsonDouble(out, v.as_double()); break;
    case Value::Kind::kString: AppendJsonString(out, v.as_string()); break;
    case Value::Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(out, e);
      }
      out->push_back(']');
      break;
    }
    case Value::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, k);
        out->push_back(':');
        AppendJson(out, e);
      }
      out->push_back('}');
      break;
    }
  }
}

std::string ToJson(const Value& v) {
  std::string out;
  AppendJson(&out, v);
  return out;
}

Value JsonCount(uint64_t n) { return Value::Int(static_cast<int64_t>(n)); }

Value JsonStringOrNull(const std::string& s) { return s.empty() ? Value::Null() : Value::String(s); }

Value JsonRounded(double d, int decimals) {
  double scale = std::pow(10.0, decimals);
  return Value::Double(std::round(d * scale) / scale);
}

Value JsonStrings(const std::vector<std::string>& v) {
  Value::Array a;
  for (const std::string& s : v) a.push_back(Value::String(s));
  return Value::MakeArray(std::move(a));
}

Value JsonCounts(const std::map<std::string, uint64_t>& counts) {
  Value::Object o;
  for (const auto& [k, n] : counts) o.emplace_back(k, JsonCount(n));
  return Value::MakeObject(std::move(o));
}

}  // namespace cm
