// How the bench's programs insert into a graph from several threads: each thread takes the next
// index as it finishes one, so the interleaving is the scheduler's, as in the tool's IndexFeeder.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace cm::bench {

// fn(i) for every i in [0, n), on `threads` threads (the caller's among them).
template <class Fn>
void ParallelFor(size_t n, size_t threads, Fn fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace cm::bench
