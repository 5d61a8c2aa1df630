#include "formats/fts5/spilled_runs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/fs_util.h"
#include "io/positional_io.h"

namespace cm::fts5 {
namespace {

constexpr size_t kHeaderBytes = 32;

void Put64(uint8_t* at, uint64_t v) { std::memcpy(at, &v, 8); }
uint64_t Get64(const uint8_t* at) {
  uint64_t v = 0;
  std::memcpy(&v, at, 8);
  return v;
}

class FileCursor : public RunCursor {
 public:
  FileCursor(int fd, const std::string* path, uint64_t begin, uint64_t end)
      : fd_(fd), path_(path), next_(begin), end_(end) {}
  Status Start() { return Next(); }
  bool done() const override { return done_; }
  const TermKey& key() const override { return key_; }
  std::span<const uint8_t> doclist() const override { return {buf_.data() + doclist_at_, doclist_size_}; }
  int64_t last_rowid() const override { return last_rowid_; }
  Status Next() override {
    pos_ = doclist_at_ + doclist_size_;
    doclist_at_ = doclist_size_ = 0;
    if (pos_ == filled_ && next_ == end_) {
      done_ = true;
      return Status::Ok();
    }
    CM_RETURN_IF_ERROR(Have(kHeaderBytes));
    const uint8_t* h = buf_.data() + pos_;
    key_ = {Get64(h), Get64(h + 8)};
    last_rowid_ = static_cast<int64_t>(Get64(h + 16));
    const uint64_t size = Get64(h + 24);
    pos_ += kHeaderBytes;
    if (size > end_) return Status::Corrupt(fmt::format("{}: a spilled doclist of {} bytes", *path_, size));
    CM_RETURN_IF_ERROR(Have(static_cast<size_t>(size)));
    doclist_at_ = pos_;
    doclist_size_ = static_cast<size_t>(size);
    return Status::Ok();
  }

 private:
  // Makes the next `n` bytes from pos_ available in buf_.
  Status Have(size_t n) {
    if (filled_ - pos_ >= n) return Status::Ok();
    if (filled_ > pos_) std::memmove(buf_.data(), buf_.data() + pos_, filled_ - pos_);  // (none yet: no buffer)
    filled_ -= pos_;
    pos_ = 0;
    if (buf_.size() < std::max(n, SpilledRuns::kBufferBytes)) buf_.resize(std::max(n, SpilledRuns::kBufferBytes));
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf_.size() - filled_, end_ - next_));
    if (filled_ + want < n) return Status::Corrupt(fmt::format("{}: a spilled run ends inside a term", *path_));
    CM_RETURN_IF_ERROR(PreadFull(fd_, buf_.data() + filled_, want, next_, *path_));
    filled_ += want;
    next_ += want;
    return Status::Ok();
  }

  int fd_;
  const std::string* path_;
  uint64_t next_, end_;  // the part of the run not read yet
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, filled_ = 0;
  size_t doclist_at_ = 0, doclist_size_ = 0;
  TermKey key_;
  int64_t last_rowid_ = 0;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<SpilledRuns>> SpilledRuns::Create(const std::string& dir) {
  std::string name = dir + "/fulltext-postings-XXXXXX";
  UniqueFd fd = CreateUnlinkedFile(&name);
  if (!fd.valid()) {
    return Status::IoError(fmt::format("{}: cannot create the file that holds the full-text postings until their "
                                       "segment is written: {}", name, std::strerror(errno)));
  }
  std::string path = fmt::format("{} (temporary, unlinked; full-text postings)", name);
  return std::unique_ptr<SpilledRuns>(new SpilledRuns(std::move(fd), std::move(path)));
}

Status SpilledRuns::Flush(std::vector<uint8_t>& buffer) {
  CM_RETURN_IF_ERROR(PwriteFull(fd_.get(), buffer.data(), buffer.size(), end_, path_));
  end_ += buffer.size();
  buffer.clear();
  return Status::Ok();
}

Status SpilledRuns::Spill(const std::vector<RunCursor*>& runs) {
  const uint64_t begin = end_;
  std::vector<uint8_t> buffer;
  buffer.reserve(kBufferBytes);
  CM_RETURN_IF_ERROR(MergeRuns(runs, [&](const TermKey& key, std::span<const uint8_t> doclist, int64_t last) {
    uint8_t h[kHeaderBytes];
    Put64(h, key.hi);
    Put64(h + 8, key.lo);
    Put64(h + 16, static_cast<uint64_t>(last));
    Put64(h + 24, doclist.size());
    buffer.insert(buffer.end(), h, h + kHeaderBytes);
    if (buffer.size() + doclist.size() > kBufferBytes) CM_RETURN_IF_ERROR(Flush(buffer));
    if (doclist.size() > kBufferBytes) {
      CM_RETURN_IF_ERROR(PwriteFull(fd_.get(), doclist.data(), doclist.size(), end_, path_));
      end_ += doclist.size();
      return Status::Ok();
    }
    buffer.insert(buffer.end(), doclist.begin(), doclist.end());
    return Status::Ok();
  }));
  CM_RETURN_IF_ERROR(Flush(buffer));
  extents_.emplace_back(begin, end_);
  return Status::Ok();
}

Result<std::vector<std::unique_ptr<RunCursor>>> SpilledRuns::Cursors() const {
  std::vector<std::unique_ptr<RunCursor>> out;
  for (const auto& [begin, end] : extents_) {
    auto c = std::make_unique<FileCursor>(fd_.get(), &path_, begin, end);
    CM_RETURN_IF_ERROR(c->Start());
    out.push_back(std::move(c));
  }
  return out;
}

void SpilledRuns::Clear() {
  extents_.clear();
  end_ = 0;
}

}  // namespace cm::fts5
