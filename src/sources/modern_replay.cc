#include "sources/modern_replay.h"

#include <fmt/format.h>

namespace cm {

void MergeQueueMetadata(const Value::Object& update, RecordFields* fields) {
  for (const auto& [key, v] : update) {
    if (key == kChromaDocumentKey || key == kChromaUriKey) {
      std::optional<std::string>& target = key == kChromaDocumentKey ? fields->document : fields->uri;
      if (v.is_string()) {
        target = v.as_string();
      } else {
        target.reset();
      }
      continue;
    }
    auto& md = fields->metadata;
    auto it = md.begin();
    while (it != md.end() && it->first != key) ++it;
    if (v.is_null()) {
      if (it != md.end()) md.erase(it);
    } else if (it != md.end()) {
      it->second = v;
    } else {
      md.emplace_back(key, v);
    }
  }
}

RecordFields FieldsFromQueueMetadata(const Value& metadata) {
  RecordFields f;
  if (metadata.is_object()) MergeQueueMetadata(metadata.as_object(), &f);
  return f;
}

CollectionState::Entry& CollectionState::Slot(const std::string& id) {
  auto [it, inserted] = index_.try_emplace(id, entries_.size());
  if (inserted) entries_.push_back(Entry{id, false, {}, 0, {}});
  return entries_[it->second];
}

CollectionState::Entry* CollectionState::Find(const std::string& id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

void CollectionState::PutMetadataRecord(const std::string& id, RecordFields fields) {
  Entry& e = Slot(id);
  if (!e.has_meta) ++live_meta_;
  e.has_meta = true;
  e.fields = std::move(fields);
  e.rowid = 0;
}

void CollectionState::PutMaterialised(const std::string& id, int64_t rowid) {
  Entry& e = Slot(id);
  if (!e.has_meta) ++live_meta_;
  e.has_meta = true;
  e.fields = RecordFields();
  e.rowid = rowid;
}

void CollectionState::PutVector(const std::string& id, VectorRef ref) { Slot(id).vector = ref; }

Status CollectionState::Apply(QueueOp op, const std::string& id, VectorRef vector, const Value& metadata,
                              bool to_metadata, bool to_vector) {
  if (!metadata.is_null() && !metadata.is_object()) {
    return Status::Corrupt(fmt::format("queue record for id \"{}\": metadata is not a JSON object", id));
  }
  Entry* e = Find(id);
  const bool meta_present = e != nullptr && e->has_meta;
  const bool vec_present = e != nullptr && e->vector.kind != VectorRef::Kind::kNone;
  switch (op) {
    case QueueOp::kAdd:
      if (to_metadata && !meta_present) PutMetadataRecord(id, FieldsFromQueueMetadata(metadata));
      if (to_vector && !vec_present && vector.kind != VectorRef::Kind::kNone) PutVector(id, vector);
      return Status::Ok();
    case QueueOp::kUpdate:
    case QueueOp::kUpsert: {
      const bool upsert = op == QueueOp::kUpsert;
      if (to_metadata) {
        if (meta_present) {
          if (metadata.is_object()) {
            Entry* x = Find(id);
            if (x->rowid != 0) {  // merging needs the stored fields
              if (!loader_) return Status::Internal("CollectionState: no loader for a materialised record");
              CM_ASSIGN_OR_RETURN(x->fields, loader_(x->rowid));
              x->rowid = 0;
            }
            MergeQueueMetadata(metadata.as_object(), &x->fields);
          }
        } else if (upsert) {
          PutMetadataRecord(id, FieldsFromQueueMetadata(metadata));
        }
      }
      if (to_vector && vector.kind != VectorRef::Kind::kNone && (vec_present || upsert)) PutVector(id, vector);
      return Status::Ok();
    }
    case QueueOp::kDelete:
      if (e != nullptr) {
        if (to_metadata && e->has_meta) {
          e->has_meta = false;
          e->fields = RecordFields();
          e->rowid = 0;
          --live_meta_;
        }
        if (to_vector) e->vector = VectorRef();
      }
      return Status::Ok();
  }
  return Status::Corrupt(fmt::format("queue record for id \"{}\": operation {} is not add/update/upsert/delete", id,
                                     static_cast<int>(op)));
}

std::vector<LiveRecord> CollectionState::Finish() const {
  std::vector<LiveRecord> out;
  out.reserve(live_meta_);
  for (const Entry& e : entries_) {
    if (!e.has_meta) continue;
    const RecordFields& f = e.fields;
    bool none = !f.document && !f.uri && f.metadata.empty();
    out.push_back(LiveRecord{e.id, none ? nullptr : std::make_unique<RecordFields>(f), e.rowid, e.vector});
  }
  return out;
}

size_t CollectionState::vector_only_count() const {
  size_t n = 0;
  for (const Entry& e : entries_) n += (!e.has_meta && e.vector.kind != VectorRef::Kind::kNone) ? 1 : 0;
  return n;
}

}  // namespace cm
