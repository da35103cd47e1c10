/* Workgroup reductions for the row kernels (kernel language, see
 * shaders/README.md): one workgroup of WG invocations (a power of two, the
 * constant id 0) reduces one value per invocation, and every invocation
 * gets the result. A tree of BARRIER-separated steps in shared memory: no
 * subgroup size is assumed.
 *
 * Include after TS_CONSTS (the helpers read WG). The header declares the
 * shared arrays the helpers use, WG_REDUCE_SHARED, for GLSL (globals the
 * helpers see); an OpenCL kernel declares them in its body with
 * TS_SHARED_LOCAL(WG_REDUCE_SHARED) and passes each helper the ones it
 * takes with TS_SHARED_ARG, in the order of its TS_SHARED_PARAMs:
 *
 *   red_f  wg_sum, wg_max, wg_argbest
 *   red_i  wg_sum_i, wg_max_i, wg_argbest, wg_argbest_i
 *   red_k  wg_argbest_i (exact i32 keys: a float move may flush a denormal
 *          bit pattern, and f32 merges integers above 2^24)
 *
 * Each call ends with a barrier, so the arrays may be reused at once. All
 * invocations of the workgroup make the call (uniform control flow).
 * wg_sum, wg_max, wg_sum_i and wg_max_i have a subgroup variant (below). */
#ifndef TS_WG_REDUCE_H
#define TS_WG_REDUCE_H

#define WG_REDUCE_SHARED(X) X(float, red_f, WG) X(int, red_i, WG) X(int, red_k, WG)
TS_SHARED_GLOBAL(WG_REDUCE_SHARED)

/* One tree per (type, combine): GLSL has no templates, so the body is
 * written once as a macro. The i32 sum adds as uint, which wraps (two's
 * complement, like the C reference) in both languages where a signed
 * overflow may not. */
#if defined(TS_SUBGROUP) && TS_SUBGROUP
/* The subgroup variant (Vulkan modules <entry>_sg, chosen by the host where
 * the device offers subgroup shuffles in compute and WG is a multiple of
 * its subgroup size, backend-gpu/gpu.h tsi_gpu_subgroup_entry, and built
 * as a pipeline that requires full subgroups, vk_pipeline.c): a
 * butterfly of shuffles inside each subgroup, then one barrier and each
 * invocation folds the per-subgroup values in subgroup order. Shuffles,
 * not subgroupAdd / subgroupMax: the same COMBINE keeps NaN propagation
 * (subgroupMax leaves NaN undefined) and every invocation gets the same,
 * run-to-run identical result. The subgroup size is read, not assumed. */
#define WG_TREE_(name, T, red, COMBINE)                                                            \
    T name(T v TS_SHARED_PARAM(T, red))                                                            \
    {                                                                                              \
        for (uint off = 1u; off < gl_SubgroupSize; off <<= 1)                                      \
            v = COMBINE(v, subgroupShuffleXor(v, off));                                            \
        if (gl_SubgroupInvocationID == 0u)                                                         \
            red[gl_SubgroupID] = v;                                                                \
        BARRIER();                                                                                 \
        T r = red[0];                                                                              \
        for (uint s = 1u; s < gl_NumSubgroups; s++)                                                \
            r = COMBINE(r, red[s]);                                                                \
        BARRIER();                                                                                 \
        return r;                                                                                  \
    }
#else
#define WG_TREE_(name, T, red, COMBINE)                                                            \
    T name(T v TS_SHARED_PARAM(T, red))                                                            \
    {                                                                                              \
        uint lid = LOCAL_ID;                                                                       \
        red[lid] = v;                                                                              \
        BARRIER();                                                                                 \
        for (uint span = WG / 2u; span > 0u; span >>= 1) {                                         \
            if (lid < span)                                                                        \
                red[lid] = COMBINE(red[lid], red[lid + span]);                                     \
            BARRIER();                                                                             \
        }                                                                                          \
        T r = red[0];                                                                              \
        BARRIER();                                                                                 \
        return r;                                                                                  \
    }
#endif
#define WG_ADD_F_(a, b) ((a) + (b))
#define WG_ADD_I_(a, b) I32(U32(a) + U32(b))

WG_TREE_(wg_sum, float, red_f, WG_ADD_F_)
WG_TREE_(wg_max, float, red_f, ts_max_nan) /* NaN propagates */
WG_TREE_(wg_sum_i, int, red_i, WG_ADD_I_)
WG_TREE_(wg_max_i, int, red_i, max)

/* (value, index) pairs: the larger value wins, ties go to the lower index;
 * an index < 0 marks "no candidate". NaN ranks above every number (NaNs
 * among themselves by index; docs/numerics.md), so the order is total:
 * argmax and top-k always name real, distinct elements whatever the data,
 * and an all-NaN row gives index 0. */
bool ts_pair_better(float v, int i, float bv, int bi)
{
    if (i < 0)
        return false;
    if (bi < 0)
        return true;
    bool vn = isnan(v), bn = isnan(bv);
    if (vn || bn)
        return vn != bn ? vn : i < bi;
    return v > bv || (v == bv && i < bi);
}

/* i32 data compares exactly as int keys. */
bool ts_pair_better_i(int v, int i, int bv, int bi)
{
    if (i < 0)
        return false;
    if (bi < 0)
        return true;
    return v > bv || (v == bv && i < bi);
}

/* ts_pair_better for a candidate whose index is above bi's, as in a row
 * loop that only moves forward: a tie or a NaN never wins, so the test is
 * shorter (the hot loop of argmax and top-k). */
bool ts_later_better(float v, float bv, int bi)
{
    return bi < 0 || (!isnan(bv) && (v > bv || isnan(v)));
}

bool ts_later_better_i(int v, int bv, int bi)
{
    return bi < 0 || v > bv;
}

/* The index of the workgroup's best (v, i) pair by ts_pair_better, -1 when
 * no invocation has a candidate. The winning value is the element at that
 * index: read it back from the row (the functions return one value, as
 * GLSL out-parameters and OpenCL pointers have no common spelling). */
int wg_argbest(float v, int i TS_SHARED_PARAM(float, red_f) TS_SHARED_PARAM(int, red_i))
{
    uint lid = LOCAL_ID;
    red_f[lid] = v;
    red_i[lid] = i;
    BARRIER();
    for (uint span = WG / 2u; span > 0u; span >>= 1) {
        if (lid < span &&
            ts_pair_better(red_f[lid + span], red_i[lid + span], red_f[lid], red_i[lid])) {
            red_f[lid] = red_f[lid + span];
            red_i[lid] = red_i[lid + span];
        }
        BARRIER();
    }
    int r = red_i[0];
    BARRIER();
    return r;
}

int wg_argbest_i(int v, int i TS_SHARED_PARAM(int, red_k) TS_SHARED_PARAM(int, red_i))
{
    uint lid = LOCAL_ID;
    red_k[lid] = v;
    red_i[lid] = i;
    BARRIER();
    for (uint span = WG / 2u; span > 0u; span >>= 1) {
        if (lid < span &&
            ts_pair_better_i(red_k[lid + span], red_i[lid + span], red_k[lid], red_i[lid])) {
            red_k[lid] = red_k[lid + span];
            red_i[lid] = red_i[lid + span];
        }
        BARRIER();
    }
    int r = red_i[0];
    BARRIER();
    return r;
}

#endif
