#include "io/warm_block.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "core/idle_priority.h"
#include "io/huge_pages.h"

namespace cm {

namespace {
constexpr size_t kPageBytes = 4096;  // the smallest page: a write this often reaches every one
}  // namespace

std::atomic<size_t> WarmBlock::live_{0};

std::unique_ptr<WarmBlock> WarmBlock::Start(size_t bytes, bool idle) {
  if (bytes > SIZE_MAX - kHugePageBytes) return nullptr;
  bytes = std::max<size_t>(1, (bytes + kHugePageBytes - 1) / kHugePageBytes) * kHugePageBytes;
  char* data = static_cast<char*>(std::aligned_alloc(kHugePageBytes, bytes));
  if (data == nullptr) return nullptr;
  AdviseHugePages(data, bytes);
  return std::unique_ptr<WarmBlock>(new WarmBlock(data, bytes, idle));
}

WarmBlock::WarmBlock(char* data, size_t bytes, bool idle) : data_(data), bytes_(bytes) {
  live_.fetch_add(1, std::memory_order_relaxed);
  thread_ = std::thread([this, idle] { Run(idle); });
}

WarmBlock::~WarmBlock() {
  Stop();
  if (!taken_) std::free(data_);
  live_.fetch_sub(1, std::memory_order_relaxed);
}

char* WarmBlock::Take() {
  Stop();
  taken_ = true;
  return data_;
}

void WarmBlock::Stop() {
  stop_.store(true, std::memory_order_relaxed);
  priority_.Hasten();  // at idle priority on a busy machine the thread might not run for long
  if (thread_.joinable()) thread_.join();
}

void WarmBlock::Run(bool idle) {
  std::optional<ScopedIdlePriority> priority;
  if (idle) {
    priority.emplace(priority_);
    if (!priority->idle()) return;  // not at idle priority (or already stopped): the user faults it in
  }
  // A write per page (a zero; what the block holds is undefined until its user writes it): a
  // plain fault, which takes only the block's own lock. MADV_POPULATE_WRITE, which would leave
  // the contents alone, holds the whole address space's lock through each call: it stalled the
  // reading thread's own mappings (perf: that thread ran a twentieth of the time meanwhile).
  volatile char* bytes = data_;
  for (size_t at = 0; at < bytes_ && !stop_.load(std::memory_order_relaxed); at += kPageBytes) {
    bytes[at] = 0;
    warmed_.store(at + kPageBytes, std::memory_order_relaxed);
  }
}

}  // namespace cm
