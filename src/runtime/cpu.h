// What the CPU can do, detected once; kernels pick their ISA-specific variant
// from this (the MLAS pattern: one interface, per-ISA files, runtime dispatch).
#pragma once

namespace saywhen::rt {

struct CpuFeatures {
  bool avx2 = false;        // with FMA and F16C
  bool avx512 = false;      // F, BW, DQ, VL
  bool avx512_vnni = false;
  bool avx_vnni = false;    // VEX-encoded VNNI (256-bit)
  bool amx_int8 = false;   // with AVX-512 VNNI, and the OS grants the tile state
};

// SAYWHEN_ISA=ref|avx2|avx512 caps what is used (for tests and benchmarks).
const CpuFeatures& cpu();

}  // namespace saywhen::rt
