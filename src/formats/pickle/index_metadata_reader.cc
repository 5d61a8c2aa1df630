#include "formats/pickle/index_metadata_reader.h"

#include <fmt/format.h>
#include <malloc.h>

#include "formats/pickle/pickle_reader.h"

namespace cm {
namespace {

using pickle::PickleValue;
using Kind = PickleValue::Kind;

Status Bad(std::string_view source, std::string_view what) {
  return Status::Corrupt(fmt::format("{}: {}", source, what));
}

bool AsUnsigned(const PickleValue& v, uint64_t* out) {
  if (v.kind == Kind::kInt && v.i >= 0) {
    *out = static_cast<uint64_t>(v.i);
    return true;
  }
  // LONG1 of 9 bytes ending in 0x00: a value in [2^63, 2^64).
  if (v.kind == Kind::kBigInt && v.s.size() == 9 && v.s[8] == 0) {
    uint64_t u = 0;
    for (size_t k = 0; k < 8; ++k) u |= static_cast<uint64_t>(static_cast<uint8_t>(v.s[k])) << (8 * k);
    *out = u;
    return true;
  }
  return false;
}

// Python 0.4–0.5.5 pickled max_seq_id as an int; be lenient with an 8-byte big-endian bytes.
bool AsSeqId(const PickleValue& v, uint64_t* out) {
  if (AsUnsigned(v, out)) return true;
  if (v.kind == Kind::kBytes && v.s.size() == 8) {
    uint64_t u = 0;
    for (char c : v.s) u = (u << 8) | static_cast<uint8_t>(c);
    *out = u;
    return true;
  }
  return false;
}

// Pickles from this size up leave a parse tree worth handing back (about 24 bytes of small heap
// blocks per pickle byte: ~0.9 GB for the 38 MB pickle of a million ids).
constexpr size_t kTrimAfterBytes = size_t{1} << 20;

Result<ParsedIndexMetadata> Parse(std::string_view bytes, std::string_view source) {
  CM_ASSIGN_OR_RETURN(pickle::PickleRef root, pickle::ParsePickle(bytes, source));
  ParsedIndexMetadata out;
  const PickleValue* d = root->AsDict();
  if (d == nullptr) {
    return Bad(source, fmt::format("the pickle holds a {}; expected a dict or a PersistentData object with a state dict",
                                   root->KindName()));
  }
  out.class_form = root->kind == Kind::kObject;
  if (out.class_form && root->name != "PersistentData") {
    return Bad(source, fmt::format("the pickle holds an object of class {}.{}; expected PersistentData", root->module, root->name));
  }
  const PickleValue* v = d->Get("total_elements_added");
  if (v == nullptr) return Bad(source, "missing key total_elements_added");
  if (!AsUnsigned(*v, &out.total_elements_added)) {
    return Bad(source, fmt::format("total_elements_added is a {}; expected a non-negative int", v->KindName()));
  }
  if ((v = d->Get("dimensionality")) != nullptr && v->kind != Kind::kNone) {
    if (v->kind != Kind::kInt || v->i <= 0) {
      return Bad(source, fmt::format("dimensionality is a {}; expected a positive int or None", v->KindName()));
    }
    out.dimensionality = v->i;
  }
  if ((v = d->Get("max_seq_id")) != nullptr && v->kind != Kind::kNone) {
    uint64_t s = 0;
    if (!AsSeqId(*v, &s)) return Bad(source, fmt::format("max_seq_id is a {}; expected an int or None", v->KindName()));
    out.max_seq_id = s;
  }
  const PickleValue* l2i = d->Get("label_to_id");
  if (l2i == nullptr) return Bad(source, "missing key label_to_id");
  if (l2i->kind != Kind::kDict) return Bad(source, fmt::format("label_to_id is a {}; expected a dict", l2i->KindName()));
  out.label_to_id.reserve(l2i->dict.size());
  for (size_t n = 0; n < l2i->dict.size(); ++n) {
    const auto& [k, val] = l2i->dict[n];
    uint64_t label = 0;
    if (!AsUnsigned(*k, &label) || label == 0) {
      return Bad(source, fmt::format("label_to_id entry {}: the label is a {}; expected an int ≥ 1", n, k->KindName()));
    }
    if (val->kind != Kind::kString) {
      return Bad(source, fmt::format("label_to_id entry {} (label {}): the id is a {}; expected a str", n, label, val->KindName()));
    }
    out.label_to_id[label] = val->s;
  }
  const PickleValue* i2l = d->Get("id_to_label");
  if (i2l == nullptr) return Bad(source, "missing key id_to_label");
  if (i2l->kind != Kind::kDict) return Bad(source, fmt::format("id_to_label is a {}; expected a dict", i2l->KindName()));
  out.id_to_label_size = i2l->dict.size();
  return out;
}

}  // namespace

Result<ParsedIndexMetadata> ReadIndexMetadataPickle(std::string_view bytes, std::string_view source) {
  Result<ParsedIndexMetadata> out = Parse(bytes, source);
  // The tree is freed by now, but glibc keeps its many small blocks resident unless asked: a
  // graph read next would otherwise sit beside them for the rest of the run.
  if (bytes.size() >= kTrimAfterBytes) malloc_trim(0);
  return out;
}

}  // namespace cm
