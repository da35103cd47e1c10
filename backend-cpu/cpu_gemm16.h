/* tessel's GEMM for 16-bit operands (f16, bf16) with f32 accumulation
 * (cpu_gemm16.c). The operands are converted panel by panel while packing
 * (or in the micro-kernel), never a whole matrix up front; the product is
 * accumulated in f32 and rounded once on store. A kernel descriptor says
 * how the panels are laid out for its micro-kernel; the descriptors with
 * ISA extensions beyond the SIMD table (AVX512_BF16's vdpbf16ps, 16-bit
 * loads widened in registers) live in cpu_gemm16_avx512.c, the AMX tile
 * kernel in cpu_gemm16_amx.c (its geometry, and the same with the tile
 * product emulated, in cpu_gemm16_tiles.c), and every other machine runs
 * the SIMD table's f32 micro-kernel on widened panels. */
#ifndef TESSEL_BACKEND_CPU_GEMM16_H
#define TESSEL_BACKEND_CPU_GEMM16_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend-cpu/cpu_features.h"
#include "backend-cpu/cpu_kernels.h"
#include "backend-cpu/cpu_threadpool.h"
#include "tessel/tensor.h"

/* How a packed panel holds its operand. */
typedef enum tsi_g16_panel {
    TSI_G16_F32,   /* widened to f32 while packing: [k][width] floats */
    TSI_G16_PAIRS, /* 16-bit, [k/2][width][2]: k-pairs side by side, as the
                    * dot-product instructions take them (odd k: 0 pad) */
    TSI_G16_TILES, /* 16-bit, [k/32][width][32]: each line's depth in runs
                    * of 32, a run per line side by side, so that 16 lines'
                    * run is one contiguous 1 KiB AMX tile (A) */
} tsi_g16_panel;

/* Which split part (0 hi, 1 hf, 2 lo) term t of a line holds when f16 runs
 * as bf16 terms: A lines hi|hf|lo, B lines hi|lo|hf, so the product is
 * hi.hi + hf.lo + lo.hf, hf (hi of the finite values) meeting lo; lo.lo,
 * under 2^-16 of a product, is left out (cpu_gemm16_amx.c). */
static inline int tsi_g16_term_part(bool is_b, int t)
{
    static const int a_part[3] = {0, 1, 2}, b_part[3] = {0, 2, 1};
    return is_b ? b_part[t] : a_part[t];
}

/* n 16-bit values of a line, from depth p0 on, into column `slot` of a
 * packed panel `width` lines wide (TILES: p0 and n multiples of 32). */
static inline void tsi_g16_put_line(tsi_g16_panel fmt, int width, int64_t slot, int64_t p0,
                                    const uint16_t *v, int64_t n, void *dst)
{
    uint16_t *d = dst;
    if (fmt == TSI_G16_TILES) {
        for (int64_t p = p0; p < p0 + n; p += 32)
            memcpy(d + ((p >> 5) * width + slot) * 32, v + (p - p0), 32 * sizeof(uint16_t));
        return;
    }
    int64_t p = p0, end = p0 + n;
    if ((p & 1) && p < end) {
        d[(p >> 1) * 2 * width + 2 * slot + 1] = v[0];
        p++;
    }
    /* Whole pairs as one 32-bit move each: half the scattered stores. */
    for (; p + 1 < end; p += 2)
        memcpy(d + (p >> 1) * 2 * width + 2 * slot, v + (p - p0), 2 * sizeof(uint16_t));
    if (p < end)
        d[(p >> 1) * 2 * width + 2 * slot] = v[p - p0];
}

typedef void (*tsi_g16_micro_fn)(size_t k, const void *a, const void *b, float *c, size_t ldc,
                                 int acc);

typedef struct tsi_cpu_gemm16_kernel {
    const char *name; /* what tessel-info says: "avx512_bf16", "avx512 f16c" */
    int mr, nr;       /* tile: a panels are mr wide, b panels nr wide */
    int kc;           /* depth of one packed block (even) */
    int mc, nc;       /* rows of A per task, columns per block; 0: defaults */
    /* Bytes of the f32 block a row chunk accumulates in (0: the default,
     * 32 MiB; cpu_gemm16.c says why): rows per chunk follow from it. */
    size_t acc_bytes;
    int kpad;         /* a block's depth is packed to a multiple of this */
    /* 16-bit panels only: 1, or 3 for f16 run as bf16 terms (hi = bf16(x),
     * lo = bf16(x - hi), hf = hi of the finite values): the packed depth
     * is three blocks of it, A's hi|hf|lo against B's hi|lo|hf, so one
     * bf16 product sums hi.hi + hi.lo + lo.hi (cpu_gemm16_amx.c). */
    int terms;
    tsi_g16_panel a_panel, b_panel;
    /* c[i*ldc + j] = (acc ? c : 0) + sum_p a(i,p) b(p,j) over a full mr x nr
     * tile, p < k (k even for PAIRS panels). NULL: the SIMD table's f32
     * gemm_micro on F32 panels, with its gemm_mr / gemm_nr. */
    tsi_g16_micro_fn micro;
    /* Called by a pool task before its first and after its last micro
     * call (AMX loads and releases its tile configuration), or NULL. */
    void (*begin)(void);
    void (*end)(void);
    /* TILES kernels (f16 as terms, pair rows): x into its bf16 parts hi,
     * hf and lo (tsi_g16_term_part), from f32 or from contiguous f16; and
     * two depth rows of 32 values interleaved into one pair row, d[2i] =
     * r0[i], d[2i+1] = r1[i]. NULL for the other kernels. */
    void (*split)(const float *x, size_t n, uint16_t *hi, uint16_t *hf, uint16_t *lo);
    void (*split_f16)(const uint16_t *x, size_t n, uint16_t *hi, uint16_t *hf, uint16_t *lo);
    void (*pairs32)(const uint16_t *r0, const uint16_t *r1, uint16_t *d);
} tsi_cpu_gemm16_kernel;

/* One 16-bit GEMM: c = a * b (+ bias), a and b of dtype dt (f16 / bf16)
 * with element strides, so transposes and non-contiguous views need no
 * copy; c row-major with ldc, of dtype c_dt (dt or f32). */
typedef struct tsi_gemm16 {
    ts_dtype dt;
    int64_t m, n, k;
    const void *a; /* a(i, p) at a[i*a_rs + p*a_cs] */
    int64_t a_rs, a_cs;
    const void *b; /* b(p, j) at b[p*b_rs + j*b_cs] */
    int64_t b_rs, b_cs;
    void *c;
    ts_dtype c_dt;
    int64_t ldc;
    const void *bias; /* n values of dtype dt added before rounding, or NULL */
} tsi_gemm16;

/* The kernel for dt with kernel table k on a CPU with features f: *out
 * is filled, the table's gemm_micro standing in where no descriptor fits.
 * TESSEL_CPU_BF16_DOT=on|off forces the vdpbf16ps choice (where the CPU
 * has it) instead of measuring it. */
void tsi_cpu_gemm16_kernel_for(const tsi_cpu_features *f, const tsi_cpu_kernels *k, ts_dtype dt,
                               tsi_cpu_gemm16_kernel *out);
/* TESSEL_TEST_HOOK=cpu_gemm16_chunks: a 64 KiB accumulation block, so
 * the test cases' GEMMs run in several row chunks. */
#define TSI_G16_TEST_ACC_BYTES ((size_t)64 << 10)
/* "bf16 avx512_bf16, f16 avx512 f16c->f32": the paths tessel-info shows. */
void tsi_cpu_gemm16_describe(const tsi_cpu_features *f, const tsi_cpu_kernels *k, char *buf,
                             size_t len);

/* Workspace bytes of one GEMM for `workers` pool workers (1: serial). */
size_t tsi_cpu_gemm16_work_bytes(const tsi_cpu_gemm16_kernel *kn, const tsi_cpu_kernels *k,
                                 int64_t m, int64_t n, int64_t kk, int workers);
/* Runs g; pool NULL runs everything on the calling thread (for pool tasks
 * that each run a whole small GEMM). work: 64-byte aligned, of the size
 * above. Cannot fail. */
void tsi_cpu_gemm16(tsi_cpu_pool *pool, const tsi_cpu_kernels *k, const tsi_cpu_gemm16_kernel *kn,
                    const tsi_gemm16 *g, void *work);

/* Products of at most this many rows of a take the skinny path
 * (cpu_gemm16_skinny.c: b read in place, no packing) where b's rows or
 * columns are contiguous; TESSEL_CPU_SKINNY=0 turns it off (comparisons).
 * At 16 rows it still took half to two thirds of the packed path's time
 * (Zen 5, no AMX, 16 x 14336 x 4096 bf16 and f16, docs/tuning.md). */
#define TSI_G16_SKINNY_ROWS 16
/* Its workspace (tsi_cpu_gemm16_work_bytes covers it), and the path: false
 * when g is not skinny (nothing done). */
size_t tsi_cpu_gemm16_skinny_bytes(int workers);
bool tsi_cpu_gemm16_skinny(tsi_cpu_pool *pool, const tsi_cpu_kernels *k, const tsi_gemm16 *g,
                           void *work);

/* How much faster the k-pair kernel dot ran than the f32 table's GEMM
 * micro-kernel, the one it would replace (dot has the table's gemm_mr x
 * gemm_nr tile), at depth k on L1-resident panels, interleaved, best of
 * five rounds of 64 calls; 0 when it could not allocate them. */
float tsi_cpu_gemm16_dot_race(tsi_g16_micro_fn dot, const tsi_cpu_kernels *f32, int k);

#if defined(__x86_64__)
/* cpu_gemm16_avx512.c: bf16 through vdpbf16ps (AVX512_BF16), and f16 /
 * bf16 through f32 panels (AVX-512 F). */
extern const tsi_cpu_gemm16_kernel tsi_cpu_gemm16_avx512_bf16dp;
extern const tsi_cpu_gemm16_kernel tsi_cpu_gemm16_avx512_f16;
extern const tsi_cpu_gemm16_kernel tsi_cpu_gemm16_avx512_bf16;
/* How much faster the vdpbf16ps kernel ran than the f32 one, measured on
 * first call (cpu_gemm16_avx512.c says why); only with AVX512_BF16. */
float tsi_cpu_gemm16_avx512_dot_speedup(void);
#endif

#if defined(TESSEL_CPU_NEON_BF16)
/* cpu_gemm16_neon.c: bf16 through BFDOT (FEAT_BF16), 6 x 8 tiles. */
extern const tsi_cpu_gemm16_kernel tsi_cpu_gemm16_neon_bf16dot;
/* How much faster it ran than the f32 kernel, measured on first call. */
float tsi_cpu_gemm16_neon_dot_speedup(void);
#endif

/* cpu_gemm16_tiles.c: the tile kernels' geometry (32 x 32 per call, TILES
 * A and PAIRS B, f16 as three bf16 terms) with TDPBF16PS computed in C:
 * what TESSEL_CPU_AMX=emulate runs, on any CPU, to test the AMX packing
 * where there is no AMX. */
bool tsi_cpu_amx_emulated(void);
void tsi_cpu_gemm16_tiles_kernel(ts_dtype dt, tsi_cpu_gemm16_kernel *out);

#if defined(TESSEL_CPU_AMX)
/* cpu_gemm16_amx.c: the same on AMX tiles. Only where cpu_features.c
 * found AMX-BF16 and tsi_cpu_amx_ready() said yes. */
void tsi_cpu_gemm16_amx_kernel(ts_dtype dt, tsi_cpu_gemm16_kernel *out);
/* Its AVX-512 splits and pair rows into out (they need AVX512_BF16 only:
 * the emulated kernel takes them where they run). */
void tsi_cpu_gemm16_amx_splits(tsi_cpu_gemm16_kernel *out);
/* Asks the OS for the tile registers, once per process; false when it
 * refuses or TESSEL_CPU_AMX is off or emulate. */
bool tsi_cpu_amx_ready(void);
#endif

#endif
