/* The kernel language on OpenCL C 1.2 (see shaders/README.md). Read by the
 * C preprocessor at build time; what depends on the launch (DT, tile sizes,
 * WG) stays a name that the host defines when it builds the program
 * (-DWG=64u -DDT=1u ...), so one generated source serves every variant.
 *
 * Buffers are `global uint *` like Vulkan's word arrays, so the dtype can
 * be a plain constant folded by the compiler in both languages; 16-bit
 * elements are read and written through ushort / half pointers (byte
 * addressing is core OpenCL, so no atomics are needed), f16 through
 * vload_half / vstore_half_rte, core in 1.2 without cl_khr_fp16. */
#define TS_LANG_IS_GLSL 0
#define TS_LANG_IS_OPENCL 1
/* One program holds every entry of a family. */
#define TS_WANT(e) 1

#define u32 uint
#define i32 int
#define f32 float

#define U32(x) ((uint)(x))
#define I32(x) ((int)(x))
#define F32(x) ((float)(x))
#define AS_U32(x) as_uint(x)
#define AS_F32(x) as_float(x)
#define FABS(x) fabs(x)
#define RSQRT(x) rsqrt(x)
#define TS_INF INFINITY
#define TS_NEG_INF (-INFINITY)

#define LOCAL_ID ((uint)get_local_id(0))
#define GROUP_X ((uint)get_group_id(0))
#define GROUP_Y ((uint)get_group_id(1))
#define GROUP_Z ((uint)get_group_id(2))
#define NUM_GROUPS_X ((uint)get_num_groups(0))
#define NUM_GROUPS_Y ((uint)get_num_groups(1))

#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define BARRIER_GLOBAL() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)

/* Constants come from the build options; nothing to declare. */
#define TS_CONSTS(LIST)

/* CRW: barrier(CLK_GLOBAL_MEM_FENCE) already orders global memory within
 * a work-group, so it is a plain writable buffer here. */
#define TS_BUF_QUAL_RO const
#define TS_BUF_QUAL_RW
#define TS_BUF_QUAL_CRW
#define TS_BUF_ARG_(b, acc, name) global TS_BUF_QUAL_##acc uint *name,
#define TS_FIELD_DECL_(type, name) type name;

/* The parameters travel as one struct argument, laid out like the host's
 * struct and Vulkan's push constants (4-byte fields only). */
#define TS_KERNEL(entry, BUFS, PARAMS)                                                             \
    typedef struct {                                                                               \
        PARAMS(TS_FIELD_DECL_)                                                                     \
    } TsParams_##entry;                                                                            \
    kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void entry(BUFS(TS_BUF_ARG_)           \
                                                                          TsParams_##entry P)

/* Local memory lives inside the kernel function in OpenCL C. */
#define TS_SHARED_DECL_(type, name, n) local type name[n];
#define TS_SHARED_GLOBAL(LIST)
#define TS_SHARED_LOCAL(LIST) LIST(TS_SHARED_DECL_)
#define TS_SHARED_PARAM(type, name) , local type *name
#define TS_SHARED_ARG(name) , name

/* ---- storage: loads and stores of one element of a word buffer ---------- */

float ts_loadf(global const uint *p, uint dt, uint i)
{
    if (dt == 0u)
        return as_float(p[i]);
    if (dt == 3u)
        return (float)(int)p[i];
    if (dt == 2u)
        return as_float((uint)((global const ushort *)p)[i] << 16);
    return vload_half(i, (global const half *)p);
}

ushort ts_f32_to_bf16(float f)
{
    uint u = as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: stay quiet, keep the sign */
        return (ushort)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (ushort)(u >> 16);
}

void ts_storef(global uint *p, uint dt, uint i, float v)
{
    if (dt == 0u)
        p[i] = as_uint(v);
    else if (dt == 3u)
        p[i] = (uint)(int)v;
    else if (dt == 2u)
        ((global ushort *)p)[i] = ts_f32_to_bf16(v);
    else
        vstore_half_rte(v, i, (global half *)p);
}

#define LOADF(arr, dt, i) ts_loadf((global const uint *)(arr), (dt), (uint)(i))
#define LOADI(arr, i) ((int)(arr)[(uint)(i)])
#define LOADU(arr, i) ((arr)[(uint)(i)])
#define LOAD16(arr, i) ((uint)((global const ushort *)(arr))[(uint)(i)])
#define STOREF(arr, dt, i, v) ts_storef((arr), (dt), (uint)(i), (v))
#define STOREI(arr, i, v) ((arr)[(uint)(i)] = (uint)(int)(v))
#define STOREU(arr, i, v) ((arr)[(uint)(i)] = (uint)(v))
#define ATOMIC_INC(arr, i) atomic_add(&(arr)[i], 1u)
#define STORE16(arr, i, bits) (((global ushort *)(arr))[(uint)(i)] = (ushort)(bits))

/* ---- 4-element vectors (see lang/glsl.h): vloadn / vstoren read any
 * pointer, so no aliases are needed; the index is a multiple of 4. ------- */
#define VEC4 float4
#define F4(x) ((float4)(x))
#define F4V(x, y, z, w) ((float4)(x, y, z, w))
#define TS_VEC_BUFS(LIST)

float4 ts_load4f(global const uint *p, uint dt, uint i)
{
    if (dt == 0u)
        return vload4(i >> 2, (global const float *)p);
    if (dt == 2u) {
        uint2 w = vload2(i >> 2, p);
        return as_float4((uint4)(w.x << 16, w.x & 0xffff0000u, w.y << 16, w.y & 0xffff0000u));
    }
    return vload_half4(i >> 2, (global const half *)p);
}

void ts_store4f(global uint *p, uint dt, uint i, float4 v)
{
    if (dt == 0u)
        vstore4(v, i >> 2, (global float *)p);
    else if (dt == 2u)
        vstore4((ushort4)(ts_f32_to_bf16(v.x), ts_f32_to_bf16(v.y), ts_f32_to_bf16(v.z),
                          ts_f32_to_bf16(v.w)),
                i >> 2, (global ushort *)p);
    else
        vstore_half4_rte(v, i >> 2, (global half *)p);
}

#define LOAD4F(arr, dt, i) ts_load4f((global const uint *)(arr), (dt), (uint)(i))
#define STORE4F(arr, dt, i, v) ts_store4f((arr), (dt), (uint)(i), (v))
/* Texel buffers are a Vulkan module variant (<entry>_tx, glsl.h); an
 * OpenCL program reads its buffers directly. */
#define TS_TEXEL_BUFS(LIST)
#define TXLOADF(arr, dt, i) LOADF(arr, dt, i)
#define TXLOAD4F(arr, dt, i) LOAD4F(arr, dt, i)
