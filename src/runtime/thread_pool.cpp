#include "thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SAYWHEN_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define SAYWHEN_CPU_RELAX() asm volatile("yield")
#else
#define SAYWHEN_CPU_RELAX() ((void)0)
#endif

namespace saywhen::rt {

namespace {
// How long an idle worker keeps polling before it blocks. Long enough to span
// the gap between two ops of one inference, short enough that an idle session
// stops burning a core almost at once.
constexpr auto kSpinTime = std::chrono::microseconds(200);
}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(std::max(1, threads)) {
  for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_.store(true);
  }
  cv_work_.notify_all();
  for (auto& t : workers_) t.join();
}

int64_t ThreadPool::run_chunks(uint32_t gen, const RangeFn& fn, int64_t n, int64_t chunk, int64_t chunks) {
  int64_t ran = 0;
  uint64_t c = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(c >> 32) != gen) return ran;
    const int64_t i = static_cast<int64_t>(c & 0xFFFFFFFFu);
    if (i >= chunks) return ran;
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    fn(i * chunk, std::min(n, (i + 1) * chunk));
    done_.fetch_add(1, std::memory_order_acq_rel);
    ++ran;
    c = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t min_chunk, RangeFn fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  int64_t chunks = std::min<int64_t>(threads_, (n + min_chunk - 1) / min_chunk);
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  const int64_t chunk = (n + chunks - 1) / chunks;
  chunks = (n + chunk - 1) / chunk;
  const uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
  job_.store(&fn, std::memory_order_relaxed);
  job_n_.store(n, std::memory_order_relaxed);
  job_chunk_.store(chunk, std::memory_order_relaxed);
  job_chunks_.store(chunks, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  claim_.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);
  generation_.store(gen, std::memory_order_seq_cst);
  // A worker that went to sleep registered itself before re-checking the
  // generation (both seq_cst), so either it sees the new job or we see it here.
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lk(mu_);
    cv_work_.notify_all();
  }
  run_chunks(gen, fn, n, chunk, chunks);
  // Every chunk is claimed; wait for the ones workers are still running.
  for (unsigned spins = 0; done_.load(std::memory_order_acquire) != chunks; ++spins) {
    if (spins < 4096)
      SAYWHEN_CPU_RELAX();
    else
      std::this_thread::yield();  // the worker running a chunk was descheduled
  }
}

void ThreadPool::worker() {
  uint32_t seen = 0;
  for (;;) {
    // Spin for new work, then block.
    uint32_t gen = generation_.load(std::memory_order_acquire);
    if (gen == seen && !stop_.load(std::memory_order_relaxed)) {
      auto until = std::chrono::steady_clock::now() + kSpinTime;
      for (unsigned spins = 1;; ++spins) {
        SAYWHEN_CPU_RELAX();
        gen = generation_.load(std::memory_order_acquire);
        if (gen != seen || stop_.load(std::memory_order_relaxed)) break;
        if (spins % 64 == 0 && std::chrono::steady_clock::now() > until) {
          std::unique_lock<std::mutex> lk(mu_);
          sleepers_.fetch_add(1, std::memory_order_seq_cst);
          cv_work_.wait(lk, [&] {
            gen = generation_.load(std::memory_order_seq_cst);
            return gen != seen || stop_.load();
          });
          sleepers_.fetch_sub(1, std::memory_order_relaxed);
          break;
        }
      }
    }
    if (stop_.load()) return;
    seen = gen;
    // The job fields may already belong to a later generation; the claim
    // (tagged with `gen`) fails then, before anything runs. A claim that
    // succeeds proves the job of `gen` is still live, and it published these
    // fields before `gen`.
    const RangeFn* job = job_.load(std::memory_order_relaxed);
    const int64_t n = job_n_.load(std::memory_order_relaxed), chunk = job_chunk_.load(std::memory_order_relaxed),
                  chunks = job_chunks_.load(std::memory_order_relaxed);
    if (job) run_chunks(gen, *job, n, chunk, chunks);
  }
}

}  // namespace saywhen::rt
