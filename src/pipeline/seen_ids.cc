#include "pipeline/seen_ids.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cm {
namespace {

uint64_t Hash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

std::string Key(const std::string& collection, const std::string& id) {
  std::string k = collection;
  k.push_back('\0');
  k += id;
  return k;
}

}  // namespace

Result<std::unique_ptr<SeenIds>> SeenIds::Create() {
  std::unique_ptr<SeenIds> s(new SeenIds());
  s->spill_ = std::tmpfile();
  if (s->spill_ == nullptr) return Status::IoError(fmt::format("cannot create a temporary file for the id index: {}", std::strerror(errno)));
  s->slots_.resize(1024);
  return s;
}

SeenIds::~SeenIds() {
  if (spill_ != nullptr) std::fclose(spill_);
}

Result<uint64_t> SeenIds::WriteEntry(const std::string& key, const std::string& location) {
  uint32_t lens[2] = {static_cast<uint32_t>(key.size()), static_cast<uint32_t>(location.size())};
  std::string buf(reinterpret_cast<const char*>(lens), sizeof(lens));
  buf += key;
  buf += location;
  if (std::fwrite(buf.data(), 1, buf.size(), spill_) != buf.size()) {
    return Status::IoError(fmt::format("id index temporary file: write failed: {}", std::strerror(errno)));
  }
  dirty_ = true;
  uint64_t at = spill_size_;
  spill_size_ += buf.size();
  return at;
}

Result<std::string> SeenIds::ReadKey(uint64_t offset, std::string* location) {
  if (dirty_) {
    if (std::fflush(spill_) != 0) return Status::IoError(fmt::format("id index temporary file: {}", std::strerror(errno)));
    dirty_ = false;
  }
  int fd = fileno(spill_);
  uint32_t lens[2];
  if (pread(fd, lens, sizeof(lens), static_cast<off_t>(offset)) != static_cast<ssize_t>(sizeof(lens))) {
    return Status::IoError("id index temporary file: short read");
  }
  std::string buf(static_cast<size_t>(lens[0]) + lens[1], '\0');
  if (!buf.empty() && pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset + sizeof(lens))) != static_cast<ssize_t>(buf.size())) {
    return Status::IoError("id index temporary file: short read");
  }
  if (location != nullptr) *location = buf.substr(lens[0]);
  buf.resize(lens[0]);
  return buf;
}

Result<size_t> SeenIds::Locate(const std::string& key, uint64_t h, bool* found) {
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.offset == 0) {
      *found = false;
      return i;
    }
    if (s.hash == h) {
      CM_ASSIGN_OR_RETURN(std::string k, ReadKey(s.offset - 1, nullptr));
      if (k == key) {
        *found = true;
        return i;
      }
    }
  }
}

void SeenIds::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.offset == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].offset != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

Result<std::optional<std::string>> SeenIds::Find(const std::string& collection, const std::string& id) {
  std::string key = Key(collection, id);
  uint64_t h = Hash(key);
  bool found = false;
  CM_ASSIGN_OR_RETURN(size_t i, Locate(key, h, &found));
  if (!found) return std::optional<std::string>();
  std::string location;
  CM_RETURN_IF_ERROR(ReadKey(slots_[i].offset - 1, &location).status());
  return std::optional<std::string>(location);
}

Status SeenIds::Put(const std::string& collection, const std::string& id, const std::string& location) {
  if ((count_ + 1) * 10 > slots_.size() * 7) Grow();
  std::string key = Key(collection, id);
  uint64_t h = Hash(key);
  bool found = false;
  CM_ASSIGN_OR_RETURN(size_t i, Locate(key, h, &found));
  CM_ASSIGN_OR_RETURN(uint64_t at, WriteEntry(key, location));
  slots_[i].hash = h;
  slots_[i].offset = at + 1;
  if (!found) ++count_;
  return Status::Ok();
}

}  // namespace cm
