#include "pipeline/resume_journal.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "formats/json/json_reader.h"
#include "formats/json/json_writer.h"

namespace fs = std::filesystem;

namespace cm {

std::string DefaultJournalDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/chroma-migrate";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/chroma-migrate";
  return fmt::format("/tmp/chroma-migrate-{}", static_cast<unsigned>(getuid()));
}

std::string Fingerprint(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

Result<std::unique_ptr<ResumeJournal>> ResumeJournal::Open(const std::string& dir, const std::string& key, bool resume) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("{}: cannot create the journal directory: {}", dir, ec.message()));
  std::unique_ptr<ResumeJournal> j(new ResumeJournal());
  j->path_ = dir + "/" + Fingerprint(key) + ".journal";
  std::string header;
  AppendJsonString(&header, key);
  header = "chroma-migrate-journal 1 " + header;
  bool exists = fs::exists(j->path_, ec);
  if (resume && exists) {
    std::ifstream in(j->path_);
    std::string line;
    if (!std::getline(in, line) || line != header) {
      return Status::InvalidArgument(fmt::format(
          "{}: this journal belongs to another migration (source, destination, selection, policies or batch size "
          "differ); run without --resume to start over",
          j->path_));
    }
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline: a torn last line
      if (line.size() < 3 || line[1] != ' ') continue;
      std::string rest = line.substr(2);
      if (line[0] == 'S' || line[0] == 'A') {
        char* end = nullptr;
        uint64_t seq = std::strtoull(rest.c_str(), &end, 10);
        if (end == rest.c_str()) continue;
        (line[0] == 'S' ? j->sent_ : j->acked_).insert(seq);
      } else if (line[0] == 'C') {
        auto v = ParseJson(rest);
        if (v.ok() && v->is_array() && v->as_array().size() == 2 && v->as_array()[0].is_string() &&
            v->as_array()[1].is_string()) {
          j->created_[v->as_array()[0].as_string()] = v->as_array()[1].as_string();
        }
      }
    }
    j->resumed_ = true;
    j->f_ = std::fopen(j->path_.c_str(), "a");
  } else {
    j->f_ = std::fopen(j->path_.c_str(), "w");
    if (j->f_ != nullptr) CM_RETURN_IF_ERROR(j->Append(header));
  }
  if (j->f_ == nullptr) return Status::IoError(fmt::format("{}: cannot open the journal: {}", j->path_, std::strerror(errno)));
  return j;
}

ResumeJournal::~ResumeJournal() {
  if (f_ != nullptr) std::fclose(f_);
}

size_t ResumeJournal::acked_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_.size();
}

bool ResumeJournal::Acked(uint64_t seq) const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_.count(seq) > 0;
}

bool ResumeJournal::Sent(uint64_t seq) const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_.count(seq) > 0;
}

std::optional<std::string> ResumeJournal::CreatedCollection(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = created_.find(name);
  if (it == created_.end()) return std::nullopt;
  return it->second;
}

Status ResumeJournal::Append(const std::string& line) {
  if (std::fputs(line.c_str(), f_) == EOF || std::fputc('\n', f_) == EOF || std::fflush(f_) != 0) {
    return Status::IoError(fmt::format("{}: cannot write the journal: {}", path_, std::strerror(errno)));
  }
  return Status::Ok();
}

Status ResumeJournal::RecordCollection(const std::string& name, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  created_[name] = id;
  std::string line = "C [";
  AppendJsonString(&line, name);
  line += ",";
  AppendJsonString(&line, id);
  line += "]";
  return Append(line);
}

Status ResumeJournal::MarkSent(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  sent_.insert(seq);
  return Append(fmt::format("S {}", seq));
}

Status ResumeJournal::MarkAcked(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  acked_.insert(seq);
  return Append(fmt::format("A {}", seq));
}

Status ResumeJournal::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (f_ != nullptr) std::fclose(f_);
  f_ = nullptr;
  std::error_code ec;
  fs::remove(path_, ec);
  return Status::Ok();
}

}  // namespace cm
