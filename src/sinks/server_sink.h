// ServerWriter: sends record batches to a Chroma server from a small pool of worker threads,
// each with its own connection (ApiClient::Clone), so that several batches are in flight.
//
// Memory stays bounded: Submit() blocks while the queued and in-flight batches together exceed
// the byte budget or the job count reaches 2 × concurrency. A job may first delete ids (the
// "last occurrence wins" rule for an id already sent) and then adds or upserts its records;
// encoding to JSON happens on the worker. The first failure stops the pool: later Submit() and
// Drain() calls return it. `on_done` runs on a worker thread, serialised by the writer's lock.
// Thread-safety: Submit/Drain from one producer thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "chroma/api_client.h"
#include "core/record.h"
#include "core/status.h"

namespace cm {

struct WriteJob {
  uint64_t seq = 0;
  std::shared_ptr<const RemoteCollection> collection;
  WriteMode mode = WriteMode::kAdd;
  RecordBatch records;
  size_t estimated_bytes = 0;
  std::vector<std::string> delete_first;
};

class ServerWriter {
 public:
  static Result<std::unique_ptr<ServerWriter>> Create(const ApiClient& prototype, size_t concurrency,
                                                      size_t byte_budget, std::function<Status(const WriteJob&)> on_done);
  ~ServerWriter();
  ServerWriter(const ServerWriter&) = delete;
  ServerWriter& operator=(const ServerWriter&) = delete;

  Status Submit(WriteJob job);
  // Waits until every submitted job has finished; returns the first error, if any.
  Status Drain();

 private:
  ServerWriter() = default;
  void Work(ApiClient* api);
  Status RunJob(ApiClient* api, const WriteJob& job);

  std::vector<std::unique_ptr<ApiClient>> clients_;
  std::vector<std::thread> threads_;
  std::function<Status(const WriteJob&)> on_done_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteJob> queue_;
  size_t max_jobs_ = 8, byte_budget_ = 0, bytes_ = 0, busy_ = 0;
  bool stop_ = false;
  Status error_;
};

}  // namespace cm
