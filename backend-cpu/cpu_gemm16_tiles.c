/* The 16-bit GEMM's tile kernels (cpu_gemm16.h): 32 x 32 of c per call,
 * A as TILES panels and B as PAIRS panels of bf16, f16 as three bf16 terms
 * (cpu_gemm16_amx.c says why). Their geometry and blocking live here,
 * with the tile product computed in C as TDPBF16PS defines it: what
 * TESSEL_CPU_AMX=emulate runs, so that the AMX packing of the GEMM, the
 * grouped GEMM and attention runs, and conformance checks it, on a CPU
 * without AMX (any CPU: this file is built for the baseline ISA). A test
 * device, like TESSEL_GPU_LIMITS: correct but slow. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_gemm16.h"
#include "core/half.h"

#define MR 32
#define NR 32

bool tsi_cpu_amx_emulated(void)
{
    const char *env = getenv("TESSEL_CPU_AMX");
    return env && strcmp(env, "emulate") == 0;
}

/* TDPBF16PS (and the bf16 conversions) read inputs of zero exponent as
 * zero (DAZ) and flush subnormal results to zero (FTZ), rounding to
 * nearest even. */
static float daz(float x)
{
    return fabsf(x) < FLT_MIN ? copysignf(0.0f, x) : x;
}

static float bf16_in(uint16_t h)
{
    return daz(tsi_bf16_to_f32(h));
}

/* a(i, p) at a[p/32][i][p%32], b(p, j) at b[p/2][j][p%2]; each of a k-pair's
 * two products added in turn, as the instruction's definition does. */
static void tiles_micro(size_t k, const void *ap, const void *bp, float *c, size_t ldc, int acc)
{
    const uint16_t *a = ap, *b = bp;
    for (size_t i = 0; i < MR; i++)
        for (size_t j = 0; j < NR; j++) {
            float t = acc ? c[i * ldc + j] : 0.0f;
            for (size_t p = 0; p < k; p += 2) {
                const uint16_t *ar = a + (p / 32) * MR * 32 + i * 32 + p % 32;
                const uint16_t *bc = b + (p / 2) * NR * 2 + j * 2;
                t = daz(t + bf16_in(ar[0]) * bf16_in(bc[0]));
                t = daz(t + bf16_in(ar[1]) * bf16_in(bc[1]));
            }
            c[i * ldc + j] = t;
        }
}

/* hi = bf16(x), hf = hi of the finite values, lo = bf16(x - hi) (0 for
 * Inf and NaN), as VCVTNEPS2BF16 rounds (DAZ, nearest even). */
static void tiles_split(const float *x, size_t n, uint16_t *hi, uint16_t *hf, uint16_t *lo)
{
    for (size_t i = 0; i < n; i++) {
        float v = daz(x[i]);
        bool finite = isfinite(v);
        uint16_t h = tsi_f32_to_bf16(v);
        hi[i] = h;
        hf[i] = finite ? h : 0;
        lo[i] = finite ? tsi_f32_to_bf16(daz(v - tsi_bf16_to_f32(h))) : 0;
    }
}

static void tiles_split_f16(const uint16_t *x, size_t n, uint16_t *hi, uint16_t *hf, uint16_t *lo)
{
    float v[64];
    for (size_t i = 0; i < n; i += 64) {
        size_t m = n - i < 64 ? n - i : 64;
        for (size_t q = 0; q < m; q++)
            v[q] = tsi_f16_to_f32(x[i + q]);
        tiles_split(v, m, hi + i, hf + i, lo + i);
    }
}

static void tiles_pairs32(const uint16_t *r0, const uint16_t *r1, uint16_t *d)
{
    for (int i = 0; i < 32; i++) {
        d[2 * i] = r0[i];
        d[2 * i + 1] = r1[i];
    }
}

/* Blocks: deep (2048 packed values), because each depth block reloads and
 * stores the 4 KiB accumulator tiles and that, not L1 residency, set the
 * speed on AMX (a 32 x 2048 panel of A and of B come from L2). Columns:
 * 1024 for bf16 (B's block 4 MiB; fewer repacks of A, which is what a MoE
 * layer's 512-row experts spend on: 85 -> 73 ms against 512 columns), 512
 * for f16, whose three terms make each column's block three times longer.
 * Measured on a 2-core Sapphire Rapids-class VM: kc 256-1024 ran 10-25 %
 * slower; 256-2048 columns and 192-512 rows per task changed plain GEMMs
 * little. */
void tsi_cpu_gemm16_tiles_kernel(ts_dtype dt, tsi_cpu_gemm16_kernel *out)
{
    bool bf16 = dt == TS_BF16;
    *out = (tsi_cpu_gemm16_kernel){
        .name = bf16 ? "amx_bf16 emulated" : "amx_bf16 x3 emulated (f16 as bf16 hi+lo)",
        .mr = MR,
        .nr = NR,
        .kc = bf16 ? 2048 : 512,
        .kpad = 32,
        .mc = 96,
        .nc = bf16 ? 1024 : 512,
        .terms = bf16 ? 1 : 3,
        .a_panel = TSI_G16_TILES,
        .b_panel = TSI_G16_PAIRS,
        .micro = tiles_micro,
        .split = tiles_split,
        .split_f16 = tiles_split_f16,
        .pairs32 = tiles_pairs32,
    };
}
