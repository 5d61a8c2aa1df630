// JSON forms of record metadata as Chroma stores and sends them.
//
// MetadataJson: the embeddings_queue.metadata object — user metadata in order, then
// "chroma:document" and "chroma:uri" when present (Chroma's reserved keys). Ints stay ints,
// floats keep a '.', bools are true/false. Callers never pass non-finite doubles.
// Stateless, thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/record.h"
#include "core/value.h"

namespace cm {

inline constexpr const char* kDocumentKey = "chroma:document";
inline constexpr const char* kUriKey = "chroma:uri";

Value MetadataToValue(const Metadata& metadata);
void AppendMetadataValueJson(std::string* out, const MetadataValue& v);
std::string MetadataJson(const Metadata& metadata, const std::optional<std::string>& document,
                         const std::optional<std::string>& uri);

}  // namespace cm
