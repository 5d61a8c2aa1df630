#include "pipeline/collection_buffer.h"

#include <fmt/format.h>

namespace cm {

Status CollectionBuffer::Add(ConvertedRecord r, const std::string& location, std::optional<ConvertedRecord>* displaced,
                             std::string* displaced_location, std::optional<RejectReason>* why, ChangeCounts* changes) {
  displaced->reset();
  why->reset();
  if (!spec_.dimension) spec_.dimension = r.embedding.size();
  if (records_.dim == 0) records_.dim = *spec_.dimension;
  if (r.embedding.size() != *spec_.dimension) {
    *why = RejectReason{"embedding.dimension_mismatch",
                        fmt::format("the embedding has {} values but collection \"{}\" has dimension {}{}",
                                    r.embedding.size(), spec_.name, *spec_.dimension,
                                    locations_.empty() ? "" : " (set by " + locations_.front() + ")")};
    *displaced_location = location;
    *displaced = std::move(r);
    return Status::Ok();
  }
  auto it = row_of_id_.find(r.id);
  if (it == row_of_id_.end()) {
    row_of_id_.emplace(r.id, records_.size());
    locations_.push_back(location);
    records_.Append(std::move(r.id), r.embedding.data(), std::move(r.document), std::move(r.uri), std::move(r.metadata));
    return Status::Ok();
  }
  size_t row = it->second;
  switch (duplicates_) {
    case DuplicatePolicy::kFail:
      return Status::InvalidArgument(fmt::format(
          "collection \"{}\": id \"{}\" appears at {} and again at {} (--duplicates fail; use last or first)",
          spec_.name, r.id, locations_[row], location));
    case DuplicatePolicy::kFirst:
      ++(*changes)["id.duplicate_later_ignored"];
      *why = RejectReason{"id.duplicate_ignored",
                          fmt::format("id \"{}\" already appeared at {}; the first occurrence is kept (--duplicates first)",
                                      r.id, locations_[row])};
      *displaced_location = location;
      *displaced = std::move(r);
      return Status::Ok();
    case DuplicatePolicy::kLast: {
      ++(*changes)["id.duplicate_earlier_superseded"];
      ConvertedRecord old;
      old.id = records_.ids[row];
      old.embedding.assign(records_.embedding(row), records_.embedding(row) + records_.dim);
      old.document = records_.documents[row];
      old.uri = records_.uris[row];
      old.metadata = records_.metadatas[row];
      *why = RejectReason{"id.duplicate_superseded",
                          fmt::format("id \"{}\" appears again at {}; the last occurrence is kept (--duplicates last)",
                                      r.id, location)};
      *displaced_location = locations_[row];
      *displaced = std::move(old);
      locations_[row] = location;
      std::string id = r.id;
      records_.Replace(row, std::move(id), r.embedding.data(), std::move(r.document), std::move(r.uri), std::move(r.metadata));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace cm
