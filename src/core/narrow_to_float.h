// NarrowToFloat: float64 values to float32, as the legacy sources hand over embeddings
// (Chroma 0.3 stored them as DOUBLE lists) and Chroma 1.x stores them.
#pragma once

#include <cstddef>

namespace cm {

// Writes each src[i] rounded to the nearest float into dst[i] and returns true when every value
// is finite and within float range. Otherwise it returns false and what it wrote is unspecified
// (the caller rejects the vector and names the first bad value from src).
bool NarrowToFloat(const double* src, size_t n, float* dst);

}  // namespace cm
