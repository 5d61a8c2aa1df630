#include "sinks/index_feeder.h"

namespace cm {

Status IndexFeeder::Run(const Chunk& c) const {
  if (c.task) return (*c.task)(c.labels.data(), c.vectors.data(), c.labels.size());
  for (size_t i = 0; i < c.labels.size(); ++i) {
    if (cancel_ && cancel_->load()) return Status::Cancelled("interrupted; nothing was written");
    CM_RETURN_IF_ERROR(c.builder->Add(c.vectors.data() + i * c.dim, c.labels[i]));
    if (c.inserted) c.inserted->fetch_add(1, std::memory_order_relaxed);
  }
  return Status::Ok();
}

}  // namespace cm
