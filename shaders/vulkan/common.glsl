// Shared prelude of every tessel Vulkan shader (included, not compiled alone).
//
// All tensor buffers are bound as arrays of 32-bit words and the element
// dtype is a specialization constant (0 f32, 1 f16, 2 bf16, 3 i32, the
// ts_dtype values), so one SPIR-V module per op family serves every dtype
// and no device feature beyond core Vulkan 1.1 is needed: 16-bit elements
// are unpacked from their word, and stored with atomicAnd/atomicOr on their
// half so two invocations writing the two halves of one word never race
// (storageBuffer16BitAccess is optional and absent on some ARM/old drivers).
// Arithmetic is always f32; stores round to nearest-even like core/half.h.
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

const uint DT_F32 = 0u, DT_F16 = 1u, DT_BF16 = 2u, DT_I32 = 3u;

bool dt_is16(uint dt) { return dt == DT_F16 || dt == DT_BF16; }

uint word_index(uint dt, uint i) { return dt_is16(dt) ? (i >> 1) : i; }

float word_to_f32(uint w, uint dt, uint i)
{
    if (dt == DT_F32)
        return uintBitsToFloat(w);
    if (dt == DT_I32)
        return float(int(w));
    uint h = (i & 1u) != 0u ? (w >> 16) : (w & 0xffffu);
    if (dt == DT_BF16)
        return uintBitsToFloat(h << 16);
    return unpackHalf2x16(h).x;
}

uint f32_to_bf16_bits(float f)
{
    uint u = floatBitsToUint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return ((u >> 16) | 0x40u) & 0xffffu;
    u += 0x7fffu + ((u >> 16) & 1u);
    return u >> 16;
}

// Exact nearest-even rounding in integers: packHalf2x16 leaves the rounding
// mode to the implementation.
uint f32_to_f16_bits(float f)
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

uint f32_to_bits16(float f, uint dt)
{
    return dt == DT_BF16 ? f32_to_bf16_bits(f) : f32_to_f16_bits(f);
}

// LOADF(buffer array, dtype, element index) -> float
#define LOADF(arr, dt, i) word_to_f32(arr[word_index(dt, uint(i))], dt, uint(i))
#define LOADI(arr, i) int(arr[uint(i)])

// STOREF(buffer array, dtype, element index, float value)
#define STOREF(arr, dt, i, v)                                                  \
    {                                                                          \
        uint i_ = uint(i);                                                     \
        float v_ = (v);                                                        \
        if (dt == DT_F32) {                                                    \
            arr[i_] = floatBitsToUint(v_);                                     \
        } else if (dt == DT_I32) {                                             \
            arr[i_] = uint(int(v_));                                           \
        } else {                                                               \
            uint sh_ = (i_ & 1u) * 16u;                                        \
            atomicAnd(arr[i_ >> 1], ~(0xffffu << sh_));                        \
            atomicOr(arr[i_ >> 1], f32_to_bits16(v_, dt) << sh_);              \
        }                                                                      \
    }
#define STOREI(arr, i, v) arr[uint(i)] = uint(int(v))

// Flat workgroup / invocation ids over a 2-d grid: one dimension is capped
// at maxComputeWorkGroupCount[0] (65535 on many devices).
uint flat_group() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }
uint flat_id() { return flat_group() * WG + gl_LocalInvocationID.x; }

#define NEG_INF uintBitsToFloat(0xff800000u)
