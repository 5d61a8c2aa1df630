// ProgressPrinter: progress on stderr. "bar" redraws one line (terminals), "plain" prints a line
// every few seconds, "json" prints one JSON event per update, "none" prints nothing; "auto" is
// bar on a terminal and plain otherwise. Updates may come from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace cm {

class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::string mode);
  void Update(const std::string& stage, const std::string& collection, uint64_t done, uint64_t total);
  void Finish();

 private:
  std::string mode_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drew_ = false;
};

}  // namespace cm
