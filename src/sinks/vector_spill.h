// VectorSpill: one collection's vectors, by label, in an unlinked file inside the staging
// directory (so on the destination's file system, which needs room for the graph anyway).
//
// It lets the graph be built after the collection's last record, in an order chosen over the
// whole collection (CollectionWriter, insertion orders spatial and shuffled), with 4 bytes of
// memory per record instead of the vectors themselves: the file is read back from the page
// cache, row by row, in that order.
//
// Labels are 1..n; label L's vector lives at offset (L - 1) × dim × 4, so they may be put in
// any order (consecutive labels are buffered and written together). One thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/unique_fd.h"

namespace cm {

class VectorSpill {
 public:
  // `dir` receives the file (unlinked at once); `what` names it in errors ("collection \"x\"").
  static Result<std::unique_ptr<VectorSpill>> Create(const std::string& dir, size_t dim, std::string what);

  Status Put(uint64_t label, const float* vector);
  // Writes what is buffered; call before the first Read.
  Status Flush();
  // Reads the vectors of `labels[0..n)` into `out` (n × dim floats).
  Status Read(const uint64_t* labels, size_t n, float* out) const;

 private:
  VectorSpill(UniqueFd fd, std::string path, size_t dim) : fd_(std::move(fd)), path_(std::move(path)), dim_(dim) {}

  UniqueFd fd_;
  std::string path_;  // for messages: "<file> (temporary, unlinked; <what>)"
  size_t dim_;
  uint64_t run_first_ = 0;   // label of buffer_'s first vector
  std::vector<float> buffer_;  // consecutive labels from run_first_
  uint64_t labels_ = 0;        // highest label put
};

}  // namespace cm
