// CollectionWriter: one collection of a PersistDirWriter, written record by record
// (persist_dir_writer.h). Each record's SQLite rows go to the RowWriter's thread as it arrives.
// Its vector, with a reused graph, is checked against the element it claims. Otherwise it waits
// in the VectorSpill until Finish, which hands the whole collection to the IndexFeeder's
// threads in chunks, in the spatial order (spatial_order.h) or a random one (insertion orders
// kSpatial and kShuffled), or it goes in a chunk to those threads at once, which build the
// graph meanwhile (kStored).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>
#include <random>

#include "chroma/collection_config.h"
#include "chroma/record_json.h"
#include "core/uuid.h"
#include "formats/hnsw/cosine.h"
#include "formats/hnsw/fixed_point.h"
#include "formats/hnsw/hnsw_builder.h"
#include "formats/pickle/index_metadata_pickle.h"
#include "io/fs_util.h"
#include "io/out_file.h"
#include "io/warm_block.h"
#include "sinks/index_feeder.h"
#include "sinks/metadata_binding.h"
#include "sinks/persist_dir_writer.h"
#include "sinks/reused_graph.h"
#include "sinks/row_writer.h"
#include "sinks/spatial_order.h"
#include "sinks/vector_spill.h"

namespace cm {
namespace {

constexpr const char* kVectorSegmentType = "urn:chroma:segment/vector/hnsw-local-persisted";
constexpr const char* kMetadataSegmentType = "urn:chroma:segment/metadata/sqlite";
constexpr int kOperationAdd = 0;
constexpr size_t kChunkRows = 64;  // per graph-thread hand-over: small, so the threads end together
constexpr uint64_t kInitialCapacity = 1024;  // when the source could not say how many records come
constexpr size_t kWarmRowsFrom = size_t{4} << 20;  // smaller graphs' rows are faulted in as they are filled
constexpr auto kProgressEvery = std::chrono::milliseconds(200);

std::string QueueTopic(const std::string& collection_id) {
  return "persistent://default/default/" + collection_id;
}

}  // namespace

CollectionWriter::CollectionWriter(PersistDirWriter* writer, CollectionSpec spec, uint64_t expected)
    : writer_(writer), spec_(std::move(spec)), expected_(expected) {}

void CollectionWriter::ReuseGraph(std::unique_ptr<ReusedGraph> graph) {
  if (count_ == 0 && !builder_) reused_ = std::move(graph);
}

CollectionWriter::~CollectionWriter() {
  // Chunks in flight point at builder_ or at this writer (intake), queued rows at this writer's
  // strings: let them finish.
  if (spill_) (void)writer_->intake_->Drain();
  if (builder_) (void)writer_->feeder_->Drain();
  (void)writer_->OwnDb();
  ReleaseWarmRows();
}

Status CollectionWriter::Start() {
  Db& db = writer_->db_;
  w_.id = NewUuidV4();
  w_.vector_segment = NewUuidV4();
  w_.metadata_segment = NewUuidV4();
  CM_ASSIGN_OR_RETURN(std::string database_id, writer_->DatabaseId(spec_.tenant, spec_.database));

  // The dimension is set at Finish, once the records have fixed it.
  CM_ASSIGN_OR_RETURN(Stmt coll, db.Prepare(
      "INSERT INTO collections (id, name, dimension, database_id, config_json_str) VALUES (?, ?, NULL, ?, ?)"));
  CM_RETURN_IF_ERROR(coll.BindText(1, w_.id));
  CM_RETURN_IF_ERROR(coll.BindText(2, spec_.name));
  CM_RETURN_IF_ERROR(coll.BindText(3, database_id));
  CM_RETURN_IF_ERROR(coll.BindText(4, CollectionConfigJson(spec_.hnsw)));
  Status s = coll.Run();
  if (!s.ok()) {
    return s.WithContext(fmt::format("collection \"{}\" (database {}/{})", spec_.name, spec_.tenant, spec_.database));
  }

  CM_ASSIGN_OR_RETURN(MultiRowInsert cmeta, MultiRowInsert::Prepare(db, "collection_metadata",
      {"collection_id", "key", "str_value", "int_value", "float_value", "bool_value"}, "collection"));
  for (const auto& e : spec_.metadata) {
    CM_RETURN_IF_ERROR(AddMetadataRow(cmeta, spec_.name, std::string_view(w_.id), e.key, e.value));
  }
  CM_RETURN_IF_ERROR(cmeta.Flush());

  CM_ASSIGN_OR_RETURN(Stmt seg, db.Prepare("INSERT INTO segments (id, type, scope, collection) VALUES (?, ?, ?, ?)"));
  for (auto [id, type, scope] : {std::tuple{w_.vector_segment, kVectorSegmentType, "VECTOR"},
                                 std::tuple{w_.metadata_segment, kMetadataSegmentType, "METADATA"}}) {
    CM_RETURN_IF_ERROR(seg.BindText(1, id));
    CM_RETURN_IF_ERROR(seg.BindText(2, type));
    CM_RETURN_IF_ERROR(seg.BindText(3, scope));
    CM_RETURN_IF_ERROR(seg.BindText(4, w_.id));
    CM_RETURN_IF_ERROR(seg.Run());
  }
  return Status::Ok();
}

std::optional<RejectReason> CollectionWriter::CheckDimension(size_t dim, const std::string& location) {
  if (!spec_.dimension) {
    spec_.dimension = dim;
    first_location_ = location;
  }
  if (dim == *spec_.dimension) return std::nullopt;
  return RejectReason{"embedding.dimension_mismatch",
                      fmt::format("the embedding has {} values but collection \"{}\" has dimension {}{}", dim,
                                  spec_.name, *spec_.dimension,
                                  first_location_.empty() ? "" : " (set by " + first_location_ + ")")};
}

Status CollectionWriter::Add(ConvertedRecord r) {
  if (finished_) return Status::Internal("CollectionWriter::Add after Finish");
  size_t dim = r.embedding.size();
  if (!spec_.dimension || dim != *spec_.dimension || dim == 0) {
    return Status::Internal(fmt::format("collection \"{}\": record \"{}\" has dimension {}, the collection {}",
                                        spec_.name, r.id, dim, spec_.dimension.value_or(0)));
  }
  uint64_t label = count_ + 1;
  if (reused_) {
    if (auto why = reused_->Claim(reused_->keyed_by_id() ? r.id : r.source_row, r.embedding.data(), dim, label)) {
      CM_RETURN_IF_ERROR(AbandonReuse(fmt::format("record \"{}\" ({}): {}", r.id, r.source_row, *why)));
    }
  }
  if (!reused_) CM_RETURN_IF_ERROR(Feed(label, r.embedding.data()));
  int64_t rowid = writer_->next_embedding_rowid_++;
  uint64_t seq_id = writer_->next_seq_id_++;
  ++count_;
  last_seq_id_ = seq_id;
  ids_.push_back(r.id);
  return writer_->rows_->Submit(RowWriter::Job{&w_.metadata_segment, &spec_.name, rowid, seq_id, std::move(r), &last_});
}

Status CollectionWriter::Feed(uint64_t label, const float* vector) {
  const size_t dim = *spec_.dimension;
  const InsertionOrder order = writer_->options_.insertion_order;
  if (order != InsertionOrder::kStored) {
    if (!spill_) {
      CM_ASSIGN_OR_RETURN(spill_, VectorSpill::Create(writer_->staging_, dim, fmt::format("collection \"{}\"", spec_.name)));
      if (writer_->options_.fixed_point_build) {
        stats_ = std::make_unique<FixedPointStats>(dim);
        // The graph's rows are allocated only once every vector is read (the scale needs them
        // all); faulting them in meanwhile takes that work off the graph's threads.
        // (More than 2^32 records cannot be built: Chroma's labels are 32-bit.)
        const size_t rows = expected_ <= UINT32_MAX ? FixedPointRowsBytes(dim, expected_) : 0;
        if (rows >= kWarmRowsFrom && !writer_->warm_rows_held_) {
          warm_rows_ = WarmBlock::Start(rows);
          writer_->warm_rows_held_ = warm_rows_ != nullptr;
        }
      }
      if (order == InsertionOrder::kSpatial) spatial_ = std::make_unique<SpatialOrder>(dim, writer_->options_.insertion_seed, expected_);
      intake_ = [this](const uint64_t* labels, const float* vectors, size_t n) { return Intake(labels, vectors, n); };
    }
    chunk_labels_.push_back(label);
    chunk_vectors_.insert(chunk_vectors_.end(), vector, vector + dim);
    return chunk_labels_.size() == kChunkRows ? Flush() : Status::Ok();
  }
  if (!builder_) CM_RETURN_IF_ERROR(CreateBuilder(dim, std::max(expected_ ? expected_ : kInitialCapacity, label)));
  if (label > builder_->capacity()) {
    // More records than the source announced: grow while no insertion runs.
    CM_RETURN_IF_ERROR(Flush());
    CM_RETURN_IF_ERROR(writer_->feeder_->Drain());
    CM_RETURN_IF_ERROR(builder_->Reserve(std::max<uint64_t>(2 * builder_->capacity(), label)));
  }
  chunk_labels_.push_back(label);
  chunk_vectors_.insert(chunk_vectors_.end(), vector, vector + dim);
  return chunk_labels_.size() == kChunkRows ? Flush() : Status::Ok();
}

Status CollectionWriter::Intake(const uint64_t* labels, const float* vectors, size_t n) {
  const size_t dim = *spec_.dimension;
  const float* held = vectors;  // as the graph will hold them
  if (spec_.hnsw.space == Space::kCosine) {
    // Normalised once, here, four vectors at a time: the spill keeps the unit vectors and
    // unit_norms_ their norms, so neither the graph's threads nor the segment writer normalise
    // them again (HnswBuildOptions::unit_norms).
    normalized_.resize(n * dim);
    norms_.resize(n);
    NormalizeRowsForCosine(vectors, n, dim, normalized_.data(), norms_.data());
    held = normalized_.data();
    for (size_t i = 0; i < n; ++i) {
      if (labels[i] > unit_norms_.size()) unit_norms_.resize(std::max<uint64_t>(labels[i], 2 * unit_norms_.size()), 0.0f);
      unit_norms_[labels[i] - 1] = norms_[i];
    }
  }
  if (stats_) stats_->AddRows(held, n);
  if (spatial_) spatial_->AddRows(labels, held, n);
  for (size_t i = 0; i < n; ++i) CM_RETURN_IF_ERROR(spill_->Put(labels[i], held + i * dim));
  return Status::Ok();
}

Status CollectionWriter::FeedSpilled() {
  CM_RETURN_IF_ERROR(Flush());
  CM_RETURN_IF_ERROR(writer_->intake_->Drain());
  if (count_ > UINT32_MAX) {
    return Status::Unsupported(fmt::format("collection \"{}\" has {} records; Chroma's labels are 32-bit", spec_.name, count_));
  }
  CM_RETURN_IF_ERROR(spill_->Flush());
  const size_t dim = *spec_.dimension;
  std::vector<uint32_t> order(count_);
  std::iota(order.begin(), order.end(), uint32_t{1});
  std::mt19937_64 rng(writer_->options_.insertion_seed);
  std::shuffle(order.begin(), order.end(), rng);
  if (spatial_) {
    // Twice as many streams as graph threads: the chunks in flight are then never neighbours.
    const size_t threads = writer_->feeder_->threads();
    spatial_->Arrange(&order, SpatialOrder::HeadOf(order.size()), threads > 1 ? 2 * threads : 1, kChunkRows);
    spatial_.reset();  // its keys are spent: freed before the graph takes its memory
  }
  CM_RETURN_IF_ERROR(CreateBuilder(dim, count_));
  const auto& progress = writer_->options_.progress;
  auto report_at = std::chrono::steady_clock::now() + kProgressEvery;
  for (size_t i = 0; i < order.size(); i += kChunkRows) {
    size_t n = std::min<size_t>(kChunkRows, order.size() - i);
    chunk_labels_.assign(order.begin() + static_cast<ptrdiff_t>(i), order.begin() + static_cast<ptrdiff_t>(i + n));
    chunk_vectors_.resize(n * dim);
    CM_RETURN_IF_ERROR(spill_->Read(chunk_labels_.data(), n, chunk_vectors_.data()));
    CM_RETURN_IF_ERROR(Flush());
    if (progress && std::chrono::steady_clock::now() >= report_at) {
      progress(spec_.name, "index", inserted_.load(std::memory_order_relaxed), count_);
      report_at = std::chrono::steady_clock::now() + kProgressEvery;
    }
  }
  return Status::Ok();
}

Status CollectionWriter::CreateBuilder(size_t dim, uint64_t capacity) {
  HnswBuildOptions o;
  o.space = spec_.hnsw.space;
  o.max_neighbors = static_cast<size_t>(spec_.hnsw.max_neighbors);
  o.ef_construction = static_cast<size_t>(spec_.hnsw.ef_construction);
  const InsertionOrder order = writer_->options_.insertion_order;
  w_.graph_order = order == InsertionOrder::kStored ? "stored"
                   : fmt::format("{}, seed {}", order == InsertionOrder::kSpatial ? "spatial" : "shuffled",
                                 writer_->options_.insertion_seed);
  w_.graph_arithmetic = "float32";
  if (!writer_->options_.fixed_point_build) {
    w_.graph_arithmetic += ": --build-arithmetic float32";
  } else if (!stats_) {
    w_.graph_arithmetic += ": the stored insertion order builds before the vectors are all known";
  } else if (std::optional<float> scale = stats_->Scale(spec_.hnsw.space)) {
    o.fixed_point_scale = *scale;
    o.exact_vectors = [spill = spill_.get()](const uint64_t* labels, size_t n, float* out) { return spill->Read(labels, n, out); };
    o.warm_rows = warm_rows_.get();
    w_.graph_arithmetic = "int16 fixed point";
  } else {
    w_.graph_arithmetic += ": the vectors' spread is too small against their magnitude for 16-bit fixed point";
  }
  if (spill_ && spec_.hnsw.space == Space::kCosine) o.unit_norms = &unit_norms_;  // the spill holds unit vectors
  auto builder = HnswBuilder::Create(dim, capacity, o);
  ReleaseWarmRows();  // taken, or freed (too small for the records that came, or no fixed point)
  if (!builder.ok()) return builder.status();
  builder_ = std::move(*builder);
  return Status::Ok();
}

void CollectionWriter::ReleaseWarmRows() {
  if (!warm_rows_) return;
  warm_rows_.reset();
  writer_->warm_rows_held_ = false;
}

Status CollectionWriter::AbandonReuse(const std::string& why) {
  w_.graph_note = fmt::format("not reused: {}: {}", reused_->path(), why);
  // The records that claimed elements so far: their vectors are in the cache, as given.
  CM_RETURN_IF_ERROR(reused_->ForEachClaimed([&](uint64_t label, const float* v) { return Feed(label, v); }));
  reused_.reset();
  return Status::Ok();
}

Status CollectionWriter::Flush() {
  if (chunk_labels_.empty()) return Status::Ok();
  // Before the graph exists (the spilled orders, until FeedSpilled) the rows go to the intake.
  IndexFeeder::Chunk c;
  if (builder_) {
    c.builder = builder_.get();
    c.inserted = &inserted_;
  } else {
    c.task = &intake_;
  }
  c.labels = std::move(chunk_labels_);
  c.vectors = std::move(chunk_vectors_);
  c.dim = *spec_.dimension;
  chunk_labels_ = {};
  chunk_vectors_ = {};
  chunk_labels_.reserve(kChunkRows);
  chunk_vectors_.reserve(kChunkRows * c.dim);
  return (builder_ ? writer_->feeder_ : writer_->intake_)->Submit(std::move(c));
}

Result<WrittenCollection> CollectionWriter::Finish() {
  if (finished_) return Status::Internal("CollectionWriter::Finish twice");
  finished_ = true;
  w_.records = count_;
  w_.last_seq_id = last_seq_id_;
  // The graph first, then the database: the row thread goes on meanwhile.
  if (count_ > 0) CM_RETURN_IF_ERROR(FinishGraph());
  CM_RETURN_IF_ERROR(writer_->OwnDb());
  Db& db = writer_->db_;
  if (spec_.dimension) {
    CM_ASSIGN_OR_RETURN(Stmt dim, db.Prepare("UPDATE collections SET dimension = ? WHERE id = ?"));
    CM_RETURN_IF_ERROR(dim.BindInt(1, static_cast<int64_t>(*spec_.dimension)));
    CM_RETURN_IF_ERROR(dim.BindText(2, w_.id));
    CM_RETURN_IF_ERROR(dim.Run());
  }
  if (count_ == 0) return w_;

  // max_seq_id only now that the segment folder and its pickle exist (§4.3 rule 3).
  CM_ASSIGN_OR_RETURN(Stmt maxseq, db.Prepare("INSERT INTO max_seq_id (segment_id, seq_id) VALUES (?, ?)"));
  for (const std::string& segment : {w_.metadata_segment, w_.vector_segment}) {
    CM_RETURN_IF_ERROR(maxseq.BindText(1, segment));
    CM_RETURN_IF_ERROR(maxseq.BindInt(2, static_cast<int64_t>(w_.last_seq_id)));
    CM_RETURN_IF_ERROR(maxseq.Run());
  }
  // The last record again, as the queue row with seq_id = max_seq_id: Chroma allocates the next
  // seq_id as max(seq_id)+1, so without it new writes would reuse ids ≤ max_seq_id and be
  // skipped, then purged (modern-format.md §4.3 rule 1).
  CM_ASSIGN_OR_RETURN(Stmt q, db.Prepare(
      "INSERT INTO embeddings_queue (seq_id, operation, topic, id, vector, encoding, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  CM_RETURN_IF_ERROR(q.BindInt(1, static_cast<int64_t>(w_.last_seq_id)));
  CM_RETURN_IF_ERROR(q.BindInt(2, kOperationAdd));
  CM_RETURN_IF_ERROR(q.BindText(3, QueueTopic(w_.id)));
  CM_RETURN_IF_ERROR(q.BindText(4, last_.id));
  CM_RETURN_IF_ERROR(q.BindBlob(5, last_.embedding.data(), last_.embedding.size() * sizeof(float)));
  CM_RETURN_IF_ERROR(q.BindText(6, "FLOAT32"));
  CM_RETURN_IF_ERROR(q.BindText(7, MetadataJson(last_.metadata, last_.document, last_.uri)));
  CM_RETURN_IF_ERROR(q.Run());
  return w_;
}

Status CollectionWriter::FinishGraph() {
  if (reused_ && !reused_->complete()) {
    CM_RETURN_IF_ERROR(AbandonReuse(fmt::format("it holds {} live elements, {} of them for the {} records migrated",
                                                reused_->size(), reused_->claimed(), count_)));
  }
  if (!reused_) {
    if (spill_) CM_RETURN_IF_ERROR(FeedSpilled().WithContext(fmt::format("collection \"{}\"", spec_.name)));
    CM_RETURN_IF_ERROR(Flush());
    // The graph lags behind the rows by at most the feeder's queue: wait for it.
    const auto& progress = writer_->options_.progress;
    while (!writer_->feeder_->WaitIdle(std::chrono::milliseconds(200))) {
      if (progress) progress(spec_.name, "index", inserted_.load(std::memory_order_relaxed), count_);
    }
    Status drained = writer_->feeder_->Drain();
    CM_RETURN_IF_ERROR(drained.WithContext(fmt::format("collection \"{}\"", spec_.name)));
    if (progress) progress(spec_.name, "index", count_, count_);
  }
  // A fixed-point graph reads the exact vectors back from the spill as it is written.
  CM_RETURN_IF_ERROR(WriteSegmentFolder().WithContext(fmt::format("collection \"{}\"", spec_.name)));
  spill_.reset();
  stats_.reset();
  return Status::Ok();
}

Status CollectionWriter::WriteSegmentFolder() {
  std::string dir = writer_->staging_ + "/" + w_.vector_segment;
  CM_RETURN_IF_ERROR(MakeDir(dir));
  size_t extra_labels = 0;  // a reused graph's deleted elements, labelled after the records
  if (reused_) {
    CM_RETURN_IF_ERROR(reused_->Write(dir));
    extra_labels = reused_->extra_labels();
    reused_.reset();
    w_.graph_reused = true;
  } else {
    std::unique_ptr<HnswIndex> index = builder_->Finish();
    builder_.reset();
    CM_RETURN_IF_ERROR(index->WriteChromaSegment(dir));
  }

  IndexMetadata meta;
  meta.dimensionality = static_cast<int64_t>(*spec_.dimension);
  meta.total_elements_added = static_cast<uint32_t>(count_ + extra_labels);  // Chroma's next label follows
  meta.id_to_label.reserve(ids_.size());
  for (size_t i = 0; i < ids_.size(); ++i) meta.id_to_label.emplace_back(std::move(ids_[i]), static_cast<uint32_t>(i + 1));
  ids_ = {};
  return OutFile::WriteWhole(dir + "/index_metadata.pickle", EncodeIndexMetadataPickle(meta));
}

}  // namespace cm
