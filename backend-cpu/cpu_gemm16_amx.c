/* AMX micro-kernel of the 16-bit GEMM (cpu_gemm16.h): TDPBF16PS on tile
 * registers, f32 accumulation. One call covers a 32 x 32 tile of c as four
 * 16 x 16 accumulator tiles, fed per 32-deep step by two A tiles (16 rows
 * of 32 bf16, 1 KiB each in a TILES panel) and two B tiles (16 k-pairs of
 * 16 columns, the two halves of a PAIRS panel's 128-byte pair rows). One
 * TDPBF16PS does 16 x 16 x 32 multiply-adds, 16 times an AVX-512 FMA's, so
 * even this simple loop leaves the f32 path far behind.
 *
 * f16 has no AMX instruction on these cores (AMX-FP16 came later). It runs
 * as bf16 terms instead: x = hi + lo, hi = bf16(x) and lo = bf16(x - hi),
 * which is exact (f16's 11 significant bits are hi's 8 plus at most 3 in
 * lo). The packing writes A as hi|hf|lo and B as hi|lo|hf along the depth
 * (cpu_gemm16.c), so one product three times as deep sums hi.hi + hi.lo +
 * lo.hi, each exact in the f32 accumulator. lo.lo is left out: |lo| <=
 * 2^-8 |x|, so it is under 2^-16 of its product, about what f32
 * accumulation loses over 256 terms and far below the f16 rounding of the
 * result; the fourth term cost a third more time (2048^3: 1.06-1.14x
 * OpenBLAS f32 with it, 1.50-1.60x without). Inf and NaN live in hi
 * alone: their lo is 0, and hf, the hi that meets the other operand's lo,
 * is 0 for them (an Inf times a lo of 0 would be NaN where the f32 product
 * is Inf).
 *
 * Linux hands out the tile registers only on request (arch_prctl), once
 * per process; the tile configuration is per thread, so every pool task
 * loads it before its first tile and releases the registers after its
 * last (a thread holding tiles makes each context switch save 8 KiB). */
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "backend-cpu/cpu_gemm16.h"

#define MR 32
#define NR 32

/* The 64-byte operand of LDTILECFG, palette 1. */
typedef struct amx_config {
    uint8_t palette, start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} amx_config;

/* Tiles 0-3: c, 4-5: a, 6-7: b; each 16 rows of 64 bytes. A static
 * constant: gcc 12 drops stores to a local config it cannot see
 * _tile_loadconfig read. */
static const amx_config tile_config = {
    .palette = 1,
    .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {16, 16, 16, 16, 16, 16, 16, 16},
};

static void amx_begin(void)
{
    _tile_loadconfig(&tile_config);
}

static void amx_end(void)
{
    _tile_release();
}

/* a: [k/32][MR][32] bf16 runs, b: [k/2][NR][2] k-pairs; k a multiple of
 * 32. Each step's two A tiles and two B tiles are 4 KiB in one run. */
static void amx_micro(size_t k, const void *ap, const void *bp, float *c, size_t ldc, int acc)
{
    const char *a = ap, *b = bp;
    size_t cs = ldc * sizeof(float);
    float *c1 = c + 16 * ldc;
    if (acc) {
        _tile_loadd(0, c, cs);
        _tile_loadd(1, c + 16, cs);
        _tile_loadd(2, c1, cs);
        _tile_loadd(3, c1 + 16, cs);
    } else {
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
    }
    /* 32 values of depth: 64 bytes of each a row, 16 pair rows of b. */
    for (size_t p = 0; p < k; p += 32) {
        const char *aq = a + p * MR * sizeof(uint16_t);
        const char *bq = b + p / 2 * NR * 2 * sizeof(uint16_t);
        _tile_loadd(4, aq, 64);
        _tile_loadd(5, aq + 16 * 64, 64);
        _tile_loadd(6, bq, NR * 2 * sizeof(uint16_t));
        _tile_loadd(7, bq + 64, NR * 2 * sizeof(uint16_t));
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, c, cs);
    _tile_stored(1, c + 16, cs);
    _tile_stored(2, c1, cs);
    _tile_stored(3, c1 + 16, cs);
}

/* The values of v under mask m into hi, hf and lo (cpu_gemm16.h). */
static void split16(__m512 v, __mmask16 m, uint16_t *hi, uint16_t *hf, uint16_t *lo)
{
    __m256bh h = _mm512_cvtneps_pbh(v);
    __m512 hv = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)h), 16));
    __mmask16 finite = _mm512_cmp_ps_mask(_mm512_sub_ps(v, v), _mm512_setzero_ps(), _CMP_EQ_OQ);
    __m512 r = _mm512_maskz_sub_ps(finite, v, hv);
    _mm256_mask_storeu_epi16(hi, m, (__m256i)h);
    _mm256_mask_storeu_epi16(hf, m, _mm256_maskz_mov_epi16(finite, (__m256i)h));
    _mm256_mask_storeu_epi16(lo, m, (__m256i)_mm512_cvtneps_pbh(r));
}

static __mmask16 first(size_t n)
{
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
}

static void amx_split(const float *x, size_t n, uint16_t *hi, uint16_t *hf, uint16_t *lo)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = first(n - i);
        split16(_mm512_maskz_loadu_ps(m, x + i), m, hi + i, hf + i, lo + i);
    }
}

static void amx_split_f16(const uint16_t *x, size_t n, uint16_t *hi, uint16_t *hf, uint16_t *lo)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = first(n - i);
        split16(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i)), m, hi + i, hf + i, lo + i);
    }
}

static void amx_pairs32(const uint16_t *r0, const uint16_t *r1, uint16_t *d)
{
    __m512i a = _mm512_loadu_si512(r0), b = _mm512_loadu_si512(r1);
    __m512i lo = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8, 39,
                                  7, 38, 6, 37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
    __m512i hi = _mm512_add_epi16(lo, _mm512_set1_epi16(16));
    _mm512_storeu_si512(d, _mm512_permutex2var_epi16(a, lo, b));
    _mm512_storeu_si512(d + 32, _mm512_permutex2var_epi16(a, hi, b));
}

#if defined(__linux__)
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18
#endif

static bool amx_granted;

static void request_tiles(void)
{
    const char *env = getenv("TESSEL_CPU_AMX");
    if (env && (strcmp(env, "off") == 0 || strcmp(env, "emulate") == 0))
        return;
#if defined(__linux__)
    amx_granted = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
#endif
}

bool tsi_cpu_amx_ready(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, request_tiles);
    return amx_granted;
}

void tsi_cpu_gemm16_amx_splits(tsi_cpu_gemm16_kernel *out)
{
    out->split = amx_split;
    out->split_f16 = amx_split_f16;
    out->pairs32 = amx_pairs32;
}

/* The geometry and blocking are the emulated kernel's
 * (cpu_gemm16_tiles.c); the tile product and the tile registers are
 * AMX's. */
void tsi_cpu_gemm16_amx_kernel(ts_dtype dt, tsi_cpu_gemm16_kernel *out)
{
    tsi_cpu_gemm16_tiles_kernel(dt, out);
    tsi_cpu_gemm16_amx_splits(out);
    out->name = dt == TS_BF16 ? "amx_bf16" : "amx_bf16 x3 (f16 as bf16 hi+lo)";
    out->micro = amx_micro;
    out->begin = amx_begin;
    out->end = amx_end;
}
