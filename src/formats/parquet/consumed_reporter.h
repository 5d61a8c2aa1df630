// ConsumedReporter: tells a callback how far into its compressed input a decoder has got, at
// most every 4 MiB, so that the caller can release the mapped pages behind it while a large page
// is still being decoded (MappedFile::Release). Used by the whole-page snappy path (codecs.cc)
// and by SnappyStream.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>

namespace cm::parquet {

class ConsumedReporter {
 public:
  explicit ConsumedReporter(std::function<void(size_t)> consumed) : consumed_(std::move(consumed)) {}
  // `position`: input bytes done with so far.
  void At(size_t position) {
    if (consumed_ && position - reported_ >= kEvery) {
      consumed_(position);
      reported_ = position;
    }
  }

 private:
  static constexpr size_t kEvery = size_t{4} << 20;
  std::function<void(size_t)> consumed_;
  size_t reported_ = 0;
};

}  // namespace cm::parquet
