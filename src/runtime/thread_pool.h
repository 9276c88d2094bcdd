// A fixed pool of worker threads for intra-op parallelism. parallel_for splits
// [0, n) into contiguous chunks, runs one on the calling thread and waits.
//
// A model runs ~100 small ops per inference, each a fork/join of a few
// microseconds, so waking a sleeping thread per op (a futex round trip, 5-20 us)
// would cost more than the op. Workers therefore spin for a short while after
// each job before they block, and the caller spins while it waits for them:
// back-to-back ops find the workers awake.
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
  void worker(int index);
  int threads_;
  std::vector<std::thread> workers_;
  // The job: written by the caller before it bumps generation_ (release),
  // read by workers after they see the new generation (acquire).
  const RangeFn* job_ = nullptr;
  int64_t job_n_ = 0, job_chunk_ = 0;
  std::atomic<int64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  // Blocking fallback for workers that spun without finding work.
  std::mutex mu_;
  std::condition_variable cv_work_;
  std::atomic<int> sleepers_{0};
};

}  // namespace saywhen::rt
