/* The kernel language on GLSL 450 for Vulkan (see shaders/README.md).
 * Read by the C preprocessor at build time; the #version line and the
 * extensions are prepended by cmake/TesselKernels.cmake because cpp cannot
 * pass a #version directive through.
 *
 * Buffers are arrays of 32-bit words and the element dtype is a
 * specialization constant, so one SPIR-V module per kernel serves every
 * dtype and no feature beyond core Vulkan 1.1 is needed: 16-bit elements
 * are unpacked from their word and stored with atomicAnd/atomicOr on their
 * half, so two invocations writing the two halves of one word never race
 * (storageBuffer16BitAccess is optional and absent on some drivers). */
#define TS_LANG_IS_GLSL 1
#define TS_LANG_IS_OPENCL 0
/* A GLSL module holds one entry point: the build compiles the family once
 * per entry with -DTS_ENTRY_<name>=1, and TS_WANT(name) keeps only it. */
#define TS_WANT(e) TS_ENTRY_##e

#define u32 uint
#define i32 int
#define f32 float

#define U32(x) uint(x)
#define I32(x) int(x)
#define F32(x) float(x)
#define AS_U32(x) floatBitsToUint(x)
#define AS_F32(x) uintBitsToFloat(x)
#define FABS(x) abs(x)
#define RSQRT(x) inversesqrt(x)
#define TS_INF uintBitsToFloat(0x7f800000u)
#define TS_NEG_INF uintBitsToFloat(0xff800000u)
#define LOCAL_ID gl_LocalInvocationID.x
#define GROUP_X gl_WorkGroupID.x
#define GROUP_Y gl_WorkGroupID.y
#define GROUP_Z gl_WorkGroupID.z
#define NUM_GROUPS_X gl_NumWorkGroups.x
#define NUM_GROUPS_Y gl_NumWorkGroups.y

/* barrier() in a compute shader also orders shared-memory accesses
 * (glslang emits OpControlBarrier with WorkgroupMemory semantics). */
#define BARRIER() barrier()
#define BARRIER_GLOBAL()                                                                           \
    memoryBarrierBuffer();                                                                         \
    barrier()

/* Specialization constants: X(id, NAME); id 0 is always WG, the workgroup
 * width. */
#define TS_CONST_DECL_(id, name) layout(constant_id = id) const uint name = 1u;
#define TS_CONSTS(LIST)                                                                            \
    layout(local_size_x_id = 0) in;                                                                \
    LIST(TS_CONST_DECL_)

/* Buffers: X(binding, RO|RW|CRW, name). CRW: written and read back by
 * other invocations of the workgroup after BARRIER_GLOBAL, which GLSL
 * allows only on a `coherent` buffer (a plain load may be served from a
 * cache the other invocation's store did not reach). */
#define TS_BUF_QUAL_RO readonly
#define TS_BUF_QUAL_RW
#define TS_BUF_QUAL_CRW coherent
#define TS_BUF_DECL_(b, acc, name)                                                                 \
    layout(std430, binding = b) TS_BUF_QUAL_##acc buffer TsBuf_##name { uint name[]; };
/* Parameters: X(u32|i32|f32, name), read as P.name (push constants). */
#define TS_FIELD_DECL_(type, name) type name;

/* TS_KERNEL(entry, BUFS, PARAMS) opens the entry point; shared memory is
 * declared before it with TS_SHARED_GLOBAL and (for OpenCL) repeated as
 * the body's first statement with TS_SHARED_LOCAL. */
#define TS_KERNEL(entry, BUFS, PARAMS)                                                             \
    BUFS(TS_BUF_DECL_)                                                                             \
    layout(push_constant) uniform TsPush_##entry { PARAMS(TS_FIELD_DECL_) } P;                     \
    void main()

#define TS_SHARED_DECL_(type, name, n) shared type name[n];
#define TS_SHARED_GLOBAL(LIST) LIST(TS_SHARED_DECL_)
#define TS_SHARED_LOCAL(LIST)
/* A helper function that uses a shared array: GLSL sees the global, so the
 * parameter and the argument vanish. */
#define TS_SHARED_PARAM(type, name)
#define TS_SHARED_ARG(name)

/* ---- storage: loads and stores of one element of a word buffer ---------- */

uint ts_word_index(uint dt, uint i) { return (dt == 1u || dt == 2u) ? (i >> 1) : i; }

float ts_word_to_f32(uint w, uint dt, uint i)
{
    if (dt == 0u)
        return uintBitsToFloat(w);
    if (dt == 3u)
        return float(int(w));
    uint h = (i & 1u) != 0u ? (w >> 16) : (w & 0xffffu);
    if (dt == 2u)
        return uintBitsToFloat(h << 16);
    return unpackHalf2x16(h).x;
}

uint ts_f32_to_bf16_bits(float f)
{
    uint u = floatBitsToUint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return ((u >> 16) | 0x40u) & 0xffffu;
    u += 0x7fffu + ((u >> 16) & 1u);
    return u >> 16;
}

/* Exact nearest-even rounding in integers: packHalf2x16 leaves the
 * rounding mode to the implementation. */
uint ts_f32_to_f16_bits(float f)
{
    uint u = floatBitsToUint(f);
    uint sgn = (u >> 16) & 0x8000u;
    uint a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return sgn | 0x7e00u;
    if (a >= 0x477ff000u)
        return sgn | 0x7c00u;
    if (a < 0x38800000u) {
        uint e = a >> 23;
        if (e < 102u)
            return sgn;
        uint m = (a & 0x7fffffu) | 0x800000u;
        uint sh = 126u - e;
        uint r = m >> sh;
        uint rem = m & ((1u << sh) - 1u);
        uint half_ = 1u << (sh - 1u);
        if (rem > half_ || (rem == half_ && (r & 1u) != 0u))
            r += 1u;
        return sgn | r;
    }
    uint r = a + 0xfffu + ((a >> 13) & 1u) - (112u << 23);
    return sgn | ((r >> 13) & 0xffffu);
}

uint ts_f32_to_bits16(float f, uint dt) { return dt == 2u ? ts_f32_to_bf16_bits(f) : ts_f32_to_f16_bits(f); }

#define LOADF(arr, dt, i) ts_word_to_f32(arr[ts_word_index(dt, uint(i))], dt, uint(i))
#define LOADI(arr, i) int(arr[uint(i)])
#define LOADU(arr, i) arr[uint(i)]
/* The 16 raw bits of element i of a 16-bit buffer (bit-exact copies). */
#define LOAD16(arr, i) ((arr[uint(i) >> 1] >> ((uint(i) & 1u) * 16u)) & 0xffffu)

#define TS_STORE16_(arr, i_, bits)                                                                 \
    {                                                                                              \
        uint sh_ = (i_ & 1u) * 16u;                                                                \
        atomicAnd(arr[i_ >> 1], ~(0xffffu << sh_));                                                \
        atomicOr(arr[i_ >> 1], (bits) << sh_);                                                     \
    }
#define STOREF(arr, dt, i, v)                                                                      \
    {                                                                                              \
        uint i_ = uint(i);                                                                         \
        float v_ = (v);                                                                            \
        if (dt == 0u) {                                                                            \
            arr[i_] = floatBitsToUint(v_);                                                         \
        } else if (dt == 3u) {                                                                     \
            arr[i_] = uint(int(v_));                                                               \
        } else {                                                                                   \
            TS_STORE16_(arr, i_, ts_f32_to_bits16(v_, dt))                                         \
        }                                                                                          \
    }
#define STOREI(arr, i, v) arr[uint(i)] = uint(int(v))
#define STOREU(arr, i, v) arr[uint(i)] = uint(v)
/* Integer atomic add of 1 on word i (core in both languages). */
#define ATOMIC_INC(arr, i) atomicAdd(arr[i], 1u)
#define STORE16(arr, i, bits)                                                                      \
    {                                                                                              \
        uint i_ = uint(i);                                                                         \
        TS_STORE16_(arr, i_, uint(bits))                                                           \
    }

/* ---- 4-element vectors (families that opt in) ------------------------------
 * A family that loads or stores 4 neighbouring elements at once declares
 * TS_VEC_BUFS(BUFS) after TS_KERNEL's buffers are known (before TS_KERNEL):
 * the same bindings seen again as uvec4 (4 f32) and uvec2 (4 16-bit
 * elements), aliases Vulkan allows. Only those families get the aliases, so
 * no other module changes. LOAD4F / STORE4F take an element index that is a
 * multiple of 4 (the host checks offsets and strides). */
#define VEC4 vec4
#define F4(x) vec4(x)
#define F4V(x, y, z, w) vec4(x, y, z, w)
#define TS_VBUF_DECL_(b, acc, name)                                                                \
    layout(std430, binding = b) TS_BUF_QUAL_##acc buffer TsBufV4_##name { uvec4 name##_v4[]; };    \
    layout(std430, binding = b) TS_BUF_QUAL_##acc buffer TsBufV2_##name { uvec2 name##_v2[]; };
#define TS_VEC_BUFS(LIST) LIST(TS_VBUF_DECL_)

vec4 ts_unpack4(uvec2 w, uint dt)
{
    if (dt == 2u)
        return uintBitsToFloat(uvec4(w.x << 16, w.x & 0xffff0000u, w.y << 16, w.y & 0xffff0000u));
    return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y));
}

uvec2 ts_pack4(vec4 v, uint dt)
{
    return uvec2(ts_f32_to_bits16(v.x, dt) | (ts_f32_to_bits16(v.y, dt) << 16),
                 ts_f32_to_bits16(v.z, dt) | (ts_f32_to_bits16(v.w, dt) << 16));
}

/* ---- texel buffers (modules <entry>_tx, TS_TEXEL=1) -------------------------
 * In a TS_TEXEL module, TS_TEXEL_BUFS(BUFS) declares each binding again in
 * set 1 as an R32_UINT texel buffer (the host binds views only for the
 * bindings it marks, backend-vulkan/vk_exec.c) and TXLOADF / TXLOAD4F read
 * elements through it; elsewhere they are LOADF / LOAD4F and
 * TS_TEXEL_BUFS declares nothing. Why: Mesa 22.3's llvmpipe loads every
 * SSBO element lane by lane in a loop with a branch per lane, while a
 * texel fetch of 32-bit texels is one vector gather for all lanes. */
#define TS_TEXEL_DECL_(b, acc, name) layout(set = 1, binding = b) uniform usamplerBuffer name##_tx;
#define TLOADW(arr, w) texelFetch(arr##_tx, int(w)).x
#define TLOADF(arr, dt, i) ts_word_to_f32(TLOADW(arr, ts_word_index(dt, uint(i))), dt, uint(i))
/* Four elements from a multiple of 4: four words (f32) or two (16-bit). */
#define TLOAD4F(arr, dt, i)                                                                        \
    ((dt) == 0u                                                                                    \
         ? uintBitsToFloat(uvec4(TLOADW(arr, uint(i)), TLOADW(arr, uint(i) + 1u),                  \
                                 TLOADW(arr, uint(i) + 2u), TLOADW(arr, uint(i) + 3u)))            \
         : ts_unpack4(uvec2(TLOADW(arr, uint(i) >> 1), TLOADW(arr, (uint(i) >> 1) + 1u)), dt))
#if defined(TS_TEXEL) && TS_TEXEL
#define TS_TEXEL_BUFS(LIST) LIST(TS_TEXEL_DECL_)
#define TXLOADF(arr, dt, i) TLOADF(arr, dt, i)
#define TXLOAD4F(arr, dt, i) TLOAD4F(arr, dt, i)
#else
#define TS_TEXEL_BUFS(LIST)
#define TXLOADF(arr, dt, i) LOADF(arr, dt, i)
#define TXLOAD4F(arr, dt, i) LOAD4F(arr, dt, i)
#endif

#define LOAD4F(arr, dt, i)                                                                         \
    ((dt) == 0u ? uintBitsToFloat(arr##_v4[uint(i) >> 2]) : ts_unpack4(arr##_v2[uint(i) >> 2], dt))
#define STORE4F(arr, dt, i, v)                                                                     \
    {                                                                                              \
        if ((dt) == 0u)                                                                            \
            arr##_v4[uint(i) >> 2] = floatBitsToUint(v);                                           \
        else                                                                                       \
            arr##_v2[uint(i) >> 2] = ts_pack4(v, dt);                                              \
    }
