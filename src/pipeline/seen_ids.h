// SeenIds: which (collection, id) pairs a streaming migration has already passed on, and where
// each was read, with memory independent of record sizes.
//
// In memory: an open-addressing table of 16-byte slots (64-bit hash, offset). The keys and
// locations themselves go to an anonymous temporary file and are read back only when a hash
// matches, so a lookup is exact (hash collisions are told apart by the stored key). About 23
// bytes of RAM per distinct id (10 million ids ≈ 230 MB).
// One thread.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace cm {

class SeenIds {
 public:
  static Result<std::unique_ptr<SeenIds>> Create();
  ~SeenIds();
  SeenIds(const SeenIds&) = delete;
  SeenIds& operator=(const SeenIds&) = delete;

  // Where `id` of `collection` was last recorded, or nullopt when it was never seen.
  Result<std::optional<std::string>> Find(const std::string& collection, const std::string& id);
  // Records `id` at `location` (replacing an earlier location).
  Status Put(const std::string& collection, const std::string& id, const std::string& location);
  size_t size() const { return count_; }

 private:
  SeenIds() = default;
  struct Slot {
    uint64_t hash = 0;
    uint64_t offset = 0;  // +1; 0 = empty
  };
  Result<std::string> ReadKey(uint64_t offset, std::string* location);
  Result<uint64_t> WriteEntry(const std::string& key, const std::string& location);
  // Slot index holding `key`, or the empty slot where it would go.
  Result<size_t> Locate(const std::string& key, uint64_t h, bool* found);
  void Grow();

  std::vector<Slot> slots_;
  size_t count_ = 0;
  FILE* spill_ = nullptr;
  uint64_t spill_size_ = 0;
  bool dirty_ = false;  // appended bytes not yet flushed to the file
};

}  // namespace cm
