// Asks the kernel to back a large block with 2 MiB pages (transparent huge pages).
//
// An HNSW build reads vectors at random all over its level-0 block (908 bytes per element at 384
// dimensions in fixed point: 0.9 GB at a million elements); with 4 KiB pages nearly every one of
// those reads also misses the TLB, which covers a few MiB. With 2 MiB pages, three of four
// alternating million-record builds were 5–14 % faster, the fourth 4.5 % slower (within this
// machine's noise; docs/performance.md, "Graph insertion"). Linux's default setting
// (`madvise`) gives huge pages only where asked; where THP is off the advice does nothing, and a
// failure is not an error (the block works the same with small pages).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace cm {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// The whole huge pages inside [p, p + bytes): {start, length}; length 0 when there is none.
std::pair<uintptr_t, size_t> HugePageRange(const void* p, size_t bytes);

// madvise(MADV_HUGEPAGE) over HugePageRange(p, bytes); best effort. Pages not yet touched are
// then faulted in as huge pages; pages already touched are merged later by khugepaged.
void AdviseHugePages(void* p, size_t bytes);

}  // namespace cm
