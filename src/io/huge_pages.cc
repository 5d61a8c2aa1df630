#include "io/huge_pages.h"

#include <sys/mman.h>

namespace cm {

std::pair<uintptr_t, size_t> HugePageRange(const void* p, size_t bytes) {
  const uintptr_t begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t from = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const uintptr_t to = (begin + bytes) & ~(kHugePageBytes - 1);
  if (from < begin || to <= from) return {from, 0};  // (from < begin: the rounding wrapped)
  return {from, to - from};
}

void AdviseHugePages(void* p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  const auto [from, length] = HugePageRange(p, bytes);
  if (length > 0) madvise(reinterpret_cast<void*>(from), length, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace cm
