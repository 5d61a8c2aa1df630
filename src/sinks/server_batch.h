// Wire encoding of record batches for a Chroma server's add/upsert routes, and batch limits.
//
// * Embeddings: base64 of packed little-endian float32 (one string per record) when the server
//   supports it (exact by construction), else JSON arrays whose numbers parse back to the same
//   float32 whether the reader parses them as f32 (Rust) or as double then casts (Python).
// * Metadata: ints stay ints, floats always carry a '.' or exponent; empty metadata is `null`.
// * Documents/uris: null where absent; `uris` is sent only when some record has one.
// Limits: rows ≤ min(--batch-size, max_batch_size, 300 on Chroma Cloud); the body stays under
// kMaxBatchBytes (well below the Rust server's 40 MiB limit), estimated per record before
// encoding so that batch boundaries are deterministic (resume relies on that).
// Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "chroma/api_client.h"
#include "core/record.h"
#include "pipeline/policies.h"

namespace cm {

inline constexpr size_t kMaxBatchBytes = 16u << 20;
inline constexpr size_t kDefaultBatchRows = 1000;
inline constexpr size_t kCloudBatchRows = 300;

struct BatchLimits {
  size_t max_rows = kDefaultBatchRows;
  size_t max_bytes = kMaxBatchBytes;
};

BatchLimits ComputeBatchLimits(const ServerInfo& info, size_t user_batch_size);

// Appends a float32 value as a JSON number that round-trips exactly (see above).
void AppendFloat32Json(std::string* out, float f);
std::string Base64Float32(const float* v, size_t n);
// Upper bound of the bytes a record adds to a body.
size_t EstimateRecordBytes(const std::string& id, size_t dim, const std::optional<std::string>& document,
                           const std::optional<std::string>& uri, const Metadata& metadata, bool base64);
std::string EncodeWriteBody(const RecordBatch& b, bool base64);

}  // namespace cm
