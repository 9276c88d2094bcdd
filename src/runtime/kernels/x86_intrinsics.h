// <immintrin.h> for the files that write x86 vector code by hand.
//
// GCC 12 flags the deliberately undefined pass-through operands of several
// AVX-512 intrinsics (_mm512_undefined_*) as (maybe-)uninitialized, so those
// warnings are off for the rest of the including file.
#pragma once

#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
