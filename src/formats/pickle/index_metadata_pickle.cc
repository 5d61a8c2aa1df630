#include "formats/pickle/index_metadata_pickle.h"

#include <cstring>

namespace cm {
namespace {

// Pickle opcodes used here (protocol 3).
constexpr char kProto = '\x80';
constexpr char kEmptyDict = '}';
constexpr char kMark = '(';
constexpr char kSetItems = 'u';
constexpr char kBinUnicode = 'X';
constexpr char kBinInt = 'J';
constexpr char kLong1 = '\x8a';
constexpr char kNone = 'N';
constexpr char kStop = '.';
constexpr size_t kBatch = 1000;

void PutU32(std::string* out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // pickle integers are little-endian, as is every supported host
  out->append(b, 4);
}

void PutStr(std::string* out, const std::string& s) {
  out->push_back(kBinUnicode);
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

void PutInt(std::string* out, int64_t v) {
  if (v >= INT32_MIN && v <= INT32_MAX) {
    out->push_back(kBinInt);
    PutU32(out, static_cast<uint32_t>(static_cast<int32_t>(v)));
    return;
  }
  // LONG1: little-endian two's complement, minimal length.
  char bytes[9];
  int n = 0;
  int64_t x = v;
  do {
    bytes[n++] = static_cast<char>(x & 0xff);
    x >>= 8;
  } while (!((x == 0 && !(bytes[n - 1] & 0x80)) || (x == -1 && (bytes[n - 1] & 0x80))));
  out->push_back(kLong1);
  out->push_back(static_cast<char>(n));
  out->append(bytes, static_cast<size_t>(n));
}

template <typename EmitItem>
void PutDict(std::string* out, size_t count, EmitItem emit) {
  out->push_back(kEmptyDict);
  for (size_t start = 0; start < count; start += kBatch) {
    out->push_back(kMark);
    size_t end = std::min(count, start + kBatch);
    for (size_t i = start; i < end; ++i) emit(i);
    out->push_back(kSetItems);
  }
}

}  // namespace

std::string EncodeIndexMetadataPickle(const IndexMetadata& m) {
  std::string out;
  size_t approx = 64;
  for (const auto& [id, label] : m.id_to_label) approx += 2 * (id.size() + 10);
  out.reserve(approx + 256);
  out.push_back(kProto);
  out.push_back('\x03');
  out.push_back(kEmptyDict);
  out.push_back(kMark);
  PutStr(&out, "dimensionality");
  PutInt(&out, m.dimensionality);
  PutStr(&out, "total_elements_added");
  PutInt(&out, m.total_elements_added);
  PutStr(&out, "max_seq_id");
  out.push_back(kNone);
  PutStr(&out, "id_to_label");
  PutDict(&out, m.id_to_label.size(), [&](size_t i) {
    PutStr(&out, m.id_to_label[i].first);
    PutInt(&out, m.id_to_label[i].second);
  });
  PutStr(&out, "label_to_id");
  PutDict(&out, m.id_to_label.size(), [&](size_t i) {
    PutInt(&out, m.id_to_label[i].second);
    PutStr(&out, m.id_to_label[i].first);
  });
  PutStr(&out, "id_to_seq_id");
  out.push_back(kEmptyDict);
  out.push_back(kSetItems);
  out.push_back(kStop);
  return out;
}

}  // namespace cm
