// sgemm throughput on the shapes that dominate Smart Turn v3 and Silero VAD.
// Reports GFLOP/s (2*M*N*K per product) for each ISA variant the CPU supports.
//
//   saywhen_bench --benchmark_filter=avx512
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "runtime/kernels/sgemm.h"
#include "runtime/thread_pool.h"

namespace {

using saywhen::rt::SgemmArgs;
using saywhen::rt::SgemmIsa;

std::vector<float> random_floats(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

enum class BMode {
  Packed,      // constant weights packed once (MatMul/Gemm with an initializer)
  Plain,       // B read in place (activations)
  PackPerRun,  // B packed on every run (what a kernel does for a run-time B)
};

void run_gemm(benchmark::State& state, SgemmIsa isa, int64_t batch, int64_t M, int64_t N, int64_t K,
              BMode mode, int threads) {
  if (!saywhen::rt::sgemm_isa_supported(isa)) {
    state.SkipWithError("ISA not supported on this CPU");
    return;
  }
  saywhen::rt::ThreadPool pool(threads);
  auto a = random_floats(batch * M * K, 1);
  auto b = random_floats(batch * K * N, 2);
  std::vector<float> c(static_cast<size_t>(batch * M * N));
  const int64_t packed_size = saywhen::rt::sgemm_packed_b_floats(K, N);
  std::vector<float> packed(static_cast<size_t>(batch * packed_size));
  if (mode == BMode::Packed)
    for (int64_t i = 0; i < batch; ++i)
      saywhen::rt::sgemm_pack_b(b.data() + i * K * N, N, false, K, N, packed.data() + i * packed_size);
  std::vector<saywhen::rt::SgemmBatchOffsets> offs(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i)
    offs[static_cast<size_t>(i)] = {i * M * K, mode == BMode::Plain ? i * K * N : i * packed_size, i * M * N};

  SgemmArgs g;
  g.M = M;
  g.N = N;
  g.K = K;
  g.a = a.data();
  g.lda = K;
  g.b = mode == BMode::Plain ? b.data() : packed.data();
  g.ldb = N;
  g.b_packed = mode != BMode::Plain;
  g.c = c.data();
  g.ldc = N;
  for (auto _ : state) {
    if (mode == BMode::PackPerRun)
      for (int64_t i = 0; i < batch; ++i)
        saywhen::rt::sgemm_pack_b(b.data() + i * K * N, N, false, K, N, packed.data() + i * packed_size);
    saywhen::rt::sgemm_batch(g, offs.data(), batch, &pool, isa);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(batch * M * N * K);
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

struct Shape {
  const char* name;
  int64_t batch, M, N, K;
  BMode mode;
};

const Shape kShapes[] = {
    // Smart Turn encoder projections (400 tokens x d_model 384), weights packed.
    {"qkv_400x384x384", 1, 400, 384, 384, BMode::Packed},
    {"fused_qkv_400x1152x384", 1, 400, 1152, 384, BMode::Packed},
    {"ffn_up_400x1536x384", 1, 400, 1536, 384, BMode::Packed},
    {"ffn_down_400x384x1536", 1, 400, 384, 1536, BMode::Packed},
    // Attention: 6 heads, Q*K^T and P*V, B is an activation.
    {"attn_qk_6x400x400x64", 6, 400, 400, 64, BMode::Plain},
    {"attn_qk_6x400x400x64_pack", 6, 400, 400, 64, BMode::PackPerRun},
    {"attn_pv_6x400x64x400", 6, 400, 64, 400, BMode::Plain},
    {"attn_pv_6x400x64x400_pack", 6, 400, 64, 400, BMode::PackPerRun},
    // Conv1d as im2col GEMM (M = out channels, K = in channels * 3, N = frames).
    {"conv1_384x800x240", 1, 384, 800, 240, BMode::Packed},
    {"conv2_384x400x1152", 1, 384, 400, 1152, BMode::Packed},
    // Silero-sized: call overhead matters.
    {"tiny_1x128x128", 1, 1, 128, 128, BMode::Packed},
    {"tiny_128x8x387", 1, 128, 8, 387, BMode::Packed},
    {"tiny_64x4x384", 1, 64, 4, 384, BMode::Packed},
};

void register_all() {
  const std::pair<SgemmIsa, const char*> isas[] = {
      {SgemmIsa::Avx512, "avx512"}, {SgemmIsa::Avx2, "avx2"}, {SgemmIsa::Ref, "ref"}};
  for (const auto& [isa, isa_name] : isas)
    for (const Shape& s : kShapes)
      for (int threads : {1, 2}) {
        if (isa == SgemmIsa::Ref && threads > 1) continue;
        std::string name = std::string("sgemm/") + isa_name + "/" + s.name + "/threads:" + std::to_string(threads);
        auto* b = benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
          run_gemm(st, isa, s.batch, s.M, s.N, s.K, s.mode, threads);
        });
        // One thread: CPU time, robust on a shared machine; more: wall time.
        if (threads > 1) b->UseRealTime();
      }
}

const int kRegistered = (register_all(), 0);

}  // namespace
