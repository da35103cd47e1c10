/* Storage vs arithmetic types, prepended to every tessel OpenCL program.
 *
 * A program is compiled once per dtype variant with -DDT=<ts_dtype> (and
 * -DODT=<ts_dtype> for the output of a cast; ODT defaults to DT). Kernels
 * never touch a storage type directly: they load through LD (which widens
 * to the arithmetic type A), compute in A and store through ST (which
 * rounds to nearest-even). f16 uses vload_half / vstore_half_rte, core
 * OpenCL 1.2 on every device, so no cl_khr_fp16 is needed; bf16 is ushort
 * storage with f32 arithmetic. Pure copies use the raw type R (same width
 * as the storage, no conversion), so bit patterns, NaN payloads included,
 * travel unchanged. */

#define TS_F32 0
#define TS_F16 1
#define TS_BF16 2
#define TS_I32 3

#ifndef ODT
#define ODT DT
#endif

/* TS_HAS_FP16 (set by the host when the device lists cl_khr_fp16) lets a
 * kernel use half arithmetic where that helps; loads and stores keep going
 * through vload_half / vstore_half_rte, which cost the same one conversion
 * on such hardware and behave identically everywhere. */
#ifdef TS_HAS_FP16
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#endif

inline float ts_bf16_to_f32(ushort h)
{
    return as_float((uint)h << 16);
}

inline ushort ts_f32_to_bf16(float f)
{
    uint u = as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: stay quiet, keep the sign */
        return (ushort)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (ushort)(u >> 16);
}

/* Per dtype n: S_n storage, A_n arithmetic, R_n raw, LD_n / ST_n. */
#define S_0 float
#define A_0 float
#define R_0 uint
#define LD_0(p, i) ((p)[i])
#define ST_0(p, i, v) ((p)[i] = (v))

#define S_1 half
#define A_1 float
#define R_1 ushort
#define LD_1(p, i) vload_half((size_t)(i), (p))
#define ST_1(p, i, v) vstore_half_rte((v), (size_t)(i), (p))

#define S_2 ushort
#define A_2 float
#define R_2 ushort
#define LD_2(p, i) ts_bf16_to_f32((p)[i])
#define ST_2(p, i, v) ((p)[i] = ts_f32_to_bf16(v))

#define S_3 int
#define A_3 int
#define R_3 uint
#define LD_3(p, i) ((p)[i])
#define ST_3(p, i, v) ((p)[i] = (v))

#define TS_CAT_(a, b) a##b
#define TS_CAT(a, b) TS_CAT_(a, b)

/* The program's input dtype ... */
#define T_S TS_CAT(S_, DT)
#define T_A TS_CAT(A_, DT)
#define T_R TS_CAT(R_, DT)
#define LD TS_CAT(LD_, DT)
#define ST TS_CAT(ST_, DT)
/* ... and output dtype (a cast's target; DT otherwise). */
#define O_S TS_CAT(S_, ODT)
#define O_A TS_CAT(A_, ODT)
#define LD_O TS_CAT(LD_, ODT)
#define ST_O TS_CAT(ST_, ODT)

#define TS_IS_FLOAT (DT != TS_I32)

/* Lowest value of the arithmetic type, the identity of max. */
#if TS_IS_FLOAT
#define T_LOWEST (-INFINITY)
#else
#define T_LOWEST INT_MIN
#endif

/* Wrapping add in the arithmetic type: i32 sums wrap (two's complement)
 * like the reference instead of hitting signed-overflow rules. */
#if TS_IS_FLOAT
#define T_ADD(a, b) ((a) + (b))
#else
#define T_ADD(a, b) ((int)((uint)(a) + (uint)(b)))
#endif

/* Work-group reductions for kernels built with -DRWG=<power of two> and a
 * one-dimensional work-group of exactly RWG items; every item gets the
 * result. scratch is a local float[RWG] declared by the kernel. */
#ifdef RWG
inline float wg_sum(float v, local float *scratch)
{
    int l = get_local_id(0);
    scratch[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RWG / 2; s > 0; s >>= 1) {
        if (l < s)
            scratch[l] += scratch[l + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

inline float wg_max(float v, local float *scratch)
{
    int l = get_local_id(0);
    scratch[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RWG / 2; s > 0; s >>= 1) {
        if (l < s)
            scratch[l] = fmax(scratch[l], scratch[l + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
#endif
