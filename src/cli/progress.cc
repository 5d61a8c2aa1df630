#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "formats/json/json_writer.h"

namespace cm {

ProgressPrinter::ProgressPrinter(std::string mode) : mode_(std::move(mode)) {
  if (mode_ == "auto") mode_ = ::isatty(STDERR_FILENO) ? "bar" : "plain";
  start_ = last_ = std::chrono::steady_clock::now();
}

void ProgressPrinter::Update(const std::string& stage, const std::string& collection, uint64_t done, uint64_t total) {
  if (mode_ == "none") return;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  double since_last = std::chrono::duration<double>(now - last_).count();
  bool final = total > 0 && done >= total;
  if (mode_ == "plain" && since_last < 2.0 && !final) return;
  if (mode_ == "bar" && since_last < 0.1 && !final) return;
  last_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  if (mode_ == "json") {
    std::string line = "{\"event\":\"progress\",\"stage\":";
    AppendJsonString(&line, stage);
    line += ",\"collection\":";
    AppendJsonString(&line, collection);
    line += fmt::format(",\"done\":{},\"total\":{},\"elapsed_s\":{:.3f}}}\n", done, total, elapsed);
    std::fputs(line.c_str(), stderr);
    return;
  }
  std::string what = stage == "read" ? "reading source" : (stage == "rows" ? "writing rows" : "building index");
  std::string text = fmt::format("{}{}{}: {}{}", what, collection.empty() ? "" : " ", collection, done,
                                 total ? fmt::format("/{} ({:.0f}%)", total, 100.0 * static_cast<double>(done) / static_cast<double>(total)) : "");
  if (stage == "read" && rate > 0) text += fmt::format(", {:.0f} records/s", rate);
  if (mode_ == "bar") {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    drew_ = true;
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
}

void ProgressPrinter::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (drew_) std::fputs("\r\033[K", stderr);
  drew_ = false;
}

}  // namespace cm
