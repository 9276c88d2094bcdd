// Int8 GEMM throughput (GOP/s = 2*M*N*K / time, single thread) on the shapes of
// the Smart Turn v3 encoder and of the text turn model at 64 ids, for every ISA
// variant this machine has.
//   saywhen_bench --benchmark_filter=qgemm/avx512
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "runtime/kernels/qgemm.h"

using namespace saywhen::rt;

namespace {

struct Shape {
  const char* name;
  int64_t batch, M, N, K;
  bool runtime_b;  // B is an activation: packed on every run (attention)
};

const Shape kShapes[] = {
    {"qkv_out_proj", 1, 400, 384, 384, false},
    {"fc1", 1, 400, 1536, 384, false},
    {"fc2", 1, 400, 384, 1536, false},
    {"attn_qk", 6, 400, 400, 64, true},
    {"attn_pv", 6, 400, 64, 400, true},
    {"conv1", 1, 800, 384, 240, false},
    {"conv2", 1, 400, 384, 1152, false},
    {"text_proj", 1, 64, 192, 192, false},
    {"text_fc1", 1, 64, 512, 192, false},
    {"text_fc2", 1, 64, 192, 512, false},
};

void run(benchmark::State& state, QIsa isa, Shape s) {
  std::mt19937 rng(1);
  std::vector<uint8_t> A(static_cast<size_t>(s.batch * s.M * s.K)), B(static_cast<size_t>(s.batch * s.K * s.N));
  for (auto& x : A) x = static_cast<uint8_t>(rng());
  for (auto& x : B) x = static_cast<uint8_t>(rng());
  const size_t pbytes = qgemm_packed_b_bytes(isa, s.K, s.N);
  std::vector<uint8_t> packed(pbytes * static_cast<size_t>(s.batch));
  std::vector<int32_t> colsum(static_cast<size_t>(s.N)), off(static_cast<size_t>(s.N), 3),
      bzp(static_cast<size_t>(s.N), 5), rowsum(static_cast<size_t>(s.M));
  std::vector<float> scale(static_cast<size_t>(s.N), 1e-4f);
  std::vector<uint8_t> C(static_cast<size_t>(s.M * s.N));
  for (int64_t b = 0; b < s.batch; ++b)
    qgemm_pack_b(isa, B.data() + b * s.K * s.N, s.runtime_b, s.K, s.N, s.N, 1, packed.data() + b * pbytes,
                 colsum.data());
  for (auto _ : state) {
    for (int64_t b = 0; b < s.batch; ++b) {
      QGemmArgs g;
      g.M = s.M, g.N = s.N, g.K = s.K;
      g.A = A.data() + b * s.M * s.K, g.lda = s.K;
      g.packed_b = packed.data() + b * pbytes;
      if (s.runtime_b) {
        qgemm_pack_b(isa, B.data() + b * s.K * s.N, true, s.K, s.N, s.N, 1, packed.data() + b * pbytes,
                     colsum.data());
        qgemm_row_sums(g.A, s.K, s.M, s.K, rowsum.data());
        g.b_zp = bzp.data();
        g.row_sum = rowsum.data();
      }
      g.col_off = off.data();
      g.scale = scale.data();
      g.y_zp = 128;
      g.C = C.data(), g.ldc = s.N;
      qgemm_run(isa, g, 0, s.M, 0, s.N);
    }
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  // Shown as "Gop=<value>/s": integer operations (2 per multiply-add) per second, in billions.
  const double gops = 2.0 * static_cast<double>(s.batch * s.M * s.N * s.K) / 1e9;
  state.counters["Gop"] = benchmark::Counter(gops, benchmark::Counter::kIsIterationInvariantRate);
}

const bool registered = [] {
  for (QIsa isa : {QIsa::Ref, QIsa::Avx2, QIsa::Avx512Vnni, QIsa::Amx}) {
    if (!qgemm_isa_available(isa)) continue;
    for (const Shape& s : kShapes) {
      if (isa == QIsa::Ref && s.K > 400) continue;  // minutes per iteration otherwise
      std::string name = std::string("qgemm/") + qgemm_isa_name(isa) + "/" + s.name + "/" +
                         std::to_string(s.batch) + "x" + std::to_string(s.M) + "x" + std::to_string(s.N) + "x" +
                         std::to_string(s.K);
      benchmark::RegisterBenchmark(name.c_str(), [isa, s](benchmark::State& st) { run(st, isa, s); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return true;
}();

}  // namespace
