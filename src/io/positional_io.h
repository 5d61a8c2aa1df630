// Whole-buffer pread/pwrite: the loops over short transfers and EINTR that every reader and
// writer of a file at an offset needs. Errors name `path`, the offset reached, and the cause.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace cm {

// Reads exactly `n` bytes at `offset`; a file that ends first is an IoError ("end of file").
Status PreadFull(int fd, void* dst, size_t n, uint64_t offset, std::string_view path);
// Writes exactly `n` bytes at `offset`.
Status PwriteFull(int fd, const void* src, size_t n, uint64_t offset, std::string_view path);

}  // namespace cm
