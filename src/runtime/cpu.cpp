#include "cpu.h"

#include <cstdlib>
#include <string>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace saywhen::rt {

// Linux hands out the AMX tile registers (8 KB of state per thread) only to a
// process that asks; without the grant the first tile instruction faults.
[[maybe_unused]] static bool os_grants_tile_data() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr long kArchReqXcompPerm = 0x1023;  // arch_prctl codes of <asm/prctl.h>
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

static CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  f.avx512_vnni = f.avx512 && __builtin_cpu_supports("avx512vnni");
#if defined(__GNUC__) && __GNUC__ >= 12
  f.avx_vnni = __builtin_cpu_supports("avxvnni");
  f.amx_int8 = __builtin_cpu_supports("amx-int8") && f.avx512_vnni && os_grants_tile_data();
#endif
#endif
  if (const char* cap = std::getenv("SAYWHEN_ISA")) {
    std::string c = cap;
    if (c == "ref") f = CpuFeatures{};
    if (c == "avx2") f.avx512 = f.avx512_vnni = f.amx_int8 = false;
    if (c == "avx512") f.amx_int8 = false;
  }
  return f;
}

const CpuFeatures& cpu() {
  static const CpuFeatures f = detect();
  return f;
}

}  // namespace saywhen::rt
