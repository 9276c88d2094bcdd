// A fixed pool of worker threads for intra-op parallelism. parallel_for splits
// [0, n) into contiguous chunks that the calling thread and the workers claim
// one at a time, and returns when every chunk is done.
//
// A model runs ~100 small ops per inference, each a fork/join of a few
// microseconds, so waking a sleeping thread per op (a futex round trip, 5-20 us)
// would cost more than the op. Workers therefore spin for a short while after
// each job before they block, and back-to-back ops find them awake. Because the
// caller claims chunks too, a worker that is not running (an oversubscribed
// machine) delays nothing: the caller does its share, and waits only for
// chunks a worker has actually started.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace saywhen::rt {

// Non-owning reference to a callable (no heap allocation, unlike std::function).
class RangeFn {
 public:
  template <class F>
  RangeFn(const F& f)  // NOLINT: implicit on purpose
      : obj_(&f), call_([](const void* o, int64_t b, int64_t e) { (*static_cast<const F*>(o))(b, e); }) {}
  void operator()(int64_t b, int64_t e) const { call_(obj_, b, e); }

 private:
  const void* obj_;
  void (*call_)(const void*, int64_t, int64_t);
};

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads >= 1; 1 spawns nothing
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }
  // fn(begin, end) over [0, n), in at most size() chunks of at least min_chunk.
  // Not reentrant: one parallel_for at a time per pool.
  void parallel_for(int64_t n, int64_t min_chunk, RangeFn fn);

 private:
  void worker();
  int threads_;
  std::vector<std::thread> workers_;
  // Claims chunks of the job of generation `gen` until none is left; returns
  // how many it ran.
  int64_t run_chunks(uint32_t gen, const RangeFn& fn, int64_t n, int64_t chunk, int64_t chunks);
  // The job: written by the caller before it bumps generation_ (release),
  // read by workers after they see the new generation (acquire). Atomic
  // (relaxed) because a worker that wakes late may read them while the next
  // job writes them; its tagged claim then fails and the values go unused.
  std::atomic<const RangeFn*> job_{nullptr};
  std::atomic<int64_t> job_n_{0}, job_chunk_{0}, job_chunks_{0};
  std::atomic<uint32_t> generation_{0};
  // (generation << 32) | next unclaimed chunk: a claim made for an old
  // generation fails, so a worker that wakes late never runs a finished job.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};  // chunks of the current job finished
  std::atomic<bool> stop_{false};
  // Blocking fallback for workers that spun without finding work.
  std::mutex mu_;
  std::condition_variable cv_work_;
  std::atomic<int> sleepers_{0};
};

}  // namespace saywhen::rt
